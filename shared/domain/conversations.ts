import { createHash } from 'node:crypto';
import { newId } from '../ids.ts';
import { ForbiddenError, NotFoundError, ServiceUnavailableError, ValidationError } from '../errors.ts';
import { config } from '../config.ts';
import { getUsers } from '../data/users.ts';
import { listBlockers } from '../data/blocks.ts';
import { presignDownload } from '../data/images.ts';
import {
  getConversation,
  getConversations,
  getPairConversationId,
  listMemberIds,
  listMemberships,
  listRoster,
  MEMBER_PREVIEW_MAX,
  putGroupConversation,
  putSingleConversation,
  type ConversationRecord,
  type GroupFields,
  type MembershipRecord,
  type NewConversation,
} from '../data/conversations.ts';
import { fromLastMessage } from '../data/messages.ts';
import { toMessageView, type MessageView } from './messages.ts';
import { requireMembership } from './membership.ts';
import { checkInviteConsent } from './consent.ts';
import { consume } from './limits.ts';

/** What a group's object adds to the seed's conversation shape. */
export type GroupView = {
  name: string | null;
  owner_id: number;
  admins: number[];
  member_count: number;
  announcement: string;
  avatar_url: string | null;
  invite: GroupFields['invite'];
};

/** A conversation as the caller sees it: `members` are the other members (the seed's shape); groups add GroupView. */
export type ConversationView = { id: number; type: 'single' | 'group'; members: number[] } & Partial<GroupView>;

/** A group's own fields as clients see them (the avatar as a short-lived GET link). */
export async function groupView(conversation: ConversationRecord): Promise<GroupView> {
  return {
    name: conversation.name ?? null,
    owner_id: conversation.ownerId ?? conversation.createdBy,
    admins: conversation.admins ?? [],
    member_count: conversation.memberCount,
    announcement: conversation.announcement ?? '',
    avatar_url: conversation.avatarKey ? await presignDownload(conversation.avatarKey) : null,
    invite: conversation.invite ?? 'all',
  };
}

/** A conversation object for one member: the other members (a group's first ones, as getlist) and, for groups, GroupView. */
export async function conversationViewFor(conversation: ConversationRecord, memberIds: readonly number[], viewerId: number): Promise<ConversationView> {
  const members = others(memberIds, viewerId).slice(0, MEMBER_PREVIEW_MAX - 1);
  return { id: conversation.id, type: conversation.type, members, ...(conversation.type === 'group' ? await groupView(conversation) : {}) };
}
export type ConversationListItem = ConversationView & {
  last_message: MessageView | null;
  unread: number;
  /** An unread message @-mentions the caller or everyone. */
  mentioned: boolean;
  last_seq: number;
  read_seq: number;
  created_at: string;
  updated_at: string;
};

const others = (memberIds: readonly number[], callerId: number) => memberIds.filter((id) => id !== callerId);

function newView(conversation: NewConversation, callerId: number): ConversationView {
  const members = others(conversation.memberIds, callerId);
  if (conversation.type === 'single') return { id: conversation.id, type: 'single', members };
  const { name = null, ownerId = callerId, admins = [], announcement = '', invite = 'all' } = conversation;
  return { id: conversation.id, type: 'group', members, name, owner_id: ownerId, admins, member_count: conversation.memberIds.length, announcement, avatar_url: null, invite };
}

/**
 * One other user: the single conversation with them (found, or created once even under concurrent calls).
 * Several: a new group, owned by the caller, counted against their group-creation limit. Every user must exist,
 * none may have blocked the caller, and each must accept being put in a group by the caller (their groupInvites).
 */
export async function createConversation(callerId: number, contactIds: readonly number[], name?: string): Promise<{ conversation: ConversationView; created: boolean }> {
  const ids = [...new Set(contactIds)];
  if (ids.includes(callerId)) throw new ValidationError('会话成员不能包含自己', 'contactId');
  const single = ids.length === 1;
  if (single && name !== undefined) throw new ValidationError('单聊没有名称', 'name');
  const [users, blockers, pairId, consent] = await Promise.all([
    getUsers(ids),
    listBlockers(callerId),
    single ? getPairConversationId(callerId, ids[0]!) : undefined,
    single ? undefined : checkInviteConsent(callerId, ids),
    single ? undefined : consume(config.limits.groupCreate, String(callerId)),
  ]);
  const missing = ids.find((id) => !users.has(id));
  if (missing !== undefined) throw new NotFoundError(`用户 ${missing} 不存在`);
  if (ids.some((id) => blockers.has(id))) throw new ForbiddenError('对方已屏蔽你，无法创建会话', 'BLOCKED');
  if (single) return findOrCreateSingle(callerId, ids[0]!, pairId);
  consent!(users);

  const now = new Date().toISOString();
  const group: NewConversation = {
    id: newId(), type: 'group', memberIds: [callerId, ...ids], createdBy: callerId, createdAt: now, lastActivityAt: now,
    name: name ?? null, ownerId: callerId, admins: [], announcement: '', avatarKey: null, invite: 'all', version: 0,
  };
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
export type ConversationPage = { conversations: ConversationListItem[]; next_cursor: string | null };

/**
 * A page of the caller's conversations, most recently active first. The cursor is the last item's place in that
 * order (its activity time and id), so a page continues exactly after it: a conversation that gets a message
 * meanwhile moves to the top of the first page and is neither repeated nor lost among the later pages.
 */
export async function listConversations(callerId: number, page: { limit: number; cursor?: string }): Promise<ConversationPage> {
  const after = page.cursor === undefined ? undefined : decodeListCursor(page.cursor);
  const memberships = await listMemberships(callerId);
  // A disbanded group whose member items an add was still writing is not the caller's any more.
  const byId = new Map((await getConversations(memberships.map((m) => m.conversationId))).filter((c) => !c.disbanded).map((c) => [c.id, c]));
  const items = await Promise.all(memberships.flatMap((m) => {
    const conversation = byId.get(m.conversationId);
    return conversation ? [listItem(conversation, m, callerId)] : [];
  }));
  const ordered = items.sort(newestFirst).filter((item) => !after || newestFirst(item, { updated_at: after.t, id: after.id }) > 0);
  const shown = ordered.slice(0, page.limit);
  const last = shown.at(-1);
  return { conversations: shown, next_cursor: ordered.length > page.limit && last ? encodeListCursor(last.updated_at, last.id) : null };
}

const newestFirst = (a: { updated_at: string; id: number }, b: { updated_at: string; id: number }) => b.updated_at.localeCompare(a.updated_at) || b.id - a.id;

/** The cursor: base64url of its place and a checksum, so an edited cursor is a 400, not a silently wrong page. */
function encodeListCursor(t: string, id: number): string {
  const body = JSON.stringify({ t, id });
  return Buffer.from(`${body}|${checksum(body)}`).toString('base64url');
}

function decodeListCursor(cursor: string): { t: string; id: number } {
  const bad = () => new ValidationError('cursor 无效', 'cursor');
  const [body, sum] = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  if (!body || sum !== checksum(body)) throw bad();
  const place = (() => {
    try {
      return JSON.parse(body) as { t?: unknown; id?: unknown };
    } catch {
      return {};
    }
  })();
  if (typeof place.t !== 'string' || Number.isNaN(Date.parse(place.t)) || !Number.isSafeInteger(place.id)) throw bad();
  return { t: place.t, id: place.id as number };
}

const checksum = (body: string) => createHash('sha256').update(`getlist:${body}`).digest('base64url').slice(0, 12);

/** An unread @所有人 that reaches the caller (not their own, not hidden from them). */
function mentionsEveryone(conversation: ConversationRecord, callerId: number, readSeq: number): boolean {
  const from = conversation.mentionAllFrom;
  return (conversation.mentionAllSeq ?? 0) > readSeq && from !== undefined && from.senderId !== callerId && !from.hiddenFrom?.includes(callerId);
}

async function listItem(conversation: ConversationRecord, membership: MembershipRecord, callerId: number): Promise<ConversationListItem> {
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
    ...(conversation.type === 'group' ? await groupView(conversation) : {}),
    last_message: newest ? toMessageView(fromLastMessage(conversation.id, newest, newest.seq)) : null,
    unread: Math.max(0, lastSeq - readSeq - notUnread),
    mentioned: (membership.mentionedSeq ?? 0) > readSeq || mentionsEveryone(conversation, callerId, readSeq),
    last_seq: lastSeq,
    read_seq: readSeq,
    created_at: conversation.createdAt,
    updated_at: newest ? newest.sentAt : hiddenNewest ? conversation.createdAt : conversation.lastActivityAt,
  };
}

export type Role = 'owner' | 'admin' | 'member';
export type MemberView = { id: number; userId: number; username: string; nickname: string; role: Role; joined_at: string };

/** A member's role: the group's owner and admins are on its META item; everyone in a single conversation is a member. */
export function roleOf(conversation: ConversationRecord, userId: number): Role {
  if (conversation.type !== 'group') return 'member';
  if ((conversation.ownerId ?? conversation.createdBy) === userId) return 'owner';
  return conversation.admins?.includes(userId) ? 'admin' : 'member';
}

/**
 * The other members of a conversation the caller belongs to, with role and join time: the membership, the roster
 * and the conversation item in parallel, then one BatchGet wave of the users.
 */
export async function listOtherMembers(callerId: number, conversationId: number): Promise<MemberView[]> {
  const [, roster, conversation] = await Promise.all([requireMembership(callerId, conversationId), listRoster(conversationId), getConversation(conversationId, true)]);
  const entries = roster.filter((entry) => entry.userId !== callerId);
  const users = await getUsers(entries.map((entry) => entry.userId));
  return entries.flatMap(({ userId: id, joinedAt }) => {
    const user = users.get(id);
    return user && conversation ? [{ id, userId: id, username: user.username, nickname: user.nickname, role: roleOf(conversation, id), joined_at: joinedAt }] : [];
  });
}
