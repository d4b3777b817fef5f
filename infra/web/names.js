// Who is who: nicknames by id, and how conversations and their last messages read in the list.
import { api } from './api.js';
import { state } from './state.js';

/** Nicknames for ids not seen yet (one profile call each, in parallel; cached for the session). */
export async function learnNames(ids) {
  const unknown = [...new Set(ids)].filter((id) => id !== undefined && !state.names.has(id));
  await Promise.all(unknown.map(async (id) => {
    const { user } = await api('GET', `/user/profile/${id}`).catch(() => ({ user: { nickname: `#${id}` } }));
    state.names.set(id, user.nickname);
  }));
}

export const nameOf = (id) => state.names.get(id) ?? `#${id}`;
/** "你" for the caller, else the nickname: how system-like lines name people. */
export const whoIs = (id) => (id === state.me.id ? '你' : nameOf(id));

export const titleOf = (c) => {
  if (c.type !== 'group') return nameOf(c.members[0]);
  return c.name || `群聊: ${[state.me.nickname, ...c.members.map(nameOf)].join(', ')}`;
};

export function previewOf(m) {
  if (!m) return '';
  if (m.recalled) return '[消息已撤回]';
  return m.type === 'image' ? '[图片]' : m.content;
}

/** The caller's (or anyone's) role in a group: from the group object's owner_id and admins. */
export function roleOf(conversation, userId) {
  if (conversation?.type !== 'group') return 'member';
  if (conversation.owner_id === userId) return 'owner';
  return conversation.admins?.includes(userId) ? 'admin' : 'member';
}
export const ROLE_NAMES = { owner: '群主', admin: '管理员', member: '成员' };
/** Owner and admins run the group: rename, announce, remove members, recall anyone's message, @所有人. */
export const isManager = (conversation, userId) => roleOf(conversation, userId) !== 'member';
