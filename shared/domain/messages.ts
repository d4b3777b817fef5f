import { newId } from '../ids.ts';
import { ForbiddenError, ValidationError } from '../errors.ts';
import { getConversation } from '../data/conversations.ts';
import { getMessage, queryMessages, storeMessage, type MessageRecord, type MessageType } from '../data/messages.ts';
import { checkMember, type Audience } from './conversations.ts';

/** A message as clients see it (the seed's Messages model). */
export type MessageView = {
  id: number;
  conversation_id: number;
  sender_id: number;
  content: string;
  type: MessageType;
  sent_at: string;
  received_at: string | null;
  clientMessageId?: string;
  /** Image messages, once passed through withImageUrls (shared/domain/images.ts): a short-lived GET link. */
  url?: string;
};

export function toMessageView(message: MessageRecord): MessageView {
  return {
    id: message.id,
    conversation_id: message.conversationId,
    sender_id: message.senderId,
    content: message.content,
    type: message.type,
    sent_at: message.sentAt,
    received_at: message.receivedAt ?? null,
    ...(message.clientMessageId ? { clientMessageId: message.clientMessageId } : {}),
  };
}

export type SendInput = { conversationId: number; content: string; type: MessageType; clientMessageId?: string };
export type StoreResult = { message: MessageRecord; duplicate: boolean };

/**
 * Stores a message (before anything is pushed, so a failed push never loses it) in one transaction, hidden from
 * the members who block the sender. A resend with the same clientMessageId returns the stored original instead
 * of storing twice. Sending goes through shared/domain/delivery.ts, which also pushes.
 */
export async function storeNewMessage(senderId: number, input: SendInput, audience: Audience): Promise<StoreResult> {
  const { hiddenFrom } = audience;
  for (;;) {
    const message: MessageRecord = {
      id: newId(),
      conversationId: input.conversationId,
      senderId,
      content: input.content,
      type: input.type,
      sentAt: new Date().toISOString(),
      ...(input.clientMessageId ? { clientMessageId: input.clientMessageId } : {}),
      ...(hiddenFrom.length ? { hiddenFrom } : {}),
    };
    const outcome = await storeMessage(message);
    if (outcome.stored) return { message, duplicate: false };
    if (outcome.reason === 'not-member') throw new ForbiddenError('你不是该会话的成员');
    if (outcome.reason === 'duplicate') {
      const original = await getMessage(input.conversationId, outcome.originalId);
      if (original) return { message: original, duplicate: true };
    }
    // 'id-taken' (or a guard left by a message that no longer exists): draw a new id and store again.
  }
}

export type HistoryQuery = { limit: number; before?: number; after?: number };

/**
 * A page of history, oldest first. Without a cursor, the newest page; `before` pages back in time, `after`
 * catches up forward. `next_cursor` continues in the same direction, null at the end. Messages hidden from the
 * caller (sent by someone they block) are left out.
 */
export async function getHistory(callerId: number, conversationId: number, query: HistoryQuery): Promise<{ messages: MessageRecord[]; next_cursor: number | null }> {
  if (query.before !== undefined && query.after !== undefined && query.after >= query.before) {
    throw new ValidationError('after 必须小于 before', 'after');
  }
  const [conversation, page] = await Promise.all([getConversation(conversationId), queryMessages(conversationId, query)]);
  checkMember(conversation, callerId);
  const forward = query.after !== undefined;
  const edge = forward ? page.messages.at(-1) : page.messages[0];
  return {
    messages: page.messages.filter((m) => !m.hiddenFrom?.includes(callerId)),
    next_cursor: page.hasMore && edge ? edge.id : null,
  };
}
