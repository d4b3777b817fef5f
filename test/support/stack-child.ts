import { startLocalStack } from '../../infra/local/stack.ts';

/** Entry of test/support/stack-process.ts: starts the stack, prints its URLs as one JSON line, runs until stdin closes. */
const stack = await startLocalStack(JSON.parse(process.env.STACK_OPTIONS!));
process.stdout.write(JSON.stringify({ httpUrl: stack.httpUrl, wsUrl: stack.wsUrl }) + '\n');
const stop = () => void stack.stop().then(() => process.exit(0));
process.stdin.on('end', stop).resume();
process.on('SIGTERM', stop);
