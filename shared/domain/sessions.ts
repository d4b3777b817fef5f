import { config } from '../config.ts';
import { logger } from '../observability.ts';
import { checkTokenVersionNow } from '../auth/sessions.ts';
import type { TokenClaims } from '../auth/tokens.ts';
import { CONNECTION_TTL_SECONDS, deleteConnection, listOwnConnections, putConnection, type OwnConnection } from '../data/connections.ts';
import { disconnect, push } from '../ws/push.ts';
import { consume } from './limits.ts';

/**
 * WebSocket sessions and token generations. A revocation (logout everywhere, password change) bumps the user's
 * token version, then lists the user's connections and closes them. A $connect registers its connection, then
 * re-reads the version; both reads are strongly consistent, so for any connection racing a revocation either the
 * $connect's re-read sees the new version (and refuses itself) or its registration came before the bump and the
 * revocation's list sees it (and closes it). Every later frame is checked against the current version too
 * (shared/ws/adapter.ts), so a frame already on its way when the version changed is not served.
 */

/**
 * A connection whose $connect may still be running when a revocation tries to close it: API Gateway answers 410 for
 * it until $connect returns, so closing it is retried for a moment instead of taking the 410 as "already gone".
 */
const OPENING_WINDOW_SECONDS = 30; // API Gateway's integration timeout (29 s) bounds a $connect
const OPENING_RETRY_DELAYS_MS = [100, 400, 1000];

/** Over the cap, the oldest connections are told why (a client should not reconnect at once) and closed. */
const EVICTED_RETRY_AFTER_SECONDS = 60;

/** $connect: counts it, registers it, re-checks the token generation, then closes the oldest over the per-user cap. */
export async function openConnection(claims: TokenClaims, connectionId: string, connectedAt: Date): Promise<void> {
  const { userId } = claims;
  const [registered, counted] = await Promise.allSettled([putConnection(userId, connectionId, connectedAt), consume(config.limits.wsConnect, String(userId))]);
  if (registered.status === 'rejected') throw registered.reason;
  try {
    if (counted.status === 'rejected') throw counted.reason;
    await checkTokenVersionNow(claims);
  } catch (refusal) {
    await deleteConnection(userId, connectionId);
    throw refusal;
  }
  await closeOverCap(userId, registered.value);
}

async function closeOverCap(userId: number, others: OwnConnection[]): Promise<void> {
  const excess = others.length + 1 - config.limits.connectionsPerUser;
  if (excess <= 0) return;
  const oldest = [...others].sort((a, b) => a.expiresAt - b.expiresAt).slice(0, excess);
  logger.info('connection cap: closing the oldest', { userId, closing: oldest.length });
  const frame = { event: 'error', code: 'RATE_LIMITED', message: `同时在线的连接不能超过 ${config.limits.connectionsPerUser} 个，最早的连接已关闭`, retryAfter: EVICTED_RETRY_AFTER_SECONDS } as const;
  await Promise.all(oldest.map(async ({ connectionId }) => {
    await push(connectionId, frame);
    if ((await disconnect(connectionId)) === 'gone') await deleteConnection(userId, connectionId);
  }));
}

/**
 * Closes every connection of a user whose tokens were just revoked. Closing runs $disconnect, which removes the
 * records; a connection found gone has its records removed here, once it is old enough to be really gone.
 */
export async function closeSessions(userId: number): Promise<void> {
  const connections = await listOwnConnections(userId);
  await Promise.all(connections.map((connection) => closeRevoked(userId, connection)));
}

async function closeRevoked(userId: number, { connectionId, expiresAt }: OwnConnection): Promise<void> {
  const ageSeconds = Date.now() / 1000 - (expiresAt - CONNECTION_TTL_SECONDS);
  const retries = ageSeconds < OPENING_WINDOW_SECONDS ? OPENING_RETRY_DELAYS_MS : [];
  for (const delay of [0, ...retries]) {
    if (delay) await new Promise((resolve) => setTimeout(resolve, delay));
    if ((await disconnect(connectionId)) !== 'gone') return; // closed, or failed (logged; its frames are refused anyway)
  }
  await deleteConnection(userId, connectionId);
}
