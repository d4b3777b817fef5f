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
const LOGIN_FAILURES = 3;
const REGISTRATIONS_PER_IP = 3;
const SENDS_PER_USER = 5;

let stack: LocalStack;
let api: Api;
beforeAll(async () => {
  stack = await startTestStack({
    LIMIT_LOGIN_FAILURES_MAX: String(LOGIN_FAILURES),
    LIMIT_LOGIN_FAILURES_WINDOW_SECONDS: LONG_WINDOW,
    LIMIT_REGISTER_MAX: String(REGISTRATIONS_PER_IP),
    LIMIT_REGISTER_WINDOW_SECONDS: LONG_WINDOW,
    LIMIT_MESSAGE_SEND_MAX: String(SENDS_PER_USER),
    LIMIT_MESSAGE_SEND_WINDOW_SECONDS: LONG_WINDOW,
  });
  api = new Api(stack.httpUrl);
});
afterAll(async () => {
  console.log(
    `[limits] (test values) login failures/account=${LOGIN_FAILURES} registrations/IP=${REGISTRATIONS_PER_IP} sends/user=${SENDS_PER_USER} -> 429s=${figures.rateLimited} ` +
      `(each with retry-after); oversized body -> 413s=${figures.tooLarge}; over-limit text/group/password -> 400s=${figures.refusedSizes}; refused sends stored=${figures.refusedStored}`,
  );
  await stack?.stop();
});

/** What the suite saw, printed at the end. */
const figures = { rateLimited: 0, tooLarge: 0, refusedSizes: 0, refusedStored: 0 };

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

describe('login: failures per account', () => {
  it(`refuses every attempt, even the right password, after ${LOGIN_FAILURES} failures`, async () => {
    const victim = await newUser('victim');
    for (let i = 0; i < LOGIN_FAILURES; i++) {
      expect((await api.post('/user/login', { username: victim.username, password: `guess-${i}-xxxx` })).status).toBe(401);
    }
    expectRateLimited(await api.post('/user/login', { username: victim.username, password: 'another-guess' }));
    expectRateLimited(await api.post('/user/login', { username: victim.username.toUpperCase(), password: victim.password }));
    // Other accounts are not affected, and tokens already issued keep working.
    const bystander = await newUser('bystander');
    expect((await api.post('/user/login', { username: bystander.username, password: bystander.password })).status).toBe(200);
    expect((await api.get('/user/profile', victim.token)).status).toBe(200);
  });

  it('counts parallel guesses atomically: no more than the limit get a password check', async () => {
    const victim = await newUser('parallel');
    const results = await Promise.all(Array.from({ length: 12 }, (_, i) => api.post('/user/login', { username: victim.username, password: `parallel-${i}-xx` })));
    const statuses = results.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 401)).toHaveLength(LOGIN_FAILURES);
    expect(statuses.filter((s) => s === 429)).toHaveLength(12 - LOGIN_FAILURES);
  });

  it('does not count successful logins, and a success does not reset the failures', async () => {
    const user = await newUser('regular');
    for (let i = 0; i < LOGIN_FAILURES + 2; i++) expect((await api.post('/user/login', { username: user.username, password: user.password })).status).toBe(200);
    for (let i = 0; i < LOGIN_FAILURES - 1; i++) expect((await api.post('/user/login', { username: user.username, password: 'wrong-password' })).status).toBe(401);
    expect((await api.post('/user/login', { username: user.username, password: user.password })).status).toBe(200);
    expect((await api.post('/user/login', { username: user.username, password: 'wrong-password' })).status).toBe(401);
    expectRateLimited(await api.post('/user/login', { username: user.username, password: user.password }));
  });

  it('limits unknown usernames the same way (the limit tells nothing about which accounts exist)', async () => {
    const ghost = `ghost_${randomBytes(4).toString('hex')}`;
    for (let i = 0; i < LOGIN_FAILURES; i++) expect((await api.post('/user/login', { username: ghost, password: 'whatever-pass' })).status).toBe(401);
    expectRateLimited(await api.post('/user/login', { username: ghost, password: 'whatever-pass' }));
  });

  it('counts wrong old passwords on POST /user/password against the account too', async () => {
    const user = await newUser('stolen');
    for (let i = 0; i < LOGIN_FAILURES; i++) {
      const res = await api.post('/user/password', { oldPassword: `guess-${i}-xxxx`, newPassword: 'brand-new-pass' }, user.token);
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ code: 'VALIDATION_FAILED', field: 'oldPassword' });
    }
    expectRateLimited(await api.post('/user/password', { oldPassword: user.password, newPassword: 'brand-new-pass' }, user.token));
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
