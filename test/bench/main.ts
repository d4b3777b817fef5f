import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { currentLoad, describeMachine } from './machine.ts';
import { measureDynamoFloor, measureRelayFloor } from './floor.ts';
import { recipientSockets } from './delivery.ts';
import type { BenchResults } from './report.ts';

/**
 * `npm run bench` (full, < 10 min on 2 cores) or `npm run bench -- --quick` (CI, < 1 min: smaller sizes, the same
 * code paths). Starts its own DynamoDB Local and local stack, measures, and writes a Markdown report and JSON.
 */
const quick = process.argv.includes('--quick');
const ROOT = resolve(import.meta.dirname, '../..');
const OUT = join(ROOT, 'bench-results');

const SIZES = quick
  ? { floorIterations: 30, deliveryMembers: [2, 10, 100], deliveryIterations: 10, burst: 5, dynamoIterations: 50, conversations: 20, contacts: 20, historyMessages: 1_000, httpSeconds: 1, samples: 10, sendMembers: [2, 10, 100], historySizes: [200, 1_000, 2_000], getlistSizes: [5, 20], groupAdds: [10, 100], getlistPages: 120, frames: { typingMembers: 10, typingFrames: 100, markReadLengths: [100, 1_000], markReadFrames: 5 }, coldRuns: 1, durationRuns: 10, only: { http: ['POST /user/login', 'POST /message/send (1:1)'], coldStarts: ['userLogin', 'messageSend', 'wsSendMessage', 'wsAuthorizer'] } as Subset }
  : { floorIterations: 200, deliveryMembers: [2, 10, 100, 500, 2_000], deliveryIterations: 50, burst: 20, dynamoIterations: 300, conversations: 200, contacts: 100, historyMessages: 10_000, httpSeconds: 5, samples: 50, sendMembers: [2, 10, 100, 500], historySizes: [1_000, 10_000, 100_000], getlistSizes: [10, 50, 200], groupAdds: [10, 500], getlistPages: 250, frames: { typingMembers: 30, typingFrames: 300, markReadLengths: [100, 1_000, 10_000], markReadFrames: 10 }, coldRuns: 15, durationRuns: 50, only: undefined as Subset };

/** The handlers' settings for the run: limits raised so the bench measures speed, not throttling; logs at WARN. */
const HANDLER_ENV = {
  LOG_LEVEL: 'WARN',
  LIMIT_LOGIN_FAILURES_PER_ACCOUNT_MAX: '1000000000',
  LIMIT_LOGIN_FAILURES_PER_IP_MAX: '1000000000',
  LIMIT_REGISTER_MAX: '1000000000',
  LIMIT_MESSAGE_SEND_MAX: '1000000000',
  LIMIT_CONVERSATION_SEND_MAX: '1000000000',
  AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE: '1',
};

const log = (line: string) => console.log(`[bench ${new Date().toISOString().slice(11, 19)}] ${line}`);

async function main(): Promise<void> {
  const started = Date.now();
  const machine = describeMachine();
  log(`${quick ? 'quick' : 'full'} run on ${machine.cpu} x${machine.cores}, node ${machine.node}, load average ${machine.loadAtStart}`);

  // The logger and the handlers' configuration are made when their modules load: the settings go into the
  // environment first, then the stack and the report (whose cost table imports the CDK app, and through it the
  // logger) are loaded. Imported statically, LOG_LEVEL came too late and the handlers logged every request at INFO.
  Object.assign(process.env, HANDLER_ENV);
  const [{ startLocalStack }, { renderReport }] = await Promise.all([import('../../infra/local/stack.ts'), import('./report.ts')]);
  const stack = await startLocalStack({ tableName: 'bench', jwtSecret: randomBytes(32).toString('hex'), env: HANDLER_ENV });
  try {
    // The data layer reads its configuration at import, so the sections that use it load after the stack has set it.
    const { runSections } = await import('./sections.ts');
    log('floor: bare ws relay');
    // The same recipient counts as the delivery table, so each row has its own floor.
    const relay = await measureRelayFloor(SIZES.deliveryMembers.map(recipientSockets), SIZES.floorIterations);
    log('floor: DynamoDB Local conditional PutItem + Query');
    const dynamo = await measureDynamoFloor(stack.dynamoEndpoint, stack.tableName, SIZES.dynamoIterations);
    const sections = await runSections(stack, SIZES, log, join(OUT, 'tmp'));
    const { config } = await import('../../shared/config.ts');
    const results: BenchResults = { mode: quick ? 'quick' : 'full', startedAt: new Date(started).toISOString(), durationSeconds: 0, loadAtEnd: currentLoad(), machine, floor: { relay, dynamo }, fanOutThreshold: config.fanOutThreshold, ...sections };
    results.durationSeconds = Math.round((Date.now() - started) / 1000);
    const name = quick ? 'tmp/quick' : 'latest';
    await mkdir(join(OUT, 'tmp'), { recursive: true });
    await writeFile(join(OUT, `${name}.json`), JSON.stringify(results, null, 2) + '\n');
    await writeFile(join(OUT, `${name}.md`), renderReport(results));
    log(`done in ${results.durationSeconds} s: bench-results/${name}.md and .json`);
  } finally {
    await stack.stop();
  }
}

export type Sizes = typeof SIZES;
/** Quick mode load-tests and cold-starts a few representative rows (the same code paths); the full run does all. */
type Subset = { http: string[]; coldStarts: string[] } | undefined;
export type Log = typeof log;

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
