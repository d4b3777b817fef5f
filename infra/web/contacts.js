// Contacts and blocks, and starting a conversation with the ticked contacts (one: single, several: a group).
import { $, el } from './dom.js';
import { api, guarded } from './api.js';
import { state } from './state.js';
import { refreshConversations } from './conversations.js';
import { openConversation } from './messages.js';

export async function loadContacts() {
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
  renderStartButton();
}

function toggleSelected(id) {
  if (state.selected.has(id)) state.selected.delete(id);
  else state.selected.add(id);
  renderStartButton();
}

/** One ticked contact: the single conversation; several: a group, which may be named. */
function renderStartButton() {
  $('start-conversation').disabled = state.selected.size === 0;
  $('group-name').hidden = state.selected.size < 2;
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

$('start-conversation').addEventListener('click', guarded('app-error', async () => {
  const name = state.selected.size > 1 ? $('group-name').value.trim() : '';
  const query = `contactId=${[...state.selected].join(',')}${name ? `&name=${encodeURIComponent(name)}` : ''}`;
  const { conversation } = await api('POST', `/conversation/create?${query}`);
  state.selected.clear();
  $('group-name').value = '';
  renderContacts();
  await refreshConversations();
  await openConversation(conversation.id, conversation);
}));
