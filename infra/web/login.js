// Signing in (register or log in), signing out, and starting the signed-in session.
import { $ } from './dom.js';
import { api, guarded, signOut } from './api.js';
import { state } from './state.js';
import { isLive, connect } from './socket.js';
import { loadContacts } from './contacts.js';
import { refreshConversations } from './conversations.js';
import { catchUp } from './messages.js';
import { renderSettings } from './settings.js';

const POLL_MS = 2000;

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

export async function start() {
  const { user } = await api('GET', '/user/profile');
  state.me = user;
  state.names.set(user.id, user.nickname);
  state.blocked = new Set(JSON.parse(localStorage.getItem(`blocked:${user.id}`) ?? '[]'));
  $('me-name').textContent = user.nickname;
  $('me-id').textContent = String(user.id);
  $('auth').hidden = true;
  $('app').hidden = false;
  renderSettings();
  await Promise.all([loadContacts(), refreshConversations()]);
  connect(catchUp); // after every (re)connect: what arrived meanwhile
  setInterval(() => {
    if (!isLive()) catchUp().catch(() => undefined); // no live link: poll instead
  }, POLL_MS);
}
