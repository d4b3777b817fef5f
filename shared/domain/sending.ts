import { ForbiddenError, ValidationError } from '../errors.ts';
import { logger } from '../observability.ts';
import { listConnections } from '../data/connections.ts';
import { getConversation, type ConversationRecord } from '../data/conversations.ts';
import { headImage } from '../data/images.ts';
import { push } from '../ws/push.ts';
import { resolveAudience, type Audience } from './membership.ts';
import { roleOf } from './conversations.ts';
import { storeNewMessage, toMessageView, type MessageView, type SendInput } from './messages.ts';
import { checkImageKey, checkImageUploaded, withImageUrls } from './images.ts';
import { broadcast } from './broadcast.ts';
import { queueFanOut, shouldQueue } from './fan-out.ts';
import type { LiveConnection } from '../data/connections.ts';
import type { ServerFrame } from '../ws/push.ts';
import { admit, consume } from './limits.ts';
import { config } from '../config.ts';

/*
 * Sending a message, for the WebSocket action and POST /message/send alike. Its own module because it alone of the
 * delivery paths touches images: the other routes bundle no S3.
 */

/**
 * Three sequential DynamoDB round trips before the first push, whatever the group's size:
 *   1. the sender's membership (the membership check, their read state and recent client ids), the roster, the
 *      sender's blockers, and the rate-limit counter (for an image, a HEAD of its upload), all in parallel;
 *   2. the conversation item hands out the seq, while the visible members' connections are looked up;
 *   3. the message, the sender's membership (and each blocker's) are written in parallel, and the roster is read
 *      again, strongly consistent: only those still members once the seq was taken are pushed to, so a member
 *      removed before this message (whose removal has a lower seq) never gets it, whatever the race.
 * A duplicate (same clientMessageId) is acked again to the origin and pushed to nobody else, since they had it the
 * first time. (Left open: when the first attempt's store timed out yet committed, its client was told 503 and nobody
 * was pushed; the resend is acked and the members catch up from history, which seq gaps now make them do.)
 * Returns the message as clients see it (image messages with their download URL).
 */
export async function sendMessage(senderId: number, input: SendInput, origin?: string): Promise<{ message: MessageView; duplicate: boolean }> {
  if (input.type === 'image') checkImageKey(input.content, input.conversationId, senderId);
  // A hot conversation whose window this container has filled (or has that many sends of on their way) is refused
  // before any I/O: a burst then sends only the window's worth on to the table, and the rest are told retryAfter.
  const place = admit(config.limits.conversationSend, String(input.conversationId));
  try {
    const sent = await storeAndDeliver(senderId, input, origin);
    if (!sent.duplicate) place.keep(); // its seq was taken, and with it a place in the table's window
    return sent;
  } finally {
    place.release(); // a send that failed, or a resend, took no place in the window
  }
}

async function storeAndDeliver(senderId: number, input: SendInput, origin?: string): Promise<{ message: MessageView; duplicate: boolean }> {
  const isImage = input.type === 'image';
  const [audience, image, conversation] = await Promise.all([
    resolveAudience(senderId, input.conversationId),
    isImage ? headImage(input.content) : undefined,
    input.mentionAll ? getConversation(input.conversationId) : undefined,
    consume(config.limits.messageSend, String(senderId)),
  ]);
  if (isImage) checkImageUploaded(image);
  checkMentions(senderId, input, audience, conversation);
  const [stored, listed] = await Promise.all([storeNewMessage(senderId, input, audience), listConnections(audience.visibleTo).catch(unlisted)]);
  const [view] = await withImageUrls([toMessageView(stored.message)]);
  const ack = { event: 'ack', clientMessageId: input.clientMessageId ?? null, message: view! } as const;
  if (stored.duplicate || !listed || !stored.reach) {
    if (origin) await push(origin, ack);
    return { message: view!, duplicate: stored.duplicate };
  }
  const { memberIds, version } = stored.reach;
  const connections = listed.filter((c) => memberIds.has(c.userId) || c.connectionId === origin);
  const frame = { event: 'message', message: view! } as const;
  if (shouldQueue(connections)) await deliverThroughQueue(input.conversationId, version, connections, frame, ack, origin);
  else await broadcast(connections, (target) => (target.connectionId === origin ? ack : frame), origin);
  return { message: view!, duplicate: false };
}

/**
 * A large audience: the ack goes out while the other connections are queued in shards for the fan-out function, so
 * the sender waits for neither the pushes nor their retries. If the queue refuses them, they are pushed from here.
 */
async function deliverThroughQueue(conversationId: number, version: number, connections: LiveConnection[], frame: ServerFrame, ack: ServerFrame, origin?: string): Promise<void> {
  const others = connections.filter((c) => c.connectionId !== origin);
  const queued = queueFanOut(conversationId, version, others, frame).then(() => true, (error: Error) => {
    logger.error('fan-out not queued: pushing inline', { conversationId, connections: others.length, error });
    return false;
  });
  const [wasQueued] = await Promise.all([queued, origin ? push(origin, ack) : undefined]);
  if (!wasQueued) await broadcast(others, () => frame);
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
