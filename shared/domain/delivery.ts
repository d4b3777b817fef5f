import { NotFoundError } from '../errors.ts';
import { logger } from '../observability.ts';
import { deleteConnection, listConnections, type LiveConnection } from '../data/connections.ts';
import { advanceReadMarker } from '../data/conversations.ts';
import { countUnreadAfter, getMessage } from '../data/messages.ts';
import { pushAll, type PushOutcome, type ServerFrame } from '../ws/push.ts';
import { resolveAudience } from './conversations.ts';
import { consume } from './limits.ts';
import { config } from '../config.ts';

/**
 * Live delivery: the one place that pushes to members' connections (read markers and typing here, messages through
 * sending.ts), for the WebSocket actions and POST /message/send alike. `origin` is the connection a frame came
 * from, if any. Sending lives in its own module because it alone touches images: the other routes bundle no S3.
 */

/**
 * Moves the caller's read marker to the message (forward only) and tells the others. readCount becomes the
 * conversation's message count minus the unread messages after the marker, which is what `unread` in getlist subtracts.
 */
export async function markRead(userId: number, conversationId: number, messageId: number): Promise<void> {
  await consume(config.limits.markRead, String(userId)); // first: a refused frame of a flood costs one counter write, no reads
  const [audience, message, unreadAfter] = await Promise.all([resolveAudience(userId, conversationId), getMessage(conversationId, messageId), countUnreadAfter(conversationId, messageId, userId)]);
  if (!message) throw new NotFoundError('消息不存在');
  const [moved, connections] = await Promise.all([
    advanceReadMarker(userId, conversationId, messageId, Math.max(0, audience.conversation.messageCount - unreadAfter)),
    listConnections(audience.visibleTo.filter((id) => id !== userId)),
  ]);
  if (!moved) return; // a replayed or older markRead: nothing changed, nothing to tell
  await broadcast(connections, () => ({ event: 'read', conversationId, userId, messageId }));
}

/** Typing reaches the other members' connections (not those who block the typist) and is never stored. */
export async function typing(userId: number, conversationId: number): Promise<void> {
  await consume(config.limits.typing, String(userId)); // first: a refused frame of a flood costs one counter write, no reads
  const audience = await resolveAudience(userId, conversationId);
  const connections = await listConnections(audience.visibleTo.filter((id) => id !== userId));
  await broadcast(connections, () => ({ event: 'typing', conversationId, userId }));
}

/**
 * Pushes to every connection. A connection found gone (410) is deleted, except the origin's own (its $disconnect
 * is on the way); other failures are logged by push() and the message stays in history for the next catch-up.
 */
export async function broadcast(connections: LiveConnection[], frameFor: (target: LiveConnection) => ServerFrame, origin?: string, afterSent?: AfterSent): Promise<void> {
  // Writes started as pushes complete (not after all of them), awaited before returning: a Lambda is frozen after.
  const writes: Promise<void>[] = [];
  const onOutcome = (target: LiveConnection, outcome: PushOutcome) => {
    const write = outcome === 'sent' ? afterSent?.(target) : outcome === 'gone' && target.connectionId !== origin ? deleteConnection(target.userId, target.connectionId) : undefined;
    if (write) writes.push(write);
  };
  await pushAll(connections, frameFor, onOutcome);
  const results = await Promise.allSettled(writes);
  for (const result of results) if (result.status === 'rejected') logger.warn('after-push write failed', { error: (result.reason as Error).name });
}

/** A write to run once a push reached a connection (sending.ts stamps received_at with it). */
export type AfterSent = (target: LiveConnection) => Promise<void> | undefined;
