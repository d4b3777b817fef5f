import { NotFoundError } from '../errors.ts';
import { logger } from '../observability.ts';
import { deleteConnection, listConnections, type LiveConnection } from '../data/connections.ts';
import { advanceReadMarker } from '../data/conversations.ts';
import { countUnreadAfter, getMessage, markReceived, type MessageRecord } from '../data/messages.ts';
import { push, pushAll, type PushOutcome, type ServerFrame } from '../ws/push.ts';
import { resolveAudience } from './conversations.ts';
import { storeNewMessage, toMessageView, type MessageView, type SendInput } from './messages.ts';
import { headImage } from '../data/images.ts';
import { checkImageKey, checkImageUploaded, withImageUrls } from './images.ts';
import { consume } from './limits.ts';
import { config } from '../config.ts';

/**
 * Live delivery: the one place that sends messages, read markers and typing to members' connections, for the
 * WebSocket actions and POST /message/send alike. `origin` is the connection a message came from, if any.
 */

/**
 * Round trip 1 reads the conversation and the sender's blockers (and, for an image, checks its upload arrived) and
 * counts the send against the sender's rate limit;
 * round trip 2 stores the message while it looks up the visible members' connections; then the pushes. A duplicate
 * (same clientMessageId) is acked again to the origin and pushed to nobody else, since they had it the first time.
 * (Left open: when the first attempt's store timed out yet committed, its client was told 503 and nobody was pushed;
 * the resend is acked and the members catch up from history.)
 * Returns the message as clients see it (image messages with their download URL).
 */
export async function sendMessage(senderId: number, input: SendInput, origin?: string): Promise<{ message: MessageView; duplicate: boolean }> {
  const isImage = input.type === 'image';
  if (isImage) checkImageKey(input.content, input.conversationId, senderId);
  const [audience, image] = await Promise.all([
    resolveAudience(senderId, input.conversationId),
    isImage ? headImage(input.content) : undefined,
    consume(config.limits.messageSend, String(senderId)),
  ]);
  if (isImage) checkImageUploaded(image);
  const [stored, connections] = await Promise.all([storeNewMessage(senderId, input, audience), listConnections(audience.visibleTo).catch(unlisted)]);
  const [view] = await withImageUrls([toMessageView(stored.message)]);
  const ack = { event: 'ack', clientMessageId: input.clientMessageId ?? null, message: view! } as const;
  if (stored.duplicate || !connections) {
    if (origin) await push(origin, ack);
    return { message: view!, duplicate: stored.duplicate };
  }
  const stampReceived = audience.conversation.type === 'single' ? onceDeliveredTo(senderId, stored.message) : undefined;
  await broadcast(connections, (target) => (target.connectionId === origin ? ack : { event: 'message', message: view! }), origin, stampReceived);
  return { message: view!, duplicate: false };
}

/**
 * A stored message is acknowledged even when its members' connections could not be listed: failing the send would
 * only make the client resend what is already stored. The members get it from history, as after a failed push.
 */
function unlisted(error: Error): undefined {
  logger.warn('connections not listed: message stored, not pushed', { error: error.name });
  return undefined;
}

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
async function broadcast(connections: LiveConnection[], frameFor: (target: LiveConnection) => ServerFrame, origin?: string, afterSent?: AfterSent): Promise<void> {
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

type AfterSent = (target: LiveConnection) => Promise<void> | undefined;

/** received_at is stamped once, when a push first reaches the other member of a single conversation. */
function onceDeliveredTo(senderId: number, message: MessageRecord): AfterSent {
  let stamped = false;
  return (target) => {
    if (stamped || target.userId === senderId) return undefined;
    stamped = true;
    return markReceived(message.conversationId, message.id, new Date().toISOString());
  };
}
