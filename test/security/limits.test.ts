import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { startTestStack } from '../support/stack.ts';
import { Api } from '../support/client.ts';
import { postFrom } from '../support/security.ts';
import type { LocalStack } from '../../infra/local/stack.ts';

/**
 * Abuse limits, with small values so the tests reach them. The windows are very long (aligned to multiples of
 * 10^9 s, the current one ends in 2033) so no test straddles a window boundary and sees its counter reset.
 */
const LONG_WINDOW = String(1_000_000_000);
const LOGIN_FAILURES_PER_IP = 3;
const LOGIN_FAILURES_PER_ACCOUNT = 6;
const REGISTRATIONS_PER_IP = 3;
const SENDS_PER_USER = 5;
const SENDS_PER_CONVERSATION = 8;

let stack: LocalStack;
let api: Api;
beforeAll(async () => {
  stack = await startTestStack({
    LIMIT_LOGIN_FAILURES_PER_IP_MAX: String(LOGIN_FAILURES_PER_IP),
    LIMIT_LOGIN_FAILURES_PER_IP_WINDOW_SECONDS: LONG_WINDOW,
    LIMIT_LOGIN_FAILURES_PER_ACCOUNT_MAX: String(LOGIN_FAILURES_PER_ACCOUNT),
    LIMIT_LOGIN_FAILURES_PER_ACCOUNT_WINDOW_SECONDS: LONG_WINDOW,
    LIMIT_REGISTER_MAX: String(REGISTRATIONS_PER_IP),
    LIMIT_REGISTER_WINDOW_SECONDS: LONG_WINDOW,
    LIMIT_MESSAGE_SEND_MAX: String(SENDS_PER_USER),
    LIMIT_MESSAGE_SEND_WINDOW_SECONDS: LONG_WINDOW,
    LIMIT_CONVERSATION_SEND_MAX: String(SENDS_PER_CONVERSATION),
    LIMIT_CONVERSATION_SEND_WINDOW_SECONDS: LONG_WINDOW,
  });
  api = new Api(stack.httpUrl);
});
afterAll(async () => {
  console.log(
    `[limits] (test values) login failures/IP=${LOGIN_FAILURES_PER_IP} /account=${LOGIN_FAILURES_PER_ACCOUNT} registrations/IP=${REGISTRATIONS_PER_IP} sends/user=${SENDS_PER_USER} -> 429s=${figures.rateLimited} ` +
      `(each with retry-after); oversized body -> 413s=${figures.tooLarge}; over-limit text/group/password -> 400s=${figures.refusedSizes}; refused sends stored=${figures.refusedStored}; password checks per window: ${JSON.stringify(figures.guesses)}`,
  );
  await stack?.stop();
});

/** What the suite saw, printed at the end. */
const figures = { rateLimited: 0, tooLarge: 0, refusedSizes: 0, refusedStored: 0, guesses: {} as Record<string, number> };

/** Each user registers from its own loopback address, so the per-IP limit never gets in the way of setup. */
let nextAddress = 10;
async function newUser(prefix: string) {
  const username = `${prefix}_${randomBytes(4).toString('hex')}`;
  const password = 'correct-horse-1';
  const reg = await postFrom(stack.httpUrl, `127.0.1.${nextAddress++}`, '/user/register', { username, password, nickname: prefix });
  expect(reg.status).toBe(201);
  const login = await api.post('/user/login', { username, password });
  expect(login.status).toBe(200);
  return { id: login.body.user.id as number, username, password, token: login.body.token as string };
}

function expectRateLimited(res: { status: number; body: any; headers: Headers | Record<string, unknown> }) {
  expect(res.status).toBe(429);
  expect(res.body).toMatchObject({ success: false, code: 'RATE_LIMITED' });
  const retryAfter = Number(res.headers instanceof Headers ? res.headers.get('retry-after') : res.headers['retry-after']);
  expect(Number.isInteger(retryAfter) && retryAfter > 0).toBe(true);
  expect(res.body.retryAfter).toBe(retryAfter);
  figures.rateLimited++;
}

/** Each test guesses from addresses of its own (127.0.<block>.x), so per-IP counts never carry over between tests. */
let nextBlock = 20;
const addresses = (count: number) => {
  const block = nextBlock++;
  return Array.from({ length: count }, (_, i) => `127.0.${block}.${i + 1}`);
};
const loginFrom = (address: string, username: string, password: string) => postFrom(stack.httpUrl, address, '/user/login', { username, password });

/** Password checks an attacker gets in one window against one account: what the two limits allow together. */
const guessesPerWindow = (ips: number, perIp: number, perAccount: number) => Math.min(ips * perIp, perAccount);

/** Wrong guesses from each address in turn until every one is refused; how many got a password check (401). */
async function guessFrom(ips: string[], username: string): Promise<number> {
  let checked = 0;
  for (const address of ips) {
    for (let i = 0; ; i++) {
      const res = await loginFrom(address, username, `guess-${i}-xxxx`);
      if (res.status === 429) {
        expectRateLimited(res);
        break;
      }
      expect(res.status).toBe(401);
      checked++;
    }
  }
  return checked;
}

describe('login: failures per source IP and per account', () => {
  it('a stranger guessing from one address is stopped there, while the owner logs in from anywhere else', async () => {
    const [victim, bystander] = await Promise.all([newUser('victim'), newUser('bystander')]);
    const [attacker, ownerPhone] = addresses(2);
    expect(await guessFrom([attacker!], victim.username)).toBe(LOGIN_FAILURES_PER_IP);
    // The attacker's address is spent for every account, and even the right password gets no check from it.
    expectRateLimited(await loginFrom(attacker!, bystander.username, bystander.password));
    expectRateLimited(await loginFrom(attacker!, victim.username.toUpperCase(), victim.password));
    // The owner, from an address the account never used, is not locked out; nor is a password change.
    expect((await loginFrom(ownerPhone!, victim.username, victim.password)).status).toBe(200);
    const changed = await postFrom(stack.httpUrl, ownerPhone!, '/user/password', { oldPassword: victim.password, newPassword: 'brand-new-pass' }, { token: victim.token });
    expect(changed.status).toBe(200);
  });

  it('guesses from many addresses stop at the account ceiling; the owner\'s known address still gets in, a new one waits', async () => {
    const victim = await newUser('distributed');
    const [home, elsewhere] = addresses(2);
    expect((await loginFrom(home!, victim.username, victim.password)).status).toBe(200);
    const botnet = addresses(4);
    const checked = await guessFrom(botnet, victim.username);
    expect(checked).toBe(guessesPerWindow(botnet.length, LOGIN_FAILURES_PER_IP, LOGIN_FAILURES_PER_ACCOUNT));
    expect(checked).toBe(LOGIN_FAILURES_PER_ACCOUNT);
    expect((await loginFrom(home!, victim.username, victim.password)).status).toBe(200);
    expectRateLimited(await loginFrom(elsewhere!, victim.username, victim.password));
    figures.guesses = { oneIp: guessesPerWindow(1, LOGIN_FAILURES_PER_IP, LOGIN_FAILURES_PER_ACCOUNT), fourIps: checked };
  });

  it('measures guesses per window with 1 address: the per-IP limit', async () => {
    const victim = await newUser('single');
    expect(await guessFrom(addresses(1), victim.username)).toBe(guessesPerWindow(1, LOGIN_FAILURES_PER_IP, LOGIN_FAILURES_PER_ACCOUNT));
  });

  it('counts parallel guesses atomically: no more than the limit get a password check', async () => {
    const victim = await newUser('parallel');
    const [address] = addresses(1);
    const results = await Promise.all(Array.from({ length: 12 }, (_, i) => loginFrom(address!, victim.username, `parallel-${i}-xx`)));
    const statuses = results.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 401)).toHaveLength(LOGIN_FAILURES_PER_IP);
    expect(statuses.filter((s) => s === 429)).toHaveLength(12 - LOGIN_FAILURES_PER_IP);
  });

  it('does not count successful logins, and a success does not reset the failures', async () => {
    const user = await newUser('regular');
    const [address] = addresses(1);
    for (let i = 0; i < LOGIN_FAILURES_PER_IP + 2; i++) expect((await loginFrom(address!, user.username, user.password)).status).toBe(200);
    for (let i = 0; i < LOGIN_FAILURES_PER_IP - 1; i++) expect((await loginFrom(address!, user.username, 'wrong-password')).status).toBe(401);
    expect((await loginFrom(address!, user.username, user.password)).status).toBe(200);
    expect((await loginFrom(address!, user.username, 'wrong-password')).status).toBe(401);
    expectRateLimited(await loginFrom(address!, user.username, user.password));
  });

  it('limits unknown usernames the same way (the limits tell nothing about which accounts exist)', async () => {
    const ghost = `ghost_${randomBytes(4).toString('hex')}`;
    expect(await guessFrom(addresses(3), ghost)).toBe(LOGIN_FAILURES_PER_ACCOUNT);
  });

  it('counts wrong old passwords on POST /user/password too', async () => {
    const user = await newUser('stolen');
    const [address] = addresses(1);
    for (let i = 0; i < LOGIN_FAILURES_PER_IP; i++) {
      const res = await postFrom(stack.httpUrl, address!, '/user/password', { oldPassword: `guess-${i}-xxxx`, newPassword: 'brand-new-pass' }, { token: user.token });
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ code: 'VALIDATION_FAILED', field: 'oldPassword' });
    }
    expectRateLimited(await postFrom(stack.httpUrl, address!, '/user/password', { oldPassword: user.password, newPassword: 'brand-new-pass' }, { token: user.token }));
  });
});

describe('register: per source IP', () => {
  it(`allows ${REGISTRATIONS_PER_IP} registrations per address, then 429; other addresses are unaffected`, async () => {
    const register = (address: string) =>
      postFrom(stack.httpUrl, address, '/user/register', { username: `ip_${randomBytes(4).toString('hex')}`, password: 'correct-horse-1', nickname: 'ip' });
    for (let i = 0; i < REGISTRATIONS_PER_IP; i++) expect((await register('127.0.2.1')).status).toBe(201);
    expectRateLimited(await register('127.0.2.1'));
    expect((await register('127.0.2.2')).status).toBe(201);
  });
});

describe('message send: per user', () => {
  it(`accepts ${SENDS_PER_USER} messages, then 429 without storing; other senders are unaffected`, async () => {
    const [sender, peer] = await Promise.all([newUser('chatty'), newUser('peer')]);
    const conversationId = await api.conversation(sender.token, peer.id);
    for (let i = 0; i < SENDS_PER_USER; i++) {
      expect((await api.post('/message/send', { conversationId, content: `m${i}` }, sender.token)).status).toBe(201);
    }
    expectRateLimited(await api.post('/message/send', { conversationId, content: 'one too many' }, sender.token));
    expect((await api.post('/message/send', { conversationId, content: 'from the peer' }, peer.token)).status).toBe(201);
    const history = await api.get(`/message/history/${conversationId}`, peer.token);
    expect(history.body.messages.map((m: { content: string }) => m.content)).toEqual(['m0', 'm1', 'm2', 'm3', 'm4', 'from the peer']);
    figures.refusedStored += history.body.messages.filter((m: { content: string }) => m.content === 'one too many').length;
  });
});

describe('message send: per conversation', () => {
  it(`a burst into one conversation: ${SENDS_PER_CONVERSATION} stored with seqs 1..${SENDS_PER_CONVERSATION}, the rest 429 with retry-after and not stored`, async () => {
    // One after another: logins from this test's one address count against its per-IP limit (3) while in flight.
    const members = [];
    for (let i = 0; i < 4; i++) members.push(await newUser('burst'));
    const conversationId = await api.conversation(members[0]!.token, ...members.slice(1).map((m) => m.id));
    // All at once: more sends are on their way than the window holds before any of them has been counted.
    const sends = members.flatMap((member) => [0, 1, 2].map((i) => api.post('/message/send', { conversationId, content: `${member.id}-${i}` }, member.token)));
    const answers = await Promise.all(sends);
    const stored = answers.filter((res) => res.status === 201);
    const refused = answers.filter((res) => res.status !== 201);
    refused.forEach(expectRateLimited);
    expect(stored.length).toBe(SENDS_PER_CONVERSATION);
    const history = await api.get(`/message/history/${conversationId}?limit=100`, members[0]!.token);
    const sent = history.body.messages.filter((m: { system?: unknown }) => !m.system);
    const byNumber = (a: number, b: number) => a - b;
    expect(sent.map((m: { id: number }) => m.id).sort(byNumber)).toEqual(stored.map((res) => res.body.data.id as number).sort(byNumber));
    expect(sent.map((m: { seq: number }) => m.seq)).toEqual(sent.map((_: unknown, i: number) => sent[0].seq + i));
  });
});

describe('size limits', () => {
  it('refuses bodies over 64 KB (413), text over 4,000 characters, groups over 500 and passwords over 72 bytes (400)', async () => {
    const [user, peer] = await Promise.all([newUser('sizes'), newUser('sizes_peer')]);
    const conversationId = await api.conversation(user.token, peer.id);
    const huge = await api.request('POST', '/message/send', { token: user.token, raw: JSON.stringify({ conversationId, content: 'x'.repeat(65 * 1024) }), headers: { 'content-type': 'application/json' } });
    expect([huge.status, huge.body.code]).toEqual([413, 'PAYLOAD_TOO_LARGE']);
    figures.tooLarge++;
    const long = await api.post('/message/send', { conversationId, content: '长'.repeat(4001) }, user.token);
    expect([long.status, long.body.code, long.body.field]).toEqual([400, 'VALIDATION_FAILED', 'content']);
    expect((await api.post('/message/send', { conversationId, content: '长'.repeat(4000) }, user.token)).status).toBe(201);
    const crowd = Array.from({ length: 500 }, (_, i) => peer.id + i + 1).join(',');
    const group = await api.post(`/conversation/create?contactId=${crowd}`, undefined, user.token);
    expect([group.status, group.body.code]).toEqual([400, 'VALIDATION_FAILED']);
    const longPassword = await postFrom(stack.httpUrl, '127.0.3.1', '/user/register', { username: `pw_${randomBytes(3).toString('hex')}`, password: 'é'.repeat(37), nickname: 'pw' });
    expect([longPassword.status, longPassword.body.field]).toEqual([400, 'password']);
    figures.refusedSizes += 3;
  });
});
