import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { ApiGatewayManagementApiClient, DeleteConnectionCommand, GoneException, PostToConnectionCommand } from '@aws-sdk/client-apigatewaymanagementapi';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import pLimit from 'p-limit';
import { config, need } from '../config.ts';
import { METRIC, countMetric, logger } from '../observability.ts';
import { traced } from '../tracing.ts';

/**
 * Pushes frames to WebSocket connections through the API Gateway Management API (`PostToConnection`), on AWS and
 * against the local gateway alike: only the endpoint differs. One client per container, made on first use so
 * the routes that never push ($connect, $disconnect) need no callback URL.
 */
let client: ApiGatewayManagementApiClient | undefined;
const managementApi = () => (client ??= traced(new ApiGatewayManagementApiClient({
  endpoint: need('wsCallbackUrl', 'WS_CALLBACK_URL'),
  // push() retries itself, within the push's budget and never after 410/403: the SDK's own retries would not know either.
  maxAttempts: 1,
  // The SDK pools 50 sockets: a fan-out with several shards in flight (or the local stack, where every function
  // shares this client) would queue behind them. Kept-alive sockets also spare each push a TLS handshake.
  requestHandler: new NodeHttpHandler({ httpAgent: new HttpAgent({ keepAlive: true, maxSockets: PUSH_SOCKETS }), httpsAgent: new HttpsAgent({ keepAlive: true, maxSockets: PUSH_SOCKETS }) }),
})));

/**
 * How many pushes a container keeps in flight in each of its two lanes: fan-out (pushAll) and direct pushes (the
 * answer to a frame's own connection: acks, error frames, pongs; a notice to one user). Enough to reach a big shard
 * fast, few enough to stay under API limits. On AWS a container runs one invocation at a time, so this is per
 * invocation. Locally every invocation shares one process: hundreds of requests in flight at once there share the
 * CPU and all finish late together (a burst's 470 refusals timed out as one), while taking turns they finish
 * one after another. Direct pushes have their own lane, so they never wait behind a fan-out.
 */
const PUSH_CONCURRENCY = 32;
// Pure: a function that never pushes (most of them) then bundles no p-limit.
const fanOutLimit = /* @__PURE__ */ pLimit(PUSH_CONCURRENCY);
const directLimit = /* @__PURE__ */ pLimit(PUSH_CONCURRENCY);
/** Sockets per container: a fan-out invocation pushes up to its batch of shards at once, each PUSH_CONCURRENCY wide. */
const PUSH_SOCKETS = 512;

/** Full-jitter exponential backoff (AWS Architecture Blog, "Exponential Backoff and Jitter"): a pause in [0, min(cap, base·2^n)). */
const BACKOFF = { baseMs: 50, capMs: 1000 };
const backoffMs = (attempt: number) => Math.random() * Math.min(BACKOFF.capMs, BACKOFF.baseMs * 2 ** attempt);

/** sent; gone (410: the client left without a $disconnect reaching us); failed (given up: logged, never thrown). */
export type PushOutcome = 'sent' | 'gone' | 'failed';

/** Every frame the server pushes; shared/ws/frames.ts documents each one (its schema must match, see there). */
export type ServerFrame =
  | { event: 'message'; message: unknown }
  | { event: 'ack'; clientMessageId: string | null; message: unknown }
  | { event: 'read'; conversationId: number; userId: number; messageId: number; seq: number }
  | { event: 'typing'; conversationId: number; userId: number }
  | { event: 'conversation'; conversation: unknown }
  | { event: 'recalled'; conversationId: number; messageId: number; by: number }
  | { event: 'removed'; conversationId: number }
  | { event: 'pong' }
  | { event: 'error'; code: string; message: string; action?: string; clientMessageId?: string; retryAfter?: number };

/**
 * Retried: throttling (429 LimitExceededException: the account's PostToConnection rate), server errors, and a
 * connection refused before the request went out. Never retried: any other 4xx (403: not this API's connection,
 * 413: too large) answers the same again; and an attempt that timed out or lost its connection mid-request may
 * already have reached the client, so a second copy would arrive twice, where a lost push is only a seq gap the
 * client fetches (SPEC, "Delivery guarantees"). Retrying those showed as duplicate acks and pushes under load.
 */
function retryable(error: unknown): boolean {
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  if (status !== undefined) return status === 429 || status >= 500;
  return (error as { code?: string }).code === 'ECONNREFUSED';
}

/** One frame to one connection, in the direct lane, within ANSWER_TIMEOUT_MS. */
export const push = (connectionId: string, frame: ServerFrame): Promise<PushOutcome> => directLimit(() => sendFrame(connectionId, frame, config.answerTimeoutMs));

/** Pushes in parallel in the fan-out lane; `onOutcome` sees each result as soon as it is known. */
export async function pushAll<T extends { connectionId: string }>(targets: readonly T[], frameFor: (target: T) => ServerFrame, onOutcome?: (target: T, outcome: PushOutcome) => void): Promise<void> {
  await Promise.all(targets.map((target) => fanOutLimit(async () => onOutcome?.(target, await sendFrame(target.connectionId, frameFor(target), config.pushTimeoutMs)))));
}

/** Sends one frame, retried with backoff while its budget (the push's whole time, from its turn) lasts. */
async function sendFrame(connectionId: string, frame: ServerFrame, budgetMs: number): Promise<PushOutcome> {
  const deadline = Date.now() + budgetMs;
  const command = new PostToConnectionCommand({ ConnectionId: connectionId, Data: JSON.stringify(frame) });
  for (let attempt = 0; ; attempt++) {
    try {
      await managementApi().send(command, { abortSignal: AbortSignal.timeout(Math.max(1, deadline - Date.now())) });
      countMetric(METRIC.pushesDelivered);
      return 'sent';
    } catch (error) {
      if (error instanceof GoneException) {
        countMetric(METRIC.goneConnections);
        return 'gone';
      }
      const pause = backoffMs(attempt);
      if (retryable(error) && Date.now() + pause < deadline) {
        countMetric(METRIC.pushRetries);
        await new Promise((resolve) => setTimeout(resolve, pause));
        continue;
      }
      countMetric(METRIC.pushesDropped);
      logger.warn('push failed', { connectionId, event: frame.event, error: (error as Error).name, attempts: attempt + 1 });
      return 'failed';
    }
  }
}

/** Closes a connection (API Gateway then runs its $disconnect); 'gone' when it was already closed. */
export async function disconnect(connectionId: string): Promise<'closed' | 'gone' | 'failed'> {
  try {
    await managementApi().send(new DeleteConnectionCommand({ ConnectionId: connectionId }), { abortSignal: AbortSignal.timeout(config.pushTimeoutMs) });
    return 'closed';
  } catch (error) {
    if (error instanceof GoneException) return 'gone';
    logger.warn('disconnect failed', { connectionId, error: (error as Error).name });
    return 'failed';
  }
}
