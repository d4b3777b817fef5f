import { newId } from '../ids.ts';
import { ConflictError, ForbiddenError, NotFoundError, ServiceUnavailableError, ValidationError } from '../errors.ts';
import { LIMITS } from '../limits.ts';
import { getUsers, type UserRecord } from '../data/users.ts';
import { listBlockers } from '../data/blocks.ts';
import { listConnections } from '../data/connections.ts';
import { headImage } from '../data/images.ts';
import { getConversation, listRoster, MEMBER_PREVIEW_MAX, memberItems, type ConversationRecord, type GroupFields, type RosterRecord, type SystemEvent } from '../data/conversations.ts';
import { commitGroupChange, type GroupChange } from '../data/groups.ts';
import { fromLastMessage } from '../data/messages.ts';
import { broadcast } from './broadcast.ts';
import { checkInviteConsent } from './consent.ts';
import { checkImageKey, checkImageUploaded } from './images.ts';
import { conversationViewFor, roleOf, type ConversationView, type Role } from './conversations.ts';
import { toMessageView, type MessageView } from './messages.ts';

/*
 * Running a group: adding and removing members, leaving, settings, admins, ownership and disbanding. Every change
 * is decided on the group as read in one round trip (its META item and roster, strongly consistent, plus what the
 * change needs of the users), then committed conditionally on that state (shared/data/groups.ts) together with the
 * system messages recording it; a change that lost a race reads again and is decided anew. Then the members are
 * told: the system messages, the updated conversation object, and `removed` to whoever is no longer in it.
 * Round trips: 1 read, 1 commit (with the connections listed alongside), whatever the group's size.
 */

type Group = { conversation: ConversationRecord & { version: number }; roster: Map<number, RosterRecord> };

/** What a change decides, given the group as read: undefined when there is nothing to change. */
type Decision = {
  fields?: Partial<GroupFields>;
  events: Array<{ system: SystemEvent; content: string }>;
  added?: number[];
  removed?: number[];
};

/** What a change answers: the conversation as the caller now sees it (null once they are out) and its system messages. */
export type GroupResult = { conversation: ConversationView | null; messages: MessageView[] };

/** A busy group (changes racing, messages arriving) is read again this often, with jittered backoff, before 503. */
const ATTEMPTS = 8;

/** Reads, decides and commits, again from the start when another change or a message got in between. */
async function change(callerId: number, conversationId: number, decide: (group: Group) => Decision | undefined | Promise<Decision | undefined>, extraReads: () => Promise<unknown> = async () => undefined): Promise<GroupResult> {
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, Math.random() * 25 * 2 ** Math.min(attempt, 4)));
    const [group] = await Promise.all([loadGroup(callerId, conversationId), attempt === 0 ? extraReads() : undefined]);
    const decision = await decide(group);
    if (!decision) return { conversation: await conversationViewFor(group.conversation, [...group.roster.keys()], callerId), messages: [] };
    const applied = apply(group, decision, callerId);
    const recipients = [...new Set([...group.roster.keys(), ...(decision.added ?? [])])];
    const [outcome, connections] = await Promise.all([commitGroupChange(applied.change), listConnections(recipients).catch(() => [])]);
    if (outcome === 'conflict') continue;
    await announce(applied, connections);
    return { conversation: applied.members.includes(callerId) ? await conversationViewFor(applied.conversation, applied.members, callerId) : null, messages: applied.change.messages.map(toMessageView) };
  }
  throw new ServiceUnavailableError('群组正忙，请稍后重试');
}

/** The group, its roster and the caller's place in it: 404 unknown, 403 not a member, 400 not a group. */
async function loadGroup(callerId: number, conversationId: number): Promise<Group> {
  const [conversation, roster] = await Promise.all([getConversation(conversationId, true), listRoster(conversationId)]);
  if (!conversation) throw new NotFoundError('会话不存在');
  const byId = new Map(roster.map((entry) => [entry.userId, entry]));
  if (!byId.has(callerId) || conversation.disbanded) throw new ForbiddenError('你不是该会话的成员');
  if (conversation.type !== 'group') throw new ValidationError('单聊不能进行群管理操作', 'conversationId');
  return { conversation: { ...conversation, version: conversation.version ?? 0 }, roster: byId };
}

type Applied = { change: GroupChange; conversation: ConversationRecord; members: number[]; removed: number[]; disbanded: boolean };

function apply(group: Group, decision: Decision, actorId: number): Applied {
  const { conversation, roster } = group;
  const now = new Date().toISOString();
  const added = decision.added ?? [];
  const removed = decision.removed ?? [];
  const members = [...roster.keys()].filter((id) => !removed.includes(id)).concat(added);
  const messages = decision.events.map(({ system, content }, i) => fromLastMessage(conversation.id, {
    draftId: newId(), senderId: actorId, content, type: 'system', sentAt: now, system,
  }, conversation.lastSeq + 1 + i));
  const joinedSeq = conversation.lastSeq + 1;
  const fields = { ...decision.fields, memberCount: members.length, memberPreview: members.slice(0, MEMBER_PREVIEW_MAX) };
  return {
    change: {
      conversationId: conversation.id,
      from: { version: conversation.version, lastSeq: conversation.lastSeq },
      fields,
      messages,
      added: added.map((userId) => memberItems({ id: conversation.id, type: 'group', memberIds: [] }, userId, now, joinedSeq)),
      removed,
    },
    conversation: { ...conversation, ...fields, version: conversation.version + 1, lastSeq: messages.at(-1)!.seq },
    members,
    removed,
    disbanded: Boolean(decision.fields?.disbanded),
  };
}

/**
 * Tells everyone concerned: the members (after the change) get each system message and the updated conversation;
 * those no longer in it get one `removed` (after a disband, every former member gets the message and `removed`).
 */
async function announce(applied: Applied, connections: Awaited<ReturnType<typeof listConnections>>): Promise<void> {
  const id = applied.conversation.id;
  const gone = new Set(applied.disbanded ? connections.map((c) => c.userId) : applied.removed);
  const views = applied.change.messages.map(toMessageView);
  const staying = connections.filter((c) => !gone.has(c.userId) || applied.disbanded);
  const objects = new Map<number, ConversationView>();
  if (!applied.disbanded) {
    for (const userId of new Set(staying.map((c) => c.userId))) objects.set(userId, await conversationViewFor(applied.conversation, applied.members, userId));
  }
  await Promise.all([
    ...views.map((message) => broadcast(staying, () => ({ event: 'message', message }))),
    broadcast(connections.filter((c) => gone.has(c.userId) || objects.has(c.userId)), (target) => (gone.has(target.userId)
      ? { event: 'removed', conversationId: id }
      : { event: 'conversation', conversation: objects.get(target.userId) })),
  ]);
}

const roleName: Record<Role, string> = { owner: '群主', admin: '管理员', member: '成员' };

function requireRole(group: Group, callerId: number, roles: Role[], action: string): Role {
  const role = roleOf(group.conversation, callerId);
  if (!roles.includes(role)) throw new ForbiddenError(`${roleName[role]}不能${action}`);
  return role;
}

function requireMember(group: Group, userId: number): void {
  if (!group.roster.has(userId)) throw new NotFoundError(`用户 ${userId} 不是群成员`);
}

/** How a list of users reads in a system message: nicknames, the first ten of them. */
function names(users: Map<number, UserRecord>, ids: readonly number[]): string {
  const shown = ids.slice(0, 10).map((id) => users.get(id)?.nickname ?? String(id)).join('、');
  return ids.length > 10 ? `${shown} 等 ${ids.length} 人` : shown;
}

const event = (name: string, actorId: number, userIds: number[], content: string) => ({ system: { event: name, actorId, userIds }, content });

/** Adds users: members may when `invite` is 'all', else owner and admins. Each must exist, not block the caller, and consent. */
export async function addMembers(callerId: number, conversationId: number, userIds: readonly number[]): Promise<GroupResult> {
  const ids = [...new Set(userIds)].filter((id) => id !== callerId);
  let users = new Map<number, UserRecord>();
  let blockers = new Set<number>();
  let consent: (users: Map<number, UserRecord>) => void = () => {};
  const reads = async () => {
    [users, blockers, consent] = await Promise.all([getUsers([...ids, callerId]), listBlockers(callerId), checkInviteConsent(callerId, ids)]);
  };
  return change(callerId, conversationId, (group) => {
    if (group.conversation.invite === 'admins') requireRole(group, callerId, ['owner', 'admin'], '邀请成员（仅群主和管理员可邀请）');
    const missing = ids.find((id) => !users.has(id));
    if (missing !== undefined) throw new NotFoundError(`用户 ${missing} 不存在`);
    const fresh = ids.filter((id) => !group.roster.has(id));
    if (fresh.length === 0) throw new ConflictError('ALREADY_MEMBER', '这些用户已经是群成员');
    if (fresh.some((id) => blockers.has(id))) throw new ForbiddenError('对方已屏蔽你，无法邀请入群', 'BLOCKED');
    consent(new Map(fresh.map((id) => [id, users.get(id)!])));
    if (group.roster.size + fresh.length > LIMITS.groupMembersMax) throw new ValidationError(`群成员不能超过 ${LIMITS.groupMembersMax} 人`, 'userIds');
    return { added: fresh, events: [event('member_added', callerId, fresh, `${names(users, [callerId])} 邀请 ${names(users, fresh)} 加入了群聊`)] };
  }, reads);
}

/** Removes members: the owner may remove anyone, admins only plain members. Users not in the group are ignored. */
export async function removeMembers(callerId: number, conversationId: number, userIds: readonly number[]): Promise<GroupResult> {
  const ids = [...new Set(userIds)];
  if (ids.includes(callerId)) throw new ValidationError('不能移除自己，请使用退出群聊', 'userIds');
  let users = new Map<number, UserRecord>();
  return change(callerId, conversationId, (group) => {
    const role = requireRole(group, callerId, ['owner', 'admin'], '移除成员');
    const present = ids.filter((id) => group.roster.has(id));
    if (role === 'admin' && present.some((id) => roleOf(group.conversation, id) !== 'member')) throw new ForbiddenError('管理员不能移除群主或其他管理员');
    if (present.length === 0) return undefined;
    const admins = (group.conversation.admins ?? []).filter((id) => !present.includes(id));
    return { removed: present, fields: { admins }, events: [event('member_removed', callerId, present, `${names(users, [callerId])} 将 ${names(users, present)} 移出了群聊`)] };
  }, async () => void (users = await getUsers([...ids, callerId])));
}

/**
 * The caller leaves. An owner hands the group to the earliest-joined admin, else the earliest-joined member;
 * the last one out disbands it.
 */
export async function leaveGroup(callerId: number, conversationId: number): Promise<GroupResult> {
  let users = new Map<number, UserRecord>();
  return change(callerId, conversationId, async (group) => {
    const rest = [...group.roster.values()].filter((entry) => entry.userId !== callerId);
    if (rest.length === 0) return disbandDecision(group, callerId, users);
    const admins = (group.conversation.admins ?? []).filter((id) => id !== callerId);
    const left = event('member_left', callerId, [callerId], `${names(users, [callerId])} 退出了群聊`);
    if (roleOf(group.conversation, callerId) !== 'owner') return { removed: [callerId], fields: { admins }, events: [left] };
    const byJoin = (a: RosterRecord, b: RosterRecord) => a.joinedAt.localeCompare(b.joinedAt) || a.userId - b.userId;
    const heir = [...rest.filter((entry) => admins.includes(entry.userId)).sort(byJoin), ...rest.sort(byJoin)][0]!.userId;
    // Only an owner's leaving needs the heir's name, known once the roster is read: its one extra round trip.
    const heirs = await getUsers([heir]);
    return {
      removed: [callerId],
      fields: { ownerId: heir, admins: admins.filter((id) => id !== heir) },
      events: [left, event('owner_transferred', callerId, [heir], `${names(heirs, [heir])} 成为新群主`)],
    };
  }, async () => void (users = await getUsers([callerId])));
}

function disbandDecision(group: Group, callerId: number, users: Map<number, UserRecord>): Decision {
  return { removed: [...group.roster.keys()], fields: { disbanded: true }, events: [event('disbanded', callerId, [], `${names(users, [callerId])} 解散了群聊`)] };
}

export type GroupUpdate = { name?: string; announcement?: string; avatarKey?: string; invite?: GroupFields['invite'] };

/** Owner and admins change the name, announcement, avatar or invite rule: one system message per field that changes. */
export async function updateGroup(callerId: number, conversationId: number, update: GroupUpdate): Promise<GroupResult> {
  if (update.avatarKey !== undefined) checkImageKey(update.avatarKey, conversationId, callerId);
  let users = new Map<number, UserRecord>();
  const reads = async () => {
    const [found, image] = await Promise.all([getUsers([callerId]), update.avatarKey !== undefined ? headImage(update.avatarKey) : undefined]);
    users = found;
    if (update.avatarKey !== undefined) checkImageUploaded(image);
  };
  return change(callerId, conversationId, (group) => {
    requireRole(group, callerId, ['owner', 'admin'], '修改群资料');
    const current = group.conversation;
    const who = names(users, [callerId]);
    const events: Decision['events'] = [];
    const fields: Partial<GroupFields> = {};
    if (update.name !== undefined && update.name !== current.name) {
      fields.name = update.name;
      events.push(event('renamed', callerId, [], `${who} 将群名称修改为「${update.name}」`));
    }
    if (update.announcement !== undefined && update.announcement !== (current.announcement ?? '')) {
      fields.announcement = update.announcement;
      events.push(event('announcement', callerId, [], update.announcement ? `${who} 发布了群公告：${update.announcement}` : `${who} 清空了群公告`));
    }
    if (update.avatarKey !== undefined && update.avatarKey !== current.avatarKey) {
      fields.avatarKey = update.avatarKey;
      events.push(event('avatar', callerId, [], `${who} 修改了群头像`));
    }
    if (update.invite !== undefined && update.invite !== (current.invite ?? 'all')) {
      fields.invite = update.invite;
      events.push(event('invite', callerId, [], update.invite === 'admins' ? `${who} 设置为仅群主和管理员可邀请成员` : `${who} 设置为所有成员均可邀请`));
    }
    return events.length ? { fields, events } : undefined;
  }, reads);
}

/** The owner makes a member an admin, or an admin a member again. */
export async function setAdmin(callerId: number, conversationId: number, userId: number, admin: boolean): Promise<GroupResult> {
  let users = new Map<number, UserRecord>();
  return change(callerId, conversationId, (group) => {
    requireRole(group, callerId, ['owner'], '设置管理员');
    requireMember(group, userId);
    if (userId === callerId) throw new ValidationError('群主不能设置自己为管理员', 'userId');
    const admins = group.conversation.admins ?? [];
    if (admins.includes(userId) === admin) return undefined;
    if (admin && admins.length >= LIMITS.groupAdminsMax) throw new ValidationError(`管理员不能超过 ${LIMITS.groupAdminsMax} 人`, 'userId');
    return admin
      ? { fields: { admins: [...admins, userId] }, events: [event('admin_set', callerId, [userId], `${names(users, [callerId])} 将 ${names(users, [userId])} 设为管理员`)] }
      : { fields: { admins: admins.filter((id) => id !== userId) }, events: [event('admin_unset', callerId, [userId], `${names(users, [callerId])} 取消了 ${names(users, [userId])} 的管理员`)] };
  }, async () => void (users = await getUsers([callerId, userId])));
}

/** The owner hands the group to another member; the old owner becomes an admin. */
export async function transferOwnership(callerId: number, conversationId: number, userId: number): Promise<GroupResult> {
  if (userId === callerId) throw new ValidationError('不能转让给自己', 'userId');
  let users = new Map<number, UserRecord>();
  return change(callerId, conversationId, (group) => {
    requireRole(group, callerId, ['owner'], '转让群主');
    requireMember(group, userId);
    const admins = [...(group.conversation.admins ?? []).filter((id) => id !== userId), callerId];
    return { fields: { ownerId: userId, admins }, events: [event('owner_transferred', callerId, [userId], `${names(users, [callerId])} 将群主转让给 ${names(users, [userId])}`)] };
  }, async () => void (users = await getUsers([callerId, userId])));
}

/** The owner ends the group for everyone. */
export async function disbandGroup(callerId: number, conversationId: number): Promise<GroupResult> {
  let users = new Map<number, UserRecord>();
  return change(callerId, conversationId, (group) => {
    requireRole(group, callerId, ['owner'], '解散群聊');
    return disbandDecision(group, callerId, users);
  }, async () => void (users = await getUsers([callerId])));
}
