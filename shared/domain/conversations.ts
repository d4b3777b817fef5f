import { newId } from '../ids.ts';
import { ForbiddenError, NotFoundError, ServiceUnavailableError, ValidationError } from '../errors.ts';
import { getUsers } from '../data/users.ts';
import { listBlockers } from '../data/blocks.ts';
import {
  getConversation,
  getConversations,
  getPairConversationId,
  listMemberships,
  putGroupConversation,
  putSingleConversation,
  type ConversationRecord,
} from '../data/conversations.ts';
import { toMessageView, type MessageView } from './messages.ts';

/** A conversation as the caller sees it: `members` are the other members (the seed's shape). */
export type ConversationView = { id: number; type: 'single' | 'group'; members: number[] };
export type ConversationListItem = ConversationView & { last_message: MessageView | null; unread: number; created_at: string; updated_at: string };

const others = (memberIds: readonly number[], callerId: number) => memberIds.filter((id) => id !== callerId);

function toView(conversation: ConversationRecord, callerId: number): ConversationView {
  return { id: conversation.id, type: conversation.type, members: others(conversation.memberIds, callerId) };
}

/**
 * One other user: the single conversation with them (found, or created once even under concurrent calls).
 * Several: a new group. Every user must exist, and none may have blocked the caller.
 */
export async function createConversation(callerId: number, contactIds: readonly number[]): Promise<{ conversation: ConversationView; created: boolean }> {
  const ids = [...new Set(contactIds)];
  if (ids.includes(callerId)) throw new ValidationError('会话成员不能包含自己', 'contactId');
  const single = ids.length === 1;
  const [users, blockers, pairId] = await Promise.all([
    getUsers(ids),
    listBlockers(callerId),
    single ? getPairConversationId(callerId, ids[0]!) : undefined,
  ]);
  const missing = ids.find((id) => !users.has(id));
  if (missing !== undefined) throw new NotFoundError(`用户 ${missing} 不存在`);
  if (ids.some((id) => blockers.has(id))) throw new ForbiddenError('对方已屏蔽你，无法创建会话', 'BLOCKED');
  if (single) return findOrCreateSingle(callerId, ids[0]!, pairId);

  const now = new Date().toISOString();
  const group: ConversationRecord = { id: newId(), type: 'group', memberIds: [callerId, ...ids], createdBy: callerId, createdAt: now, lastActivityAt: now, messageCount: 0 };
  await putGroupConversation(group);
  return { conversation: toView(group, callerId), created: true };
}

async function findOrCreateSingle(callerId: number, otherId: number, knownId: number | undefined) {
  let existingId = knownId;
  for (let attempt = 0; attempt < 8; attempt++) {
    if (existingId !== undefined) {
      return { conversation: { id: existingId, type: 'single' as const, members: [otherId] }, created: false };
    }
    const now = new Date().toISOString();
    const single: ConversationRecord = { id: newId(), type: 'single', memberIds: [callerId, otherId], createdBy: callerId, createdAt: now, lastActivityAt: now, messageCount: 0 };
    if ((await putSingleConversation(single)) === 'created') return { conversation: toView(single, callerId), created: true };
    // Someone else's transaction for the same pair won or is in flight: read theirs, backing off a little.
    await new Promise((resolve) => setTimeout(resolve, 10 + Math.random() * 40 * (attempt + 1)));
    existingId = await getPairConversationId(callerId, otherId);
  }
  throw new ServiceUnavailableError();
}

/** The caller's conversations, most recently active first: one Query plus one parallel BatchGet wave. */
export async function listConversations(callerId: number): Promise<ConversationListItem[]> {
  const memberships = await listMemberships(callerId);
  const readCounts = new Map(memberships.map((m) => [m.conversationId, m.readCount ?? 0]));
  const conversations = await getConversations(memberships.map((m) => m.conversationId));
  return conversations
    .filter((c) => c.memberIds.includes(callerId))
    .sort((a, b) => b.lastActivityAt.localeCompare(a.lastActivityAt) || b.id - a.id)
    .map((c) => ({
      ...toView(c, callerId),
      last_message: c.lastMessage && !c.lastMessage.hiddenFrom?.includes(callerId) ? toMessageView(c.lastMessage) : null,
      unread: Math.max(0, c.messageCount - (readCounts.get(c.id) ?? 0)),
      created_at: c.createdAt,
      updated_at: c.lastActivityAt,
    }));
}

/** The conversation, if the caller is a member: 404 when it does not exist, 403 when the caller is not in it. */
export async function requireMembership(callerId: number, conversationId: number): Promise<ConversationRecord> {
  const conversation = await getConversation(conversationId);
  return checkMember(conversation, callerId);
}

export function checkMember(conversation: ConversationRecord | undefined, callerId: number): ConversationRecord {
  if (!conversation) throw new NotFoundError('会话不存在');
  if (!conversation.memberIds.includes(callerId)) throw new ForbiddenError('你不是该会话的成员');
  return conversation;
}

/** Who a user's message, typing or read event reaches: every member except those who block the user. */
export type Audience = { conversation: ConversationRecord; visibleTo: number[]; hiddenFrom: number[] };

/** One round trip: the conversation and the user's blockers, read in parallel. */
export async function resolveAudience(userId: number, conversationId: number): Promise<Audience> {
  const [found, blockers] = await Promise.all([getConversation(conversationId), listBlockers(userId)]);
  const conversation = checkMember(found, userId);
  return {
    conversation,
    visibleTo: conversation.memberIds.filter((id) => !blockers.has(id)),
    hiddenFrom: conversation.memberIds.filter((id) => blockers.has(id)),
  };
}

export type MemberView = { id: number; userId: number; username: string; nickname: string };

/** The other members of a conversation the caller belongs to. */
export async function listOtherMembers(callerId: number, conversationId: number): Promise<MemberView[]> {
  const conversation = await requireMembership(callerId, conversationId);
  const otherIds = others(conversation.memberIds, callerId);
  const users = await getUsers(otherIds);
  return otherIds.flatMap((id) => {
    const user = users.get(id);
    return user ? [{ id, userId: id, username: user.username, nickname: user.nickname }] : [];
  });
}
