// The group panel of the open group: its name, announcement and invite rule, the members with their roles, and
// every change the caller's role allows (SPEC.md "Groups"): add, remove, admins, transfer, leave, disband.
// Buttons appear only for the roles that may use them; a refusal shows the API's message and code.
import { $, el } from './dom.js';
import { api, guarded } from './api.js';
import { state } from './state.js';
import { ROLE_NAMES, roleOf } from './names.js';
import { dropConversation, renderConversations } from './conversations.js';
import { addMessages, renderHeader, renderMessages } from './messages.js';

const panel = $('group-panel');
const ROLE_ORDER = { owner: 0, admin: 1, member: 2 };

/** Loads the open group's members (the @ picker uses them too) and redraws the panel if it is shown. */
export async function refreshGroupPanel() {
  const id = state.current;
  if (state.open?.type !== 'group' || state.gone) {
    state.members = [];
    return closeGroupPanel();
  }
  try {
    const { members } = await api('GET', `/conversation/members?conversationId=${id}`);
    if (state.current !== id) return;
    state.members = members;
    for (const m of members) state.names.set(m.id, m.nickname);
  } catch (error) {
    if (error.status !== 403) throw error; // no longer a member: the `removed` event or the next catch-up says so
  }
  if (!panel.hidden) renderGroupPanel();
}

export function closeGroupPanel() {
  panel.hidden = true;
}

function renderGroupPanel() {
  const group = state.open;
  const myRole = roleOf(group, state.me.id);
  const manager = myRole !== 'member';
  const owner = myRole === 'owner';
  showValue($('group-name-input'), group.name ?? '', manager);
  showValue($('announcement-input'), group.announcement ?? '', manager);
  $('save-group-name').hidden = !manager;
  $('save-announcement').hidden = !manager;
  $('invite-rule').value = group.invite ?? 'all';
  $('invite-rule').disabled = !manager;
  $('member-count').textContent = String(group.member_count ?? state.members.length + 1);

  const everyone = [{ id: state.me.id, nickname: state.me.nickname, role: myRole }, ...state.members].sort((a, b) => ROLE_ORDER[a.role] - ROLE_ORDER[b.role]);
  $('group-members').replaceChildren(...everyone.map((m) => memberItem(m, myRole)));

  const inGroup = new Set(everyone.map((m) => m.id));
  const candidates = state.contacts.filter((c) => !inGroup.has(c.id));
  $('add-members').hidden = !(manager || group.invite !== 'admins') || candidates.length === 0;
  $('add-candidates').replaceChildren(...candidates.map((c) => el('li', { dataset: { id: c.id } },
    el('label', {}, el('input', { type: 'checkbox', value: String(c.id) }), ` ${c.nickname} `, el('span', { className: 'muted', textContent: String(c.id) })))));
  $('disband-group').hidden = !owner;
}

/** An input shows the group's value unless the user is editing it; only owner and admins may edit. */
function showValue(input, value, editable) {
  if (document.activeElement !== input) input.value = value;
  input.readOnly = !editable;
}

function memberItem(member, myRole) {
  const me = member.id === state.me.id;
  const owner = myRole === 'owner';
  // The owner may remove anyone; admins only plain members (SPEC.md).
  const removable = !me && (owner || (myRole === 'admin' && member.role === 'member'));
  return el('li', { className: 'member', dataset: { id: member.id, role: member.role } },
    el('span', {}, `${member.nickname}${me ? '（我）' : ''} `, el('span', { className: `badge role-${member.role}`, textContent: ROLE_NAMES[member.role] })),
    el('span', { className: 'row' },
      owner && !me && member.role === 'member' ? action('set-admin', '设为管理员', () => change('/conversation/admins', { userId: member.id, admin: true })) : null,
      owner && !me && member.role === 'admin' ? action('unset-admin', '取消管理员', () => change('/conversation/admins', { userId: member.id, admin: false })) : null,
      owner && !me ? action('transfer', '转让群主', () => confirm(`将群主转让给 ${member.nickname}？`) && change('/conversation/transfer', { userId: member.id })) : null,
      removable ? action('remove', '移除', () => confirm(`将 ${member.nickname} 移出群聊？`) && change('/conversation/members/remove', { userIds: [member.id] })) : null));
}

const action = (className, label, run) => el('button', { type: 'button', className: `link ${className}`, textContent: label, onclick: guarded('group-error', run) });

/** A group change: the answer's conversation and system messages go on screen at once (their pushes may follow). */
async function change(path, body) {
  const id = state.current;
  const { conversation, messages } = await api('POST', path, { conversationId: id, ...body });
  if (state.current !== id) return;
  if (conversation) {
    Object.assign(state.open, conversation);
    const entry = state.conversations.find((c) => c.id === id);
    if (entry && entry !== state.open) Object.assign(entry, conversation);
  }
  addMessages(messages);
  renderMessages({ stickToBottom: true });
  renderHeader();
  renderConversations();
  await refreshGroupPanel();
}

$('group-button').addEventListener('click', guarded('group-error', async () => {
  panel.hidden = !panel.hidden;
  if (!panel.hidden) await refreshGroupPanel();
}));
$('close-group-panel').addEventListener('click', closeGroupPanel);

$('group-name-form').addEventListener('submit', (event) => {
  event.preventDefault();
  guarded('group-error', () => change('/conversation/update', { name: $('group-name-input').value.trim() }))();
});
$('announcement-form').addEventListener('submit', (event) => {
  event.preventDefault();
  guarded('group-error', () => change('/conversation/update', { announcement: $('announcement-input').value }))();
});
$('invite-rule').addEventListener('change', guarded('group-error', () => change('/conversation/update', { invite: $('invite-rule').value })));

$('add-members-button').addEventListener('click', guarded('group-error', async () => {
  const userIds = [...$('add-candidates').querySelectorAll('input:checked')].map((input) => Number(input.value));
  if (userIds.length) await change('/conversation/members/add', { userIds });
}));

$('leave-group').addEventListener('click', guarded('group-error', async () => {
  if (!confirm('退出该群聊？')) return;
  const id = state.current;
  await api('POST', '/conversation/leave', { conversationId: id });
  dropConversation(id, '你已退出该群聊', { final: true });
}));

$('disband-group').addEventListener('click', guarded('group-error', async () => {
  if (!confirm('解散该群聊？所有成员都将被移出。')) return;
  const id = state.current;
  await api('POST', '/conversation/disband', { conversationId: id });
  dropConversation(id, '群聊已解散', { final: true });
}));
