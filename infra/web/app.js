// A small chat client on the public API only: HTTP for everything stored, the WebSocket for live frames.
// No framework, no build step: these files are deployable as they are to any static host next to a config.json.

const $ = (id) => document.getElementById(id);
/** A DOM element from properties (dataset merged, not assigned) and children; text always goes in as text. */
function el(tag, { dataset, ...props } = {}, ...children) {
  const node = Object.assign(document.createElement(tag), props);
  Object.assign(node.dataset, dataset);
  for (const child of children) if (child !== null && child !== undefined) node.append(child);
  return node;
}
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

const TYPING_SEND_EVERY_MS = 2000;
const TYPING_SHOWN_MS = 3000;
const POLL_MS = 2000;
const ACK_TIMEOUT_MS = 5000;
/** How often a send told RATE_LIMITED or SERVICE_UNAVAILABLE (with retryAfter) is resent before giving up. */
const SEND_RETRIES = 4;
const IMAGE_TYPES = ['image/jpeg', 'image/png', 'image/gif', 'image/webp'];

const state = {
  config: { apiUrl: '', wsUrl: null },
  token: sessionStorage.getItem('token'),
  me: null,
  contacts: [],
  selected: new Set(),
  blocked: new Set(),
  conversations: [],
  names: new Map(), // user id → nickname
  current: null, // the open conversation's id
  messages: new Map(), // the open conversation's messages by id (pending ones by 'pending:<clientMessageId>')
  olderCursor: null,
  readUpTo: new Map(), // other member id → the seq they read up to, in the open conversation
  seqs: new Set(), // the open conversation's seqs this tab holds
  throughSeq: null, // every seq up to this one is held, or known to be absent; null until the newest page is in
  gapTimer: null,
  localImages: new Map(), // object key → local preview URL of images this tab sent
  pendingImage: null,
  ws: null,
  ackWaiters: new Map(), // clientMessageId → resolve, for messages sent over the WebSocket
  wsBackoffMs: 1000,
  wsRetryAfterMs: undefined,
  lastTypingSent: 0,
  typingTimer: null,
};

// ---- HTTP ----------------------------------------------------------------------------------------------------
async function api(method, path, body) {
  const headers = {};
  if (state.token) headers.token = state.token;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(state.config.apiUrl + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const data = await res.json().catch(() => ({ success: false, message: res.statusText }));
  if (!res.ok || data.success === false) {
    if (res.status === 401 && state.token) signOut();
    throw Object.assign(new Error(data.message || res.statusText), { code: data.code, status: res.status });
  }
  return data;
}

function showError(where, error) {
  $(where).textContent = error ? `${error.message}${error.code ? ` (${error.code})` : ''}` : '';
}

/** Runs a UI action; a failure is shown instead of thrown. */
const guarded = (where, action) => async (...args) => {
  showError(where, null);
  try {
    await action(...args);
  } catch (error) {
    showError(where, error);
  }
};

// ---- Signing in ----------------------------------------------------------------------------------------------
$('auth-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const form = new FormData(event.target);
  const credentials = { username: form.get('username'), password: form.get('password') };
  guarded('auth-error', async () => {
    if (event.submitter?.value === 'register') await api('POST', '/user/register', { ...credentials, nickname: form.get('nickname') || credentials.username });
    const { token } = await api('POST', '/user/login', credentials);
    state.token = token;
    sessionStorage.setItem('token', token);
    await start();
  })();
});

$('logout').addEventListener('click', () => signOut());

function signOut() {
  state.token = null;
  sessionStorage.removeItem('token');
  state.ws?.close();
  location.reload();
}

async function start() {
  const { user } = await api('GET', '/user/profile');
  state.me = user;
  state.names.set(user.id, user.nickname);
  state.blocked = new Set(JSON.parse(localStorage.getItem(`blocked:${user.id}`) ?? '[]'));
  $('me-name').textContent = user.nickname;
  $('me-id').textContent = String(user.id);
  $('auth').hidden = true;
  $('app').hidden = false;
  await Promise.all([loadContacts(), loadConversations()]);
  connect();
  setInterval(() => {
    if (state.ws?.readyState !== WebSocket.OPEN) catchUp().catch(() => undefined); // no live link: poll instead
  }, POLL_MS);
}

// ---- Contacts and blocks -------------------------------------------------------------------------------------
async function loadContacts() {
  state.contacts = (await api('GET', '/contacts/list')).contacts;
  for (const c of state.contacts) state.names.set(c.id, c.nickname);
  renderContacts();
}

function renderContacts() {
  const items = state.contacts.map((c) => {
    const check = el('input', { type: 'checkbox', checked: state.selected.has(c.id), onchange: () => toggleSelected(c.id) });
    const blocked = state.blocked.has(c.id);
    return el('li', { className: 'contact', dataset: { id: c.id } },
      el('label', {}, check, ` ${c.nickname} `, el('span', { className: 'muted', textContent: `@${c.username} · ${c.id}` })),
      el('span', { className: 'row' },
        el('button', { className: 'link block', textContent: blocked ? '解除屏蔽' : '屏蔽', onclick: guarded('app-error', () => setBlocked(c.id, !blocked)) }),
        el('button', { className: 'link', textContent: '删除', onclick: guarded('app-error', () => removeContact(c.id)) })));
  });
  $('contacts').replaceChildren(...items);
  $('start-conversation').disabled = state.selected.size === 0;
}

function toggleSelected(id) {
  if (state.selected.has(id)) state.selected.delete(id);
  else state.selected.add(id);
  $('start-conversation').disabled = state.selected.size === 0;
}

$('add-contact').addEventListener('submit', (event) => {
  event.preventDefault();
  const input = event.target.elements.id;
  guarded('app-error', async () => {
    await api('POST', '/contacts/add', { id: input.value.trim() });
    input.value = '';
    await loadContacts();
  })();
});

async function removeContact(id) {
  await api('DELETE', `/contacts/remove/${id}`);
  state.selected.delete(id);
  await loadContacts();
}

async function setBlocked(id, block) {
  try {
    await api(block ? 'POST' : 'DELETE', `/user/${block ? 'ban' : 'unban'}/${id}`);
  } catch (error) {
    if (!(error.status === 404 && !block)) throw error; // unblocking someone not blocked: already the wanted state
  }
  if (block) state.blocked.add(id);
  else state.blocked.delete(id);
  localStorage.setItem(`blocked:${state.me.id}`, JSON.stringify([...state.blocked]));
  renderContacts();
}

// ---- Conversations -------------------------------------------------------------------------------------------
$('start-conversation').addEventListener('click', guarded('app-error', async () => {
  const ids = [...state.selected].join(',');
  const { conversation } = await api('POST', `/conversation/create?contactId=${ids}`);
  state.selected.clear();
  renderContacts();
  await loadConversations();
  await openConversation(conversation.id);
}));

async function loadConversations() {
  state.conversations = (await api('GET', '/conversation/getlist')).conversations;
  await learnNames(state.conversations.flatMap((c) => c.members));
  renderConversations();
  const open = state.conversations.find((c) => c.id === state.current);
  if (open && state.throughSeq !== null && open.last_seq > state.throughSeq) scheduleGapFetch(); // a message whose push never came
}

/** Nicknames for ids not seen yet (one profile call each, in parallel; cached for the session). */
async function learnNames(ids) {
  const unknown = [...new Set(ids)].filter((id) => !state.names.has(id));
  await Promise.all(unknown.map(async (id) => {
    const { user } = await api('GET', `/user/profile/${id}`).catch(() => ({ user: { nickname: `#${id}` } }));
    state.names.set(id, user.nickname);
  }));
}

const nameOf = (id) => state.names.get(id) ?? `#${id}`;
const titleOf = (c) => (c.type === 'group' ? `群聊: ${[state.me.nickname, ...c.members.map(nameOf)].join(', ')}` : nameOf(c.members[0]));
const previewOf = (m) => (!m ? '' : m.type === 'image' ? '[图片]' : m.content);

function renderConversations() {
  $('conversations').replaceChildren(...state.conversations.map((c) =>
    el('li', { className: `conversation${c.id === state.current ? ' active' : ''}`, dataset: { id: c.id }, onclick: guarded('app-error', () => openConversation(c.id)) },
      el('div', { className: 'row' }, el('strong', { textContent: titleOf(c) }), c.unread && c.id !== state.current ? el('span', { className: 'badge unread', textContent: String(c.unread) }) : null),
      el('div', { className: 'muted ellipsis', textContent: previewOf(c.last_message) }))));
}

async function openConversation(id) {
  state.current = id;
  state.messages.clear();
  state.readUpTo.clear();
  state.olderCursor = null;
  state.seqs.clear();
  state.throughSeq = null; // a catch-up racing the first page would fetch the whole conversation
  $('typing').textContent = '';
  const conversation = state.conversations.find((c) => c.id === id);
  $('chat-title').textContent = conversation ? titleOf(conversation) : `#${id}`;
  $('composer').hidden = false;
  const page = await api('GET', `/message/history/${id}`);
  if (state.current !== id) return;
  state.throughSeq = page.last_seq; // the newest page: older pages come by scrolling, never as a gap
  addMessages(page.messages);
  state.olderCursor = page.next_cursor;
  renderMessages({ stickToBottom: true });
  markRead();
  if (conversation) conversation.unread = 0;
  renderConversations();
  $('text').focus();
}

/** History scrolling: the page before the oldest one shown, keeping the view where it was. */
async function loadOlder() {
  if (!state.olderCursor || !state.current) return;
  const id = state.current;
  const box = $('messages');
  const fromBottom = box.scrollHeight - box.scrollTop;
  const page = await api('GET', `/message/history/${id}?before=${state.olderCursor}`);
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
async function catchUp() {
  await loadConversations();
  if (state.current && state.throughSeq !== null) await fetchAfter(state.current, state.throughSeq);
}

/**
 * Gaps. Pushes can be lost or arrive out of order: messages are ordered by seq, and when a seq is missing (S, then
 * S+2; or getlist's last_seq above what this tab holds) for about 2 s, the messages after S are fetched by seq.
 */
const GAP_WAIT_MS = 2000;

function scheduleGapFetch() {
  if (state.gapTimer) return;
  const id = state.current;
  state.gapTimer = setTimeout(() => {
    state.gapTimer = null;
    if (state.current === id && state.throughSeq !== null) fetchAfter(id, state.throughSeq).catch((error) => showError('app-error', error));
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
      addMessages(fresh);
      renderMessages({ stickToBottom: true });
      markRead();
    }
  }
  state.throughSeq = Math.max(state.throughSeq, page.last_seq);
}

const newestStoredSeq = () => [...state.messages.values()].filter((m) => !m.pending).reduce((max, m) => Math.max(max, m.seq), 0) || null;

function addMessages(messages) {
  for (const m of messages) {
    if (m.clientMessageId) state.messages.delete(`pending:${m.clientMessageId}`);
    state.messages.set(m.id, m);
    state.seqs.add(m.seq);
  }
  if (state.throughSeq === null) return; // the newest page, on its way, sets it
  while (state.seqs.has(state.throughSeq + 1)) state.throughSeq++;
  if ((newestStoredSeq() ?? 0) > state.throughSeq) scheduleGapFetch();
}

function renderMessages({ stickToBottom = false } = {}) {
  const box = $('messages');
  const atBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 60;
  const sorted = [...state.messages.values()].sort((a, b) => (a.pending ? 1 : 0) - (b.pending ? 1 : 0) || a.seq - b.seq);
  const readByOthers = Math.max(0, ...state.readUpTo.values());
  $('older').hidden = !state.olderCursor;
  box.replaceChildren($('older'), ...sorted.map((m) => {
    const mine = m.sender_id === state.me.id;
    return el('div', { className: `message${mine ? ' mine' : ''}${m.pending ? ' pending' : ''}`, dataset: { id: m.id } },
      el('div', { className: 'meta', textContent: `${nameOf(m.sender_id)} · ${new Date(m.sent_at).toLocaleTimeString()}` }),
      m.type === 'image' ? imageOf(m) : el('div', { className: 'text', textContent: m.content }),
      mine && !m.pending && m.seq <= readByOthers ? el('div', { className: 'read', textContent: '已读' }) : null);
  }));
  if (stickToBottom || atBottom) box.scrollTop = box.scrollHeight;
}

function imageOf(m) {
  const src = m.url ?? state.localImages.get(m.content);
  return src ? el('img', { className: 'image', src, alt: '图片' }) : el('div', { className: 'text muted', textContent: '[图片]' });
}

// ---- Sending -------------------------------------------------------------------------------------------------
$('composer').addEventListener('submit', (event) => {
  event.preventDefault();
  guarded('app-error', async () => {
    const text = $('text').value;
    if (state.pendingImage) await sendImage(state.pendingImage);
    if (text.trim()) {
      $('text').value = '';
      await sendMessage({ content: text, type: 'text' });
    }
  })();
});

/** Over the WebSocket when it is open (ack awaited), else over HTTP; the same clientMessageId makes a retry safe. */
async function sendMessage({ content, type }) {
  const conversationId = state.current;
  const clientMessageId = crypto.randomUUID();
  const pendingKey = `pending:${clientMessageId}`;
  state.messages.set(pendingKey, { id: Number.MAX_SAFE_INTEGER, seq: Number.MAX_SAFE_INTEGER, pending: true, clientMessageId, conversation_id: conversationId, sender_id: state.me.id, content, type, sent_at: new Date().toISOString() });
  renderMessages({ stickToBottom: true });
  const frame = { action: 'sendMessage', conversationId, content, type, clientMessageId };
  // A busy conversation answers RATE_LIMITED / SERVICE_UNAVAILABLE with retryAfter: resend after it, a few times.
  for (let attempt = 0; attempt < SEND_RETRIES && state.ws?.readyState === WebSocket.OPEN; attempt++) {
    const answered = new Promise((resolve) => state.ackWaiters.set(clientMessageId, resolve));
    state.ws.send(JSON.stringify(frame));
    const answer = await Promise.race([answered, sleep(ACK_TIMEOUT_MS)]);
    state.ackWaiters.delete(clientMessageId);
    if (!state.messages.has(pendingKey)) return; // acknowledged
    if (typeof answer?.retryAfter !== 'number') break; // no answer in time: resend over HTTP, stored once
    showError('app-error', new Error(`发送繁忙，${answer.retryAfter} 秒后自动重试`));
    await sleep(answer.retryAfter * 1000);
    showError('app-error', null);
  }
  try {
    const { data } = await api('POST', '/message/send', { conversationId, content, type, clientMessageId });
    if (state.current === conversationId) addMessages([data]);
  } catch (error) {
    state.messages.delete(pendingKey);
    throw error;
  } finally {
    renderMessages({ stickToBottom: true });
  }
}

$('image-input').addEventListener('change', (event) => {
  const file = event.target.files[0];
  event.target.value = '';
  if (!file) return;
  if (!IMAGE_TYPES.includes(file.type)) return showError('app-error', new Error('只能发送 JPEG、PNG、GIF 或 WebP 图片'));
  setPendingImage(file);
});
$('cancel-image').addEventListener('click', () => setPendingImage(null));

function setPendingImage(file) {
  if (state.pendingImage) URL.revokeObjectURL($('preview-img').src);
  state.pendingImage = file;
  $('image-preview').hidden = !file;
  $('preview-img').src = file ? URL.createObjectURL(file) : '';
}

/** Straight to S3 through the presigned POST (the API never sees the bytes), then an image message with the key. */
async function sendImage(file) {
  const { upload, key } = await api('POST', '/message/image', { contentType: file.type, size: file.size, conversationId: state.current });
  const form = new FormData();
  for (const [name, value] of Object.entries(upload.fields)) form.append(name, value);
  form.append('file', file); // S3 wants the file last
  const res = await fetch(upload.url, { method: 'POST', body: form });
  if (!res.ok) throw new Error(`图片上传失败 (${res.status})`);
  state.localImages.set(key, URL.createObjectURL(file));
  setPendingImage(null);
  await sendMessage({ content: key, type: 'image' });
}

// ---- Read markers and typing ---------------------------------------------------------------------------------
function markRead() {
  const seq = newestStoredSeq();
  if (seq && state.current) sendFrame({ action: 'markRead', conversationId: state.current, seq });
}

$('text').addEventListener('input', () => {
  if (!state.current || Date.now() - state.lastTypingSent < TYPING_SEND_EVERY_MS) return;
  state.lastTypingSent = Date.now();
  sendFrame({ action: 'typing', conversationId: state.current });
});

function sendFrame(frame) {
  if (state.ws?.readyState === WebSocket.OPEN) state.ws.send(JSON.stringify(frame));
}

// ---- The WebSocket -------------------------------------------------------------------------------------------
function connect() {
  if (!state.config.wsUrl) return setStatus('polling');
  const ws = new WebSocket(`${state.config.wsUrl}${state.config.wsUrl.includes('?') ? '&' : '?'}token=${encodeURIComponent(state.token)}`);
  state.ws = ws;
  ws.addEventListener('open', () => {
    state.wsBackoffMs = 1000;
    setStatus('live');
    catchUp().catch((error) => showError('app-error', error));
  });
  ws.addEventListener('message', (event) => {
    let frame;
    try {
      frame = JSON.parse(event.data);
    } catch {
      return;
    }
    onFrame(frame).catch((error) => showError('app-error', error));
  });
  ws.addEventListener('close', () => {
    if (state.ws !== ws || !state.token) return;
    setStatus('offline');
    // Closed because this user opened too many connections elsewhere: wait as told before taking one back.
    const wait = state.wsRetryAfterMs ?? state.wsBackoffMs;
    state.wsRetryAfterMs = undefined;
    setTimeout(connect, wait);
    state.wsBackoffMs = Math.min(state.wsBackoffMs * 2, 15_000);
  });
}

function setStatus(status) {
  $('ws-status').textContent = status;
  $('ws-status').dataset.status = status;
}

const conversationIdOf = (frame) => Number(frame.conversationId ?? frame.conversation_id ?? frame.message?.conversation_id);
const userIdOf = (frame) => Number(frame.userId ?? frame.user_id ?? frame.readerId ?? frame.senderId);

async function onFrame(frame) {
  switch (frame.event) {
    case 'message':
    case 'ack': {
      const m = frame.message;
      if (!m) return;
      if (m.conversation_id === state.current) {
        await learnNames([m.sender_id]);
        addMessages([m]);
        renderMessages();
        if (frame.event === 'message') {
          markRead();
          $('typing').textContent = ''; // they sent what they were typing
        }
      }
      state.ackWaiters.get(frame.clientMessageId)?.(); // after the message replaced its pending copy
      await loadConversations(); // order, last message and unread counts moved
      return;
    }
    case 'read':
      if (conversationIdOf(frame) !== state.current || userIdOf(frame) === state.me.id) return;
      state.readUpTo.set(userIdOf(frame), Math.max(state.readUpTo.get(userIdOf(frame)) ?? 0, Number(frame.seq)));
      return renderMessages();
    case 'typing':
      if (conversationIdOf(frame) !== state.current || userIdOf(frame) === state.me.id) return;
      $('typing').textContent = `${nameOf(userIdOf(frame))} 正在输入…`;
      clearTimeout(state.typingTimer);
      state.typingTimer = setTimeout(() => ($('typing').textContent = ''), TYPING_SHOWN_MS);
      return;
    case 'error':
      // A send told to come back later: its sendMessage() resends it after retryAfter.
      if (typeof frame.retryAfter === 'number' && state.ackWaiters.has(frame.clientMessageId)) return state.ackWaiters.get(frame.clientMessageId)(frame);
      // No action: the server closed this connection for a newer one over the cap (see /docs), not a refused frame.
      if (frame.code === 'RATE_LIMITED' && frame.retryAfter && !frame.action) state.wsRetryAfterMs = frame.retryAfter * 1000;
      return showError('app-error', Object.assign(new Error(frame.message), { code: frame.code }));
  }
}

// ---- Boot ----------------------------------------------------------------------------------------------------
(async () => {
  // config.json sits beside these files: locally the stack serves it; on a static host, deploy your own.
  state.config = { ...state.config, ...(await fetch('config.json').then((r) => r.json()).catch(() => ({}))) };
  if (state.token) await start().catch(() => signOut());
})();
