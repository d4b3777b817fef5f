import { ForbiddenError, NotFoundError, ValidationError } from '../errors.ts';
import { logger } from '../observability.ts';
import { deleteConnection, listConnections, type LiveConnection } from '../data/connections.ts';
import { advanceReadMarker, getConversation, getMembership, type ConversationRecord, type MembershipRecord } from '../data/conversations.ts';
import { getMessage, getMessageById } from '../data/messages.ts';
import { disconnect, push, pushAll, type PushOutcome, type ServerFrame } from '../ws/push.ts';
import { resolveAudience, type Audience } from './membership.ts';
import { roleOf } from './conversations.ts';
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
 * Three sequential DynamoDB round trips before the first push, whatever the group's size:
 *   1. the sender's membership (the membership check, their read state and recent client ids), the roster, the
 *      sender's blockers, and the rate-limit counter (for an image, a HEAD of its upload), all in parallel;
 *   2. the conversation item hands out the seq, while the visible members' connections are looked up;
 *   3. the message, the sender's membership (and each blocker's) are written in parallel.
 * A duplicate (same clientMessageId) is acked again to the origin and pushed to nobody else, since they had it the
 * first time. (Left open: when the first attempt's store timed out yet committed, its client was told 503 and nobody
 * was pushed; the resend is acked and the members catch up from history, which seq gaps now make them do.)
 * Returns the message as clients see it (image messages with their download URL).
 */
export async function sendMessage(senderId: number, input: SendInput, origin?: string): Promise<{ message: MessageView; duplicate: boolean }> {
  const isImage = input.type === 'image';
  if (isImage) checkImageKey(input.content, input.conversationId, senderId);
  const [audience, image, conversation] = await Promise.all([
    resolveAudience(senderId, input.conversationId),
    isImage ? headImage(input.content) : undefined,
    input.mentionAll ? getConversation(input.conversationId) : undefined,
    consume(config.limits.messageSend, String(senderId)),
  ]);
  if (isImage) checkImageUploaded(image);
  checkMentions(senderId, input, audience, conversation);
  const [stored, connections] = await Promise.all([storeNewMessage(senderId, input, audience), listConnections(audience.visibleTo).catch(unlisted)]);
  const [view] = await withImageUrls([toMessageView(stored.message)]);
  const ack = { event: 'ack', clientMessageId: input.clientMessageId ?? null, message: view! } as const;
  if (stored.duplicate || !connections) {
    if (origin) await push(origin, ack);
    return { message: view!, duplicate: stored.duplicate };
  }
  await broadcast(connections, (target) => (target.connectionId === origin ? ack : { event: 'message', message: view! }), origin);
  return { message: view!, duplicate: false };
}

/**
 * Mentions name members only (400 otherwise); @所有人 is for a group's owner and admins (403 for anyone else, 400
 * in a single conversation). The conversation item is read, alongside the send's first reads, only for @所有人.
 */
function checkMentions(senderId: number, input: SendInput, audience: Audience, conversation: ConversationRecord | undefined): void {
  const members = new Set([...audience.visibleTo, ...audience.hiddenFrom]);
  const stranger = input.mentions?.find((id) => !members.has(id));
  if (stranger !== undefined) throw new ValidationError(`只能 @ 会话成员: ${stranger} 不是成员`, 'mentions');
  if (!input.mentionAll) return;
  if (conversation?.type !== 'group') throw new ValidationError('只有群聊可以 @所有人', 'mentionAll');
  if (roleOf(conversation, senderId) === 'member') throw new ForbiddenError('只有群主和管理员可以 @所有人');
}

/**
 * A stored message is acknowledged even when its members' connections could not be listed: failing the send would
 * only make the client resend what is already stored. The members get it from history, as after a failed push.
 */
function unlisted(error: Error): undefined {
  logger.warn('connections not listed: message stored, not pushed', { error: error.name });
  return undefined;
}

export type ReadMarker = { messageId: number; seq?: undefined } | { seq: number; messageId?: undefined };

/**
 * Moves the caller's read marker to the message (forward only) and tells the others, with its seq. Constant cost
 * whatever the conversation's length: the membership, the conversation's last seq and the message are Gets, and
 * unread is derived from the marker (lastSeq − readSeq − the not-unread seqs above it). A marker that does not move
 * writes nothing and tells nobody.
 */
export async function markRead(userId: number, conversationId: number, marker: ReadMarker): Promise<void> {
  const [audience, conversation, bySeq] = await Promise.all([
    resolveAudience(userId, conversationId),
    getConversation(conversationId, true),
    marker.seq !== undefined ? getMessage(conversationId, marker.seq) : undefined,
  ]);
  const message = marker.seq !== undefined ? bySeq : await getMessageById(conversationId, marker.messageId, conversation?.lastSeq ?? 0);
  if (!message || message.hiddenFrom?.includes(userId)) throw new NotFoundError('消息不存在');
  const [moved, connections] = await Promise.all([
    moveReadMarker(audience.membership, message.seq),
    listConnections(audience.visibleTo.filter((id) => id !== userId)),
  ]);
  if (!moved) return; // a replayed or older markRead: nothing changed, nothing to tell
  await broadcast(connections, () => ({ event: 'read', conversationId, userId, messageId: message.id, seq: message.seq }));
}

/** Forward only, retried when a send or another read of the same member changed the item in between. */
async function moveReadMarker(read: MembershipRecord, seq: number): Promise<boolean> {
  let membership: MembershipRecord | undefined = read;
  for (let attempt = 0; attempt < 4 && membership; attempt++) {
    if (seq <= membership.readSeq) return false;
    if (await advanceReadMarker(membership.userId, membership.conversationId, membership, seq)) return true;
    membership = await getMembership(read.userId, read.conversationId);
  }
  throw new Error('read marker kept changing');
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

type AfterSent = (target: LiveConnection) => Promise<void> | undefined;
