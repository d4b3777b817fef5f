import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Context } from 'aws-lambda';
import { InvokeStore, InvokeStoreBase } from '@aws/lambda-invoke-store';

/* Loading and invoking handlers the way the Lambda runtime does: the module once (a warm container), then one call per event. */

/**
 * Every invocation runs in this one process, concurrently, as in Lambda's multi-concurrency runtime. Like that
 * runtime, scopeInvocations() runs each inside its own InvokeStore context, which Powertools reads (when
 * AWS_LAMBDA_MAX_CONCURRENCY is set) to keep log keys and Lambda context per invocation instead of one
 * invocation's overwriting another's. `npm start` turns it on, for readable logs; the test stacks leave it off:
 * on Node 20 the AsyncLocalStorage behind it slows every promise in the process (the full load test's ack p99
 * went from 0.15–0.5 s to 1.6 s).
 */
let invokeStore: InvokeStoreBase | undefined;
export async function scopeInvocations(): Promise<void> {
  invokeStore = await InvokeStore.getInstanceAsync(true);
  process.env.AWS_LAMBDA_MAX_CONCURRENCY ??= '1000'; // only once the store exists: Powertools needs one when this is set
}

export type LambdaHandler = (event: unknown, context: Context) => Promise<unknown>;

const ROOT = resolve(import.meta.dirname, '../..');

export async function loadHandler(entry: string): Promise<LambdaHandler> {
  const module = (await import(pathToFileURL(resolve(ROOT, entry)).href)) as { handler?: LambdaHandler };
  if (typeof module.handler !== 'function') throw new Error(`${entry} does not export a handler`);
  return module.handler;
}

export function lambdaContext(functionName: string, timeoutMs: number): Context {
  const deadline = Date.now() + timeoutMs;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:local:000000000000:function:${functionName}`,
    memoryLimitInMB: '1024',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/** One finished invocation, as the gateways made it: the event they built and what the function answered. */
export type Invocation = { functionName: string; event: unknown; result?: unknown; error?: unknown };

/**
 * Every invocation any local gateway, authorizer or event source makes is announced here ('invocation', an
 * Invocation), so tests can compare the events the stand-ins build with AWS's own (test/integration/aws-events*).
 */
export const invocations = new EventEmitter();

/** Invokes with the function's timeout: a handler that runs past it fails as a Lambda timeout would. */
export async function invoke(handler: LambdaHandler, functionName: string, event: unknown, timeoutMs: number): Promise<unknown> {
  const announce = (outcome: Pick<Invocation, 'result' | 'error'>) => {
    if (invocations.listenerCount('invocation')) invocations.emit('invocation', { functionName, event, ...outcome } satisfies Invocation);
  };
  try {
    const result = await invokeWithTimeout(handler, functionName, event, timeoutMs);
    announce({ result });
    return result;
  } catch (error) {
    announce({ error });
    throw error;
  }
}

async function invokeWithTimeout(handler: LambdaHandler, functionName: string, event: unknown, timeoutMs: number): Promise<unknown> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(Object.assign(new Error(`Task timed out after ${timeoutMs / 1000} seconds`), { name: 'LambdaTimeout' })), timeoutMs);
  });
  try {
    const context = lambdaContext(functionName, timeoutMs);
    const run = () => handler(event, context);
    const invocation = invokeStore ? invokeStore.run({ [InvokeStoreBase.PROTECTED_KEYS.REQUEST_ID]: context.awsRequestId }, run) : run();
    return await Promise.race([invocation, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
