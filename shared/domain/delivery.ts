import { NotFoundError } from '../errors.ts';
import { logger } from '../observability.ts';
import { deleteConnection, listConnections, type LiveConnection } from '../data/connections.ts';
import { advanceReadMarker } from '../data/conversations.ts';
import { countUnreadAfter, getMessage, markReceived, type MessageRecord } from '../data/messages.ts';
import { disconnect, push, type ServerFrame } from '../ws/push.ts';
import { broadcast, type AfterSent } from './broadcast.ts';
import { queueFanOut, shouldQueue } from './fan-out.ts';
import { resolveAudience } from './conversations.ts';
import { storeNewMessage, toMessageView, type MessageView, type SendInput } from './messages.ts';
import { headImage } from '../data/images.ts';
import { checkImageKey, checkImageUploaded, withImageUrls } from './images.ts';
import { admit, consume } from './limits.ts';
import { config } from '../config.ts';

/**
 * Live delivery: the one place that sends messages, read markers and typing to members' connections, for the
 * WebSocket actions and POST /message/send alike. `origin` is the connection a message came from, if any.
 */

/**
 * Round trip 1 reads the conversation and the sender's blockers (and, for an image, checks its upload arrived) and
 * counts the send against the sender's and the conversation's rate limits;
 * round trip 2 stores the message while it looks up the visible members' connections; then the pushes. A duplicate
 * (same clientMessageId) is acked again to the origin and pushed to nobody else, since they had it the first time.
 * (Left open: when the first attempt's store timed out yet committed, its client was told 503 and nobody was pushed;
 * the resend is acked and the members catch up from history.)
 * Returns the message as clients see it (image messages with their download URL).
 */
export async function sendMessage(senderId: number, input: SendInput, origin?: string): Promise<{ message: MessageView; duplicate: boolean }> {
  const isImage = input.type === 'image';
  if (isImage) checkImageKey(input.content, input.conversationId, senderId);
  admit(config.limits.conversationSend, String(input.conversationId)); // a full hot conversation: refused before any I/O
  const [audience, image] = await Promise.all([
    resolveAudience(senderId, input.conversationId),
    isImage ? headImage(input.content) : undefined,
    consume(config.limits.messageSend, String(senderId)),
    consume(config.limits.conversationSend, String(input.conversationId)),
  ]);
  if (isImage) checkImageUploaded(image);
  const [stored, connections] = await Promise.all([storeNewMessage(senderId, input, audience), listConnections(audience.visibleTo).catch(unlisted)]);
  const [view] = await withImageUrls([toMessageView(stored.message)]);
  const ack = { event: 'ack', clientMessageId: input.clientMessageId ?? null, message: view! } as const;
  if (stored.duplicate || !connections) {
    if (origin) await push(origin, ack);
    return { message: view!, duplicate: stored.duplicate };
  }
  const frame = { event: 'message', message: view! } as const;
  if (shouldQueue(connections)) {
    await deliverThroughQueue(input.conversationId, connections, frame, ack, origin);
    return { message: view!, duplicate: false };
  }
  const stampReceived = audience.conversation.type === 'single' ? onceDeliveredTo(senderId, stored.message) : undefined;
  await broadcast(connections, (target) => (target.connectionId === origin ? ack : frame), origin, stampReceived);
  return { message: view!, duplicate: false };
}

/**
 * A large audience: the ack goes out while the other connections are queued in shards for the fan-out function, so
 * the sender waits for neither the pushes nor their retries. If the queue refuses them, they are pushed from here.
 */
async function deliverThroughQueue(conversationId: number, connections: LiveConnection[], frame: ServerFrame, ack: ServerFrame, origin?: string): Promise<void> {
  const others = connections.filter((c) => c.connectionId !== origin);
  const queued = queueFanOut(conversationId, others, frame).then(() => true, (error: Error) => {
    logger.error('fan-out not queued: pushing inline', { conversationId, connections: others.length, error });
    return false;
  });
  const [wasQueued] = await Promise.all([queued, origin ? push(origin, ack) : undefined]);
  if (!wasQueued) await broadcast(others, () => frame);
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
  const audience = await resolveAudience(userId, conversationId);
  const connections = await listConnections(audience.visibleTo.filter((id) => id !== userId));
  await broadcast(connections, () => ({ event: 'typing', conversationId, userId }));
}

/**
 * Closes every open connection of a user whose tokens were just revoked (logout everywhere, password change): a
 * socket opened with an old token must not outlive it. Closing runs $disconnect, which removes the records; a
 * connection already gone has its records removed here.
 */
export async function closeConnections(userId: number): Promise<void> {
  const connections = await listConnections([userId]);
  await Promise.all(connections.map(async ({ connectionId }) => {
    if ((await disconnect(connectionId)) === 'gone') await deleteConnection(userId, connectionId);
  }));
}

/** received_at is stamped once, when a push first reaches the other member of a single conversation. */
function onceDeliveredTo(senderId: number, message: MessageRecord): AfterSent {
  let stamped = false;
  return (target) => {
    if (stamped || target.userId === senderId) return undefined;
    stamped = true;
    return markReceived(message.conversationId, message.id, new Date().toISOString());
  };
}
