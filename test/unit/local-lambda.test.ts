import { describe, expect, it, vi } from 'vitest';
import { invoke, scopeInvocations, type LambdaHandler } from '../../infra/local/lambda.ts';
import { logger, observeInvocation } from '../../shared/observability.ts';

/**
 * The local stack runs every function's invocations concurrently in one process, as Lambda's multi-concurrency
 * runtime does: with scopeInvocations() (npm start), each keeps its own log keys and Lambda context while others run.
 */
describe('local Lambda runtime', () => {
  it('keeps the log keys and Lambda context of concurrent invocations apart', async () => {
    await scopeInvocations();
    const lines: string[] = [];
    const capture = (chunk: unknown) => {
      lines.push(String(chunk));
      return true;
    };
    const spies = [vi.spyOn(process.stdout, 'write').mockImplementation(capture), vi.spyOn(process.stderr, 'write').mockImplementation(capture)];
    const handler = (route: string, delayMs: number): LambdaHandler => (_event, context) =>
      observeInvocation(context, { route }, async () => {
        await new Promise((resolve) => setTimeout(resolve, delayMs));
        logger.error('invocation done');
      });
    try {
      await Promise.all([invoke(handler('slow route', 60), 'slowFunction', {}, 5000), invoke(handler('fast route', 10), 'fastFunction', {}, 5000)]);
    } finally {
      for (const spy of spies) spy.mockRestore();
    }
    const logged = lines.flatMap((line) => line.split('\n')).filter((line) => line.includes('invocation done')).map((line) => JSON.parse(line));
    expect(logged.map((line) => [line.route, line.function_name])).toEqual([['fast route', 'fastFunction'], ['slow route', 'slowFunction']]);
  });
});
