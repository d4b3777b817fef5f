import { readFileSync, writeFileSync } from 'node:fs';
import { Api, type TestUser } from '../support/client.ts';
import { WsClient, isEvent, type Frame } from '../support/ws-client.ts';
import { makePng } from '../support/images.ts';

/**
 * `npm run test:deployed -- --http <HttpApiUrl> --ws <WebSocketUrl>` (or `--outputs cdk-outputs.json [--stack
 * ChatBackend]`): client-level smoke checks against any deployment, as an app would use it. Run it right after
 * `cdk deploy`; CI (.ci/run) runs it against `npm start`. Each check prints ✓ or ✗; the users it made cannot be
 * deleted through the API, so it says what it left. `--report file.json` writes the counts for CI.
 */
type Target = { http: string; ws: string };

function target(argv: string[]): Target {
  const arg = (name: string) => { const i = argv.indexOf(name); return i >= 0 ? argv[i + 1] : undefined; };
  const outputsFile = arg('--outputs');
  if (outputsFile) {
    const outputs = JSON.parse(readFileSync(outputsFile, 'utf8')) as Record<string, Record<string, string>>;
    const stack = outputs[arg('--stack') ?? 'ChatBackend'] ?? Object.values(outputs)[0];
    if (!stack?.HttpApiUrl || !stack.WebSocketUrl) throw new Error(`${outputsFile} has no HttpApiUrl and WebSocketUrl (pass --stack <name>)`);
    return { http: stack.HttpApiUrl, ws: stack.WebSocketUrl };
  }
  const http = arg('--http');
  const ws = arg('--ws');
  if (!http || !ws) throw new Error('usage: npm run test:deployed -- --http <HttpApiUrl> --ws <WebSocketUrl> | --outputs cdk-outputs.json [--stack name]');
  return { http, ws };
}

const argv = process.argv.slice(2);
const { http, ws } = target(argv);
const api = new Api(http.replace(/\/+$/, ''));
const results: Array<{ name: string; ok: boolean; ms: number; error?: string }> = [];
const sockets: WsClient[] = [];
const left: string[] = [];

async function check(name: string, run: () => Promise<void>): Promise<boolean> {
  const started = performance.now();
  try {
    await run();
    results.push({ name, ok: true, ms: performance.now() - started });
  } catch (error) {
    results.push({ name, ok: false, ms: performance.now() - started, error: (error as Error).message.slice(0, 500) });
  }
  const last = results.at(-1)!;
  console.log(`${last.ok ? '✓' : '✗'} ${name} (${Math.round(last.ms)} ms)${last.error ? `\n    ${last.error}` : ''}`);
  return last.ok;
}

function expectThat(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(message);
}

async function connect(user: TestUser): Promise<WsClient> {
  const socket = await WsClient.connect(ws, user.token);
  sockets.push(socket);
  return socket;
}

/** A frame about one message, by its content (other frames, from earlier checks, may arrive too). */
const messageWith = (content: string) => (frame: Frame) => frame.event === 'message' && frame.message?.content === content;

console.log(`Smoke checks against ${http} and ${ws}`);
const users: TestUser[] = [];
let single = 0;
let group = 0;
let aliceSocket: WsClient | undefined;
let bobSocket: WsClient | undefined;
let carolSocket: WsClient | undefined;

try {
  const registered = await check('register and log in three users', async () => {
    for (const name of ['alice', 'bob', 'carol']) users.push(await api.newUser(`smoke_${name}`));
    left.push(`users ${users.map((u) => `${u.username} (${u.id})`).join(', ')}: the API has no account deletion`);
  });
  if (!registered) throw new Error('no users, nothing else to check');
  const [alice, bob, carol] = users as [TestUser, TestUser, TestUser];

  await check('profile, contacts, and a 404 envelope for an unknown path', async () => {
    const profile = await api.get('/user/profile', alice.token);
    expectThat(profile.status === 200 && profile.body.user?.id === alice.id, `GET /user/profile: ${profile.status} ${JSON.stringify(profile.body)}`);
    for (const contact of [bob, carol]) {
      const added = await api.post('/contacts/add', { id: contact.id }, alice.token);
      expectThat(added.status === 200 || added.status === 201, `POST /contacts/add: ${added.status} ${JSON.stringify(added.body)}`);
    }
    const list = await api.get('/contacts/list', alice.token);
    expectThat(list.body.contacts?.length === 2, `GET /contacts/list: ${JSON.stringify(list.body)}`);
    const unknown = await api.get('/smoke/no-such-path', alice.token);
    expectThat(unknown.status === 404 && unknown.body.success === false && unknown.body.code === 'NOT_FOUND', `GET /smoke/no-such-path: ${unknown.status} ${JSON.stringify(unknown.body)}`);
  });

  await check('1:1 chat: WebSocket send is acked and pushed, HTTP send is pushed, history has both', async () => {
    single = await api.conversation(alice.token, bob.id);
    [aliceSocket, bobSocket] = [await connect(alice), await connect(bob)];
    const ack = await aliceSocket.request({ action: 'sendMessage', conversationId: single, content: 'smoke hello bob', type: 'text', clientMessageId: 'smoke-1' }, isEvent('ack'));
    expectThat(ack.clientMessageId === 'smoke-1' && ack.message?.content === 'smoke hello bob', `ack: ${JSON.stringify(ack)}`);
    await bobSocket.waitFor(messageWith('smoke hello bob'));
    const sent = await api.post('/message/send', { conversationId: single, content: 'smoke hello alice', type: 'text' }, bob.token);
    expectThat(sent.status === 200 || sent.status === 201, `POST /message/send: ${sent.status} ${JSON.stringify(sent.body)}`);
    await aliceSocket.waitFor(messageWith('smoke hello alice'));
    const history = await api.get(`/message/history/${single}`, bob.token);
    const contents = (history.body.messages ?? []).map((m: { content: string }) => m.content);
    expectThat(contents.includes('smoke hello bob') && contents.includes('smoke hello alice'), `history: ${JSON.stringify(history.body)}`);
  });

  await check('group of three: a WebSocket send reaches both other members', async () => {
    group = await api.conversation(alice.token, bob.id, carol.id);
    carolSocket = await connect(carol);
    await aliceSocket!.request({ action: 'sendMessage', conversationId: group, content: 'smoke hello group', type: 'text', clientMessageId: 'smoke-2' }, isEvent('ack'));
    await Promise.all([bobSocket!.waitFor(messageWith('smoke hello group')), carolSocket.waitFor(messageWith('smoke hello group'))]);
  });

  await check('image round trip: presigned upload, image message, presigned download of the same bytes', async () => {
    const png = makePng(8, 8, Date.now() % 1000);
    const asked = await api.post('/message/image', { contentType: 'image/png', size: png.length, conversationId: single }, alice.token);
    expectThat(asked.status === 200 || asked.status === 201, `POST /message/image: ${asked.status} ${JSON.stringify(asked.body)}`);
    const form = new FormData();
    for (const [name, value] of Object.entries(asked.body.upload.fields as Record<string, string>)) form.append(name, value);
    form.append('file', new Blob([png], { type: 'image/png' }));
    const uploaded = await fetch(asked.body.upload.url, { method: 'POST', body: form });
    expectThat(uploaded.status === 204 || uploaded.status === 201 || uploaded.status === 200, `upload to the bucket: ${uploaded.status} ${await uploaded.text()}`);
    left.push(`image object ${asked.body.key}`);
    await aliceSocket!.request({ action: 'sendMessage', conversationId: single, content: asked.body.key, type: 'image', clientMessageId: 'smoke-3' }, isEvent('ack'));
    const [pushed] = await bobSocket!.waitFor(messageWith(asked.body.key));
    const downloaded = await fetch(pushed!.message.url);
    expectThat(downloaded.ok && Buffer.from(await downloaded.arrayBuffer()).equals(png), `download: ${downloaded.status}, not the uploaded bytes`);
  });

  await check('logout closes the user\'s open socket and revokes the token', async () => {
    const loggedOut = await api.post('/user/logout', undefined, bob.token);
    expectThat(loggedOut.status === 200, `POST /user/logout: ${loggedOut.status} ${JSON.stringify(loggedOut.body)}`);
    const closed = await Promise.race([bobSocket!.closed, new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 10_000))]);
    expectThat(closed, 'the socket was still open 10 s after logout');
    const after = await api.get('/user/profile', bob.token);
    expectThat(after.status === 401, `GET /user/profile with the old token: ${after.status}`);
  });
} catch (error) {
  console.log(`stopped: ${(error as Error).message}`);
} finally {
  // Clean up what the API allows: contacts, and every session; the rest is listed.
  for (const socket of sockets) socket.socket.terminate();
  const [alice] = users;
  for (const contact of users.slice(1)) if (alice) await api.delete(`/contacts/remove/${contact.id}`, alice.token).catch(() => undefined);
  for (const user of users) await api.post('/user/logout', undefined, user.token).catch(() => undefined);
  if (single || group) left.push(`conversations ${[single, group].filter(Boolean).join(', ')} and their messages: the API deletes no conversation`);
}

const failed = results.filter((r) => !r.ok).length;
console.log(`\nleft behind: ${left.length ? left.join('; ') : 'nothing'} (contacts removed, every session logged out)`);
console.log(`smoke: ${results.length - failed} passed, ${failed} failed`);
const reportIndex = argv.indexOf('--report');
if (reportIndex >= 0) writeFileSync(argv[reportIndex + 1]!, JSON.stringify({ passed: results.length - failed, failed, results, left }, null, 2));
process.exit(failed || results.length === 0 ? 1 : 0);
