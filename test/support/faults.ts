import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';

/**
 * Fault injection on the shared DynamoDB client used by the handlers running in this process: an SDK middleware
 * placed inside the SDK's retry loop (deserialize step), so injected faults are retried exactly as real ones are.
 *   throttle       the call fails with ThrottlingException before reaching DynamoDB (nothing written)
 *   lose-response  the call reaches DynamoDB and succeeds, then the answer is lost (TimeoutError): the write happened
 *   black-hole     the call goes to a server that accepts connections and never answers (a real socket timeout)
 *   conflict       a transaction is cancelled for a conflicting transaction, before reaching DynamoDB (nothing written)
 *   slow           the call reaches DynamoDB SLOW_CALL_MS late (a slow network path or a busy partition), then succeeds
 */
export type Fault = 'throttle' | 'lose-response' | 'black-hole' | 'conflict' | 'slow';
export const SLOW_CALL_MS = 500;
export type FaultPlan = (operation: string) => Fault | undefined;

export async function faultInjector(blackHole?: { host: string; port: number }) {
  const { dynamo } = await import('../../shared/data/client.ts');
  let plan: FaultPlan = () => undefined;
  const injected: Record<Fault, number> = { throttle: 0, 'lose-response': 0, 'black-hole': 0, conflict: 0, slow: 0 };
  dynamo.middlewareStack.add(
    (next, context) => async (args) => {
      const fault = plan(String(context.commandName).replace(/Command$/, ''));
      if (fault) injected[fault]++;
      if (fault === 'throttle') throw awsError('ThrottlingException', 'Rate of requests exceeds the allowed throughput.');
      if (fault === 'conflict') {
        throw new TransactionCanceledException({ message: 'Transaction cancelled', $metadata: {}, CancellationReasons: [{ Code: 'TransactionConflict' }] });
      }
      if (fault === 'black-hole') {
        if (!blackHole) throw new Error('faultInjector was created without a black-hole server');
        const request = args.request as { hostname: string; port?: number };
        request.hostname = blackHole.host;
        request.port = blackHole.port;
      }
      if (fault === 'slow') await new Promise((resolve) => setTimeout(resolve, SLOW_CALL_MS));
      const out = await next(args);
      if (fault === 'lose-response') throw awsError('TimeoutError', 'Connection timed out after the request was sent');
      return out;
    },
    { step: 'deserialize', name: 'faultInjector', priority: 'low' },
  );
  return {
    set(next: FaultPlan) {
      plan = next;
    },
    clear() {
      plan = () => undefined;
    },
    injected,
  };
}

function awsError(name: string, message: string): Error {
  return Object.assign(new Error(message), { name, $fault: 'client', $metadata: { httpStatusCode: name === 'ThrottlingException' ? 400 : undefined } });
}

/** A deterministic random source (mulberry32), so a faulty run can be replayed from its seed. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
