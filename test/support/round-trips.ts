/**
 * Counts DynamoDB calls made by the handlers running in this process, with an SDK middleware on the shared client:
 * `calls` is every request; `sequential` is the longest chain of calls that had to wait for one another
 * (a call started after another finished is one step later; calls in flight together share a step).
 */
export type RoundTrips = { calls: number; sequential: number; operations: string[] };

export async function roundTripCounter() {
  const { dynamo } = await import('../../shared/data/client.ts');
  let calls = 0;
  let operations: string[] = [];
  let finishedStep = 0;
  let deepest = 0;
  dynamo.middlewareStack.add(
    (next, context) => async (args) => {
      calls++;
      operations.push(String(context.commandName).replace(/Command$/, ''));
      const step = finishedStep + 1;
      deepest = Math.max(deepest, step);
      try {
        return await next(args);
      } finally {
        finishedStep = Math.max(finishedStep, step);
      }
    },
    { step: 'initialize', name: 'roundTripCounter' },
  );
  return {
    reset() {
      calls = 0;
      operations = [];
      finishedStep = 0;
      deepest = 0;
    },
    read(): RoundTrips {
      return { calls, sequential: deepest, operations: [...operations] };
    },
    /** Runs fn and returns what it cost. */
    async measure(fn: () => Promise<unknown>): Promise<RoundTrips> {
      this.reset();
      await fn();
      return this.read();
    },
  };
}
