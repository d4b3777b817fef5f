// The open conversation: its header, history (newest page, older pages on scroll, gaps fetched by seq), messages
// as they arrive, system notices, recall tombstones, @-mentions, each message's menu (recall, delete for me),
// read markers and who is typing.
import { $, el } from './dom.js';
import { api, guarded, showError } from './api.js';
import { state } from './state.js';
import { onEvent, conversationIdOf, sendFrame, settleAck, userIdOf } from './socket.js';
import { isManager, learnNames, nameOf, titleOf, whoIs } from './names.js';
import { refreshConversations, renderConversations } from './conversations.js';
import { closeGroupPanel, refreshGroupPanel } from './group-panel.js';

const TYPING_SHOWN_MS = 3000;
/** SPEC: a sender may recall within 2 minutes (the server's RECALL_WINDOW_SECONDS decides); owner and admins any time. */
const RECALL_WINDOW_MS = 2 * 60_000;

/** Opens a conversation: `known` is its object when it is not (yet) among the loaded list pages. */
export async function openConversation(id, known) {
  state.current = id;
  state.open = state.conversations.find((c) => c.id === id) ?? known ?? null;
  state.gone = null;
  state.members = [];
  state.messages.clear();
  state.readUpTo.clear();
  state.olderCursor = null;
  state.seqs.clear();
  state.menuFor = null;
  state.throughSeq = null; // a catch-up racing the first page would fetch the whole conversation
  $('typing').textContent = '';
  $('chat-gone').hidden = true;
  $('composer').hidden = false;
  renderHeader();
  const [page] = await Promise.all([api('GET', `/message/history/${id}`), refreshGroupPanel()]);
  await learnNames(page.messages.flatMap(peopleIn));
  if (state.current !== id) return;
  state.throughSeq = page.last_seq; // the newest page: older pages come by scrolling, never as a gap
  addMessages(page.messages);
  state.olderCursor = page.next_cursor;
  renderMessages({ stickToBottom: true });
  markRead();
  if (state.open) Object.assign(state.open, { unread: 0, mentioned: false });
  renderConversations();
  $('text').focus();
}

/** The title, the group button and the announcement of the open conversation. */
export function renderHeader() {
  const c = state.open;
  $('chat-title').textContent = c ? titleOf(c) : `#${state.current}`;
  const group = c?.type === 'group' && !state.gone;
  $('group-button').hidden = !group;
  $('announcement').hidden = !(group && c.announcement);
  $('announcement').textContent = group && c.announcement ? `群公告：${c.announcement}` : '';
}

/** The open group is no longer the caller's: the chat stays readable, nothing can be sent. A final notice (disbanded, left) replaces an earlier one. */
export function showGone(notice, { final = false } = {}) {
  if (state.gone && !final) return;
  state.gone = notice;
  state.menuFor = null;
  $('chat-gone').textContent = notice;
  $('chat-gone').hidden = false;
  $('composer').hidden = true;
  $('typing').textContent = '';
  closeGroupPanel();
  renderHeader();
  renderMessages();
}

/** Everyone a message names: its sender, whom it mentions, who recalled it. */
const peopleIn = (m) => [m.sender_id, ...(m.mentions ?? []), ...(m.recalled_by ? [m.recalled_by] : [])];

/** History scrolling: the page before the oldest one shown, keeping the view where it was. */
async function loadOlder() {
  if (!state.olderCursor || !state.current) return;
  const id = state.current;
  const box = $('messages');
  const fromBottom = box.scrollHeight - box.scrollTop;
  const page = await api('GET', `/message/history/${id}?before=${state.olderCursor}`);
  await learnNames(page.messages.flatMap(peopleIn));
  if (state.current !== id) return;
  addMessages(page.messages);
  state.olderCursor = page.next_cursor;
  renderMessages();
  box.scrollTop = box.scrollHeight - fromBottom;
}
$('older').addEventListener('click', guarded('app-error', loadOlder));
$('messages').addEventListener('scroll', () => {
  if ($('messages').scrollTop < 40 && state.olderCursor) guarded('app-error', loadOlder)();
});

/** After a reconnect (or on each poll without a live link): what arrived meanwhile. */
export async function catchUp() {
  await refreshConversations();
  if (!state.current || state.throughSeq === null || state.gone) return;
  try {
    await fetchAfter(state.current, state.throughSeq);
  } catch (error) {
    if (error.status !== 403) throw error;
    showGone('你已不在该群聊中'); // no live link told us: removed, left elsewhere, or disbanded
  }
}

/**
 * Gaps. Pushes can be lost or arrive out of order: messages are ordered by seq, and when a seq is missing (S, then
 * S+2; or getlist's last_seq above what this tab holds) for about 2 s, the messages after S are fetched by seq.
 */
const GAP_WAIT_MS = 2000;

export function scheduleGapFetch() {
  if (state.gapTimer || state.gone) return;
  const id = state.current;
  state.gapTimer = setTimeout(() => {
    state.gapTimer = null;
    if (state.current === id && state.throughSeq !== null && !state.gone) fetchAfter(id, state.throughSeq).catch((error) => showError('app-error', error));
  }, GAP_WAIT_MS);
}

/** Every message after seq `after`, page by page; then everything up to the answer's last_seq is held or absent. */
async function fetchAfter(id, after) {
  let page;
  for (let next = after; next !== null; next = page.next_seq) {
    page = await api('GET', `/message/history/${id}?after_seq=${next}`);
    if (state.current !== id) return;
    const fresh = page.messages.filter((m) => !state.messages.has(m.id));
    if (fresh.length) {
      await learnNames(fresh.flatMap(peopleIn));
      addMessages(fresh);
      renderMessages({ stickToBottom: true });
      markRead();
    }
  }
  state.throughSeq = Math.max(state.throughSeq, page.last_seq);
}

const newestStoredSeq = () => [...state.messages.values()].filter((m) => !m.pending).reduce((max, m) => Math.max(max, m.seq), 0) || null;

export function addMessages(messages) {
  for (const m of messages) {
    if (m.clientMessageId) state.messages.delete(`pending:${m.clientMessageId}`);
    state.messages.set(m.id, m);
    state.seqs.add(m.seq);
  }
  if (state.throughSeq === null) return; // the newest page, on its way, sets it
  while (state.seqs.has(state.throughSeq + 1)) state.throughSeq++;
  if ((newestStoredSeq() ?? 0) > state.throughSeq) scheduleGapFetch();
}

export function renderMessages({ stickToBottom = false } = {}) {
  const box = $('messages');
  const atBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 60;
  const sorted = [...state.messages.values()].sort((a, b) => (a.pending ? 1 : 0) - (b.pending ? 1 : 0) || a.seq - b.seq);
  const readByOthers = Math.max(0, ...state.readUpTo.values());
  $('older').hidden = !state.olderCursor;
  box.replaceChildren($('older'), ...sorted.map((m) => messageNode(m, readByOthers)));
  if (stickToBottom || atBottom) box.scrollTop = box.scrollHeight;
}

function messageNode(m, readByOthers) {
  // System messages are shown as they come: the server writes their Chinese text.
  if (m.type === 'system') return el('div', { className: 'notice system', dataset: { id: m.id }, textContent: m.content });
  if (m.recalled) return el('div', { className: 'notice recalled', dataset: { id: m.id }, textContent: recallNotice(m) });
  const mine = m.sender_id === state.me.id;
  const mentionsMe = !mine && (m.mention_all || m.mentions?.includes(state.me.id));
  return el('div', { className: `message${mine ? ' mine' : ''}${m.pending ? ' pending' : ''}${mentionsMe ? ' mentions-me' : ''}`, dataset: { id: m.id } },
    el('div', { className: 'meta' },
      `${nameOf(m.sender_id)} · ${new Date(m.sent_at).toLocaleTimeString()}`,
      m.pending || state.gone ? null : el('button', { type: 'button', className: 'link menu-button', title: '更多操作', textContent: '⋯', onclick: () => toggleMenu(m.id) })),
    state.menuFor === m.id ? menuOf(m) : null,
    m.type === 'image' ? imageOf(m) : textOf(m),
    mine && !m.pending && m.seq <= readByOthers ? el('div', { className: 'read', textContent: '已读' }) : null);
}

function recallNotice(m) {
  if (m.recalled_by === m.sender_id) return `${whoIs(m.sender_id)}撤回了一条消息`;
  return `${whoIs(m.recalled_by)}撤回了${whoIs(m.sender_id)}的一条消息`;
}

/** The text with each @name it mentions (and @所有人) marked. */
function textOf(m) {
  const tokens = [...(m.mention_all ? ['所有人'] : []), ...(m.mentions ?? []).map(nameOf)].map((name) => `@${name}`);
  if (!tokens.length) return el('div', { className: 'text', textContent: m.content });
  const escaped = tokens.sort((a, b) => b.length - a.length).map((token) => token.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  const parts = m.content.split(new RegExp(`(${escaped.join('|')})`));
  // split() with a capturing group puts the matches at the odd indexes.
  return el('div', { className: 'text' }, ...parts.map((part, i) => (i % 2 ? el('span', { className: 'mention', textContent: part }) : part)));
}

function imageOf(m) {
  const src = m.url ?? state.localImages.get(m.content);
  return src ? el('img', { className: 'image', src, alt: '图片' }) : el('div', { className: 'text muted', textContent: '[图片]' });
}

// ---- A message's menu: recall (while allowed) and delete for me ---------------------------------------------
function toggleMenu(id) {
  state.menuFor = state.menuFor === id ? null : id;
  renderMessages();
}

function menuOf(m) {
  return el('div', { className: 'message-menu row' },
    canRecall(m) ? el('button', { type: 'button', className: 'link recall', textContent: '撤回', onclick: guarded('app-error', () => recall(m)) }) : null,
    el('button', { type: 'button', className: 'link delete', textContent: '删除', onclick: guarded('app-error', () => deleteForMe(m)) }));
}

/** Owner and admins of a group at any time; the sender while the recall window is open (the menu is drawn anew on every render). */
const canRecall = (m) => isManager(state.open, state.me.id) || (m.sender_id === state.me.id && Date.now() - Date.parse(m.sent_at) < RECALL_WINDOW_MS);

async function recall(m) {
  const { recalled_by } = await api('POST', '/message/recall', { conversationId: m.conversation_id, messageId: m.id });
  markRecalled(m.conversation_id, m.id, recalled_by);
  await refreshConversations(); // last_message shows the recall
}

function markRecalled(conversationId, messageId, by) {
  const m = state.messages.get(messageId);
  if (conversationId !== state.current || !m) return;
  Object.assign(m, { recalled: true, recalled_by: by, content: '', url: undefined });
  if (state.menuFor === messageId) state.menuFor = null;
  renderMessages();
}

/** Hidden from this user's history only; its seq stays held, so no gap is fetched for it. */
async function deleteForMe(m) {
  await api('POST', '/message/delete', { conversationId: m.conversation_id, messageId: m.id });
  state.messages.delete(m.id);
  state.menuFor = null;
  renderMessages();
}

// ---- Read markers ---------------------------------------------------------------------------------------------
function markRead() {
  const seq = newestStoredSeq();
  if (seq && state.current && !state.gone) sendFrame({ action: 'markRead', conversationId: state.current, seq });
}

// ---- Live events of the open conversation ---------------------------------------------------------------------
let typingTimer = null;

onEvent('message', async (frame) => {
  const m = frame.message;
  if (!m) return;
  if (m.conversation_id === state.current) {
    await learnNames(peopleIn(m));
    addMessages([m]);
    renderMessages();
    if (frame.event === 'message') {
      markRead();
      $('typing').textContent = ''; // they sent what they were typing
    }
    if (m.system?.event === 'disbanded') showGone('群聊已解散', { final: true });
  }
  settleAck(frame.clientMessageId); // after the message replaced its pending copy
  await refreshConversations(); // order, last message and unread counts moved
});

onEvent('recalled', async (frame) => {
  const by = Number(frame.by);
  await learnNames([by]);
  markRecalled(Number(frame.conversationId), Number(frame.messageId), by);
  await refreshConversations();
});

onEvent('read', (frame) => {
  if (conversationIdOf(frame) !== state.current || userIdOf(frame) === state.me.id) return;
  state.readUpTo.set(userIdOf(frame), Math.max(state.readUpTo.get(userIdOf(frame)) ?? 0, Number(frame.seq)));
  renderMessages();
});

onEvent('typing', (frame) => {
  if (conversationIdOf(frame) !== state.current || userIdOf(frame) === state.me.id) return;
  $('typing').textContent = `${nameOf(userIdOf(frame))} 正在输入…`;
  clearTimeout(typingTimer);
  typingTimer = setTimeout(() => ($('typing').textContent = ''), TYPING_SHOWN_MS);
});
