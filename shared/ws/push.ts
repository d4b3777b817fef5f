import { ApiGatewayManagementApiClient, DeleteConnectionCommand, GoneException, PostToConnectionCommand } from '@aws-sdk/client-apigatewaymanagementapi';
import pLimit from 'p-limit';
import { config, need } from '../config.ts';
import { METRIC, countMetric, logger } from '../observability.ts';

/**
 * Pushes frames to WebSocket connections through the API Gateway Management API (`PostToConnection`), on AWS and
 * against the local gateway alike: only the endpoint differs. One client per container, made on first use so
 * the routes that never push ($connect, $disconnect) need no callback URL.
 */
let client: ApiGatewayManagementApiClient | undefined;
const managementApi = () => (client ??= new ApiGatewayManagementApiClient({ endpoint: need('wsCallbackUrl', 'WS_CALLBACK_URL'), maxAttempts: 2 }));

/** How many pushes one invocation keeps in flight: enough to reach a big group fast, few enough to stay under API limits. */
const PUSH_CONCURRENCY = 32;

/** sent; gone (410: the client left without a $disconnect reaching us); failed (anything else: logged, never thrown). */
export type PushOutcome = 'sent' | 'gone' | 'failed';

export type ServerFrame =
  | { event: 'message'; message: unknown }
  | { event: 'ack'; clientMessageId: string | null; message: unknown }
  | { event: 'read'; conversationId: number; userId: number; messageId: number }
  | { event: 'typing'; conversationId: number; userId: number }
  | { event: 'pong' }
  | { event: 'error'; code: string; message: string; action?: string; clientMessageId?: string; retryAfter?: number };

export async function push(connectionId: string, frame: ServerFrame): Promise<PushOutcome> {
  try {
    await managementApi().send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: JSON.stringify(frame) }), { abortSignal: AbortSignal.timeout(config.pushTimeoutMs) });
    countMetric(METRIC.pushesDelivered);
    return 'sent';
  } catch (error) {
    if (error instanceof GoneException) {
      countMetric(METRIC.goneConnections);
      return 'gone';
    }
    logger.warn('push failed', { connectionId, event: frame.event, error: (error as Error).name });
    return 'failed';
  }
}

/** Pushes in parallel with bounded concurrency; `onOutcome` sees each result as soon as it is known. */
export async function pushAll<T extends { connectionId: string }>(targets: readonly T[], frameFor: (target: T) => ServerFrame, onOutcome?: (target: T, outcome: PushOutcome) => void): Promise<void> {
  const limit = pLimit(PUSH_CONCURRENCY);
  await Promise.all(targets.map((target) => limit(async () => onOutcome?.(target, await push(target.connectionId, frameFor(target))))));
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
