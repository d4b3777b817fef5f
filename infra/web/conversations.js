// The conversation list: getlist page by page (more on scroll or the "more" button), unread counts, the 有人@我
// mark, and the live `conversation` / `removed` events that change or drop an entry.
import { $, el } from './dom.js';
import { api, guarded } from './api.js';
import { state } from './state.js';
import { onEvent } from './socket.js';
import { learnNames, previewOf, titleOf } from './names.js';
import { openConversation, renderHeader, scheduleGapFetch, showGone } from './messages.js';
import { refreshGroupPanel } from './group-panel.js';

const LIST_PAGE = 20;
const GETLIST_LIMIT_MAX = 100;

// Reloads and "more" pages run one at a time, so an older answer never overwrites a newer one.
let listQueue = Promise.resolve();
const queued = (work) => (listQueue = listQueue.then(work, work));

/** Reloads the list from the top, as many entries as are loaded now (at least one page). */
export const refreshConversations = () => queued(async () => {
  const wanted = Math.max(LIST_PAGE, state.conversations.length);
  const loaded = [];
  let cursor = null;
  do {
    const page = await getlist(Math.min(GETLIST_LIMIT_MAX, wanted - loaded.length), cursor);
    loaded.push(...page.conversations.filter((c) => !loaded.some((seen) => seen.id === c.id)));
    cursor = page.next_cursor;
  } while (cursor && loaded.length < wanted);
  await show(loaded, cursor);
  const open = state.conversations.find((c) => c.id === state.current);
  if (open && state.throughSeq !== null && open.last_seq > state.throughSeq) scheduleGapFetch(); // a message whose push never came
});

/** The next page after the loaded ones; a burst of scroll events asks for it once. */
let loadingMore = null;
const loadMoreConversations = () => (loadingMore ??= queued(async () => {
  if (!state.listCursor) return;
  const page = await getlist(LIST_PAGE, state.listCursor);
  await show([...state.conversations, ...page.conversations.filter((c) => !state.conversations.some((seen) => seen.id === c.id))], page.next_cursor);
}).finally(() => (loadingMore = null)));

const getlist = (limit, cursor) => api('GET', `/conversation/getlist?limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);

async function show(conversations, cursor) {
  await learnNames(conversations.flatMap((c) => c.members));
  state.conversations = conversations;
  state.listCursor = cursor;
  const open = conversations.find((c) => c.id === state.current);
  if (open) {
    state.open = open;
    renderHeader();
  }
  renderConversations();
}

export function renderConversations() {
  $('conversations').replaceChildren(...state.conversations.map((c) => {
    const away = c.id !== state.current;
    return el('li', { className: `conversation${away ? '' : ' active'}`, dataset: { id: c.id }, onclick: guarded('app-error', () => openConversation(c.id)) },
      el('div', { className: 'row' },
        el('strong', { className: 'ellipsis', textContent: titleOf(c) }),
        c.mentioned && away ? el('span', { className: 'badge mention', textContent: '有人@我' }) : null,
        c.unread && away ? el('span', { className: 'badge unread', textContent: String(c.unread) }) : null),
      el('div', { className: 'muted ellipsis', textContent: previewOf(c.last_message) }));
  }));
  $('more-conversations').hidden = !state.listCursor;
}

/** Drops a conversation the caller is no longer in; if it is open, the chat says why. */
export function dropConversation(id, notice, { final = false } = {}) {
  state.conversations = state.conversations.filter((c) => c.id !== id);
  renderConversations();
  if (id === state.current) showGone(notice, { final });
}

$('more-conversations').addEventListener('click', guarded('app-error', loadMoreConversations));
$('sidebar').addEventListener('scroll', () => {
  const box = $('sidebar');
  if (state.listCursor && box.scrollTop + box.clientHeight > box.scrollHeight - 60) guarded('app-error', loadMoreConversations)();
});

// A group changed (name, announcement, roles, members): its entry, and the open chat and panel when it is open.
onEvent('conversation', async ({ conversation }) => {
  if (!conversation) return;
  await learnNames(conversation.members);
  const entry = state.conversations.find((c) => c.id === conversation.id);
  if (entry) Object.assign(entry, conversation);
  renderConversations();
  if (conversation.id !== state.current || state.gone) return;
  state.open = Object.assign(state.open ?? {}, conversation);
  renderHeader();
  await refreshGroupPanel();
});

// Removed, left, or disbanded: nothing more of it reaches this user.
onEvent('removed', ({ conversationId }) => dropConversation(Number(conversationId), '你已不在该群聊中'));
