import { logger } from '../observability.ts';
import { listConnections } from '../data/connections.ts';
import { markReceived, type MessageRecord } from '../data/messages.ts';
import { headImage } from '../data/images.ts';
import { push } from '../ws/push.ts';
import { resolveAudience } from './conversations.ts';
import { storeNewMessage, toMessageView, type MessageView, type SendInput } from './messages.ts';
import { checkImageKey, checkImageUploaded, withImageUrls } from './images.ts';
import { broadcast, type AfterSent } from './delivery.ts';
import { consume } from './limits.ts';
import { config } from '../config.ts';

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

/** received_at is stamped once, when a push first reaches the other member of a single conversation. */
function onceDeliveredTo(senderId: number, message: MessageRecord): AfterSent {
  let stamped = false;
  return (target) => {
    if (stamped || target.userId === senderId) return undefined;
    stamped = true;
    return markReceived(message.conversationId, message.id, new Date().toISOString());
  };
}
