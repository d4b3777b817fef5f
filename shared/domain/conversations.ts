import { newId } from '../ids.ts';
import { ForbiddenError, NotFoundError, ServiceUnavailableError, ValidationError } from '../errors.ts';
import { getUsers } from '../data/users.ts';
import { listBlockers } from '../data/blocks.ts';
import {
  getConversations,
  getPairConversationId,
  listMemberIds,
  listMemberships,
  MEMBER_PREVIEW_MAX,
  putGroupConversation,
  putSingleConversation,
  type ConversationRecord,
  type MembershipRecord,
  type NewConversation,
} from '../data/conversations.ts';
import { fromLastMessage } from '../data/messages.ts';
import { toMessageView, type MessageView } from './messages.ts';
import { requireMembership } from './membership.ts';

/** A conversation as the caller sees it: `members` are the other members (the seed's shape). */
export type ConversationView = { id: number; type: 'single' | 'group'; members: number[]; member_count?: number };
export type ConversationListItem = ConversationView & {
  last_message: MessageView | null;
  unread: number;
  last_seq: number;
  read_seq: number;
  created_at: string;
  updated_at: string;
};

const others = (memberIds: readonly number[], callerId: number) => memberIds.filter((id) => id !== callerId);

function newView(conversation: NewConversation, callerId: number): ConversationView {
  const members = others(conversation.memberIds, callerId);
  return { id: conversation.id, type: conversation.type, members, ...(conversation.type === 'group' ? { member_count: conversation.memberIds.length } : {}) };
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
  const group: NewConversation = { id: newId(), type: 'group', memberIds: [callerId, ...ids], createdBy: callerId, createdAt: now, lastActivityAt: now };
  await putGroupConversation(group);
  return { conversation: newView(group, callerId), created: true };
}

async function findOrCreateSingle(callerId: number, otherId: number, knownId: number | undefined) {
  let existingId = knownId;
  for (let attempt = 0; attempt < 8; attempt++) {
    if (existingId !== undefined) {
      return { conversation: { id: existingId, type: 'single' as const, members: [otherId] }, created: false };
    }
    const now = new Date().toISOString();
    const single: NewConversation = { id: newId(), type: 'single', memberIds: [callerId, otherId], createdBy: callerId, createdAt: now, lastActivityAt: now };
    if ((await putSingleConversation(single)) === 'created') return { conversation: newView(single, callerId), created: true };
    // Someone else's transaction for the same pair won or is in flight: read theirs, backing off a little.
    await new Promise((resolve) => setTimeout(resolve, 10 + Math.random() * 40 * (attempt + 1)));
    existingId = await getPairConversationId(callerId, otherId);
  }
  throw new ServiceUnavailableError();
}

/**
 * The caller's conversations, most recently active first: one Query of their memberships, then one BatchGet wave of
 * the conversation items. Everything per member — read marker, unread, what a block hides — comes from the
 * membership item, so no Query over messages or members.
 */
export async function listConversations(callerId: number): Promise<ConversationListItem[]> {
  const memberships = await listMemberships(callerId);
  const byId = new Map((await getConversations(memberships.map((m) => m.conversationId))).map((c) => [c.id, c]));
  return memberships
    .flatMap((m) => {
      const conversation = byId.get(m.conversationId);
      return conversation ? [listItem(conversation, m, callerId)] : [];
    })
    .sort((a, b) => b.updated_at.localeCompare(a.updated_at) || b.id - a.id);
}

function listItem(conversation: ConversationRecord, membership: MembershipRecord, callerId: number): ConversationListItem {
  const { lastMessage, lastSeq } = conversation;
  // The newest message the caller may see: the conversation's, or, when that one is hidden from them, their own copy
  // of the one before it, so a hidden message neither moves the entry nor changes its preview.
  const hiddenNewest = lastMessage?.hiddenFrom?.includes(callerId);
  const newest = !lastMessage ? undefined : hiddenNewest ? membership.lastVisible : { ...lastMessage, seq: lastSeq };
  const readSeq = membership.readSeq ?? 0;
  const notUnread = new Set((membership.notUnread ?? []).filter((seq) => seq > readSeq)).size; // a resent write may repeat a seq
  // A group names its first members (member_count says how many; /conversation/members lists them all).
  const members = conversation.type === 'single' ? [membership.peerId!] : others(conversation.memberPreview, callerId).slice(0, MEMBER_PREVIEW_MAX - 1);
  return {
    id: conversation.id,
    type: conversation.type,
    members,
    ...(conversation.type === 'group' ? { member_count: conversation.memberCount } : {}),
    last_message: newest ? toMessageView(fromLastMessage(conversation.id, newest, newest.seq)) : null,
    unread: Math.max(0, lastSeq - readSeq - notUnread),
    last_seq: lastSeq,
    read_seq: readSeq,
    created_at: conversation.createdAt,
    updated_at: newest ? newest.sentAt : hiddenNewest ? conversation.createdAt : conversation.lastActivityAt,
  };
}

export type MemberView = { id: number; userId: number; username: string; nickname: string };

/** The other members of a conversation the caller belongs to: a Query of its roster, then one BatchGet wave. */
export async function listOtherMembers(callerId: number, conversationId: number): Promise<MemberView[]> {
  const [, memberIds] = await Promise.all([requireMembership(callerId, conversationId), listMemberIds(conversationId)]);
  const otherIds = others(memberIds, callerId);
  const users = await getUsers(otherIds);
  return otherIds.flatMap((id) => {
    const user = users.get(id);
    return user ? [{ id, userId: id, username: user.username, nickname: user.nickname }] : [];
  });
}
