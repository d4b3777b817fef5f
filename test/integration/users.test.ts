import { describe, expect, it } from 'vitest';
import { SignJWT } from 'jose';
import { useStack } from '../support/context.ts';
import { TEST_JWT_SECRET } from '../support/stack.ts';

const ctx = useStack();
const secret = new TextEncoder().encode(TEST_JWT_SECRET);
const unique = (p: string) => `${p}_${Math.random().toString(36).slice(2, 10)}`;

describe('register and login (seed shapes)', () => {
  it('registers with the seed example shape and logs in with a verifiable token', async () => {
    const username = unique('zhuaiqiqi');
    const reg = await ctx.api.post('/user/register', { username, password: 'jhh72811', nickname: '拽奇奇', email: '2474510393@qq.com' });
    expect(reg.status).toBe(201);
    expect(reg.body).toMatchObject({ success: true, message: '注册成功！', user: { username, nickname: '拽奇奇', email: '2474510393@qq.com', authority: 'user' } });

    const login = await ctx.api.post('/user/login', { username, password: 'jhh72811' });
    expect(login.status).toBe(200);
    expect(login.body).toMatchObject({ success: true, message: '登录成功', user: { id: reg.body.user.id, userId: reg.body.user.id } });
    const [, payload] = (login.body.token as string).split('.');
    const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString());
    expect(claims).toMatchObject({ uid: reg.body.user.id, sub: String(reg.body.user.id), iss: 'chat-backend' });
    expect(claims.exp).toBeGreaterThan(claims.iat);
    expect(JSON.stringify(login.body)).not.toMatch(/password|\$2[aby]\$/);
  });

  it('treats usernames case-insensitively and answers 409 when taken', async () => {
    const username = unique('Case');
    expect((await ctx.api.post('/user/register', { username, password: 'password-1', nickname: 'n' })).status).toBe(201);
    const again = await ctx.api.post('/user/register', { username: username.toUpperCase(), password: 'password-1', nickname: 'n' });
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({ success: false, code: 'USERNAME_TAKEN' });
  });

  it('creates exactly one user from 20 concurrent registrations of one username', async () => {
    const username = unique('race');
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => ctx.api.post('/user/register', { username, password: `password-${i}`, nickname: `n${i}` })));
    expect(results.filter((r) => r.status === 201)).toHaveLength(1);
    expect(results.filter((r) => r.status === 409)).toHaveLength(19);
    const winner = results.find((r) => r.status === 201)!;
    const index = results.indexOf(winner);
    expect((await ctx.api.post('/user/login', { username, password: `password-${index}` })).status).toBe(200);
  });

  it('answers a wrong password and an unknown user the same way', async () => {
    const user = await ctx.api.newUser('pw');
    const wrong = await ctx.api.post('/user/login', { username: user.username, password: 'wrong-password' });
    const unknown = await ctx.api.post('/user/login', { username: unique('ghost'), password: 'wrong-password' });
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(wrong.body).toEqual(unknown.body);
  });
});

describe('profiles', () => {
  it('gives the caller their own profile and others a public profile, never the password', async () => {
    const alice = await ctx.api.newUser('alice');
    const bob = await ctx.api.newUser('bob');
    const own = await ctx.api.get('/user/profile', alice.token);
    expect(own.body.user).toMatchObject({ id: alice.id, username: alice.username });
    const other = await ctx.api.get(`/user/profile/${bob.id}`, alice.token);
    expect(other.status).toBe(200);
    expect(Object.keys(other.body.user).sort()).toEqual(['authority', 'created_at', 'email', 'id', 'nickname', 'userId', 'username']);
    expect(other.body.user).toMatchObject({ id: bob.id, userId: bob.id, username: bob.username });
  });

  it('404s an unknown id and 400s ids that are not ids', async () => {
    const alice = await ctx.api.newUser('alice');
    expect((await ctx.api.get('/user/profile/123456789', alice.token)).status).toBe(404);
    for (const bad of ['abc', '-1', '0', '1.5', '9007199254740992', '99999999999999999999', '%00']) {
      const res = await ctx.api.get(`/user/profile/${bad}`, alice.token);
      expect(res.status, bad).toBe(400);
      expect(res.body).toMatchObject({ success: false, code: 'VALIDATION_FAILED', field: 'id' });
    }
  });
});

describe('tokens', () => {
  it('accepts the token header and Authorization: Bearer', async () => {
    const alice = await ctx.api.newUser('alice');
    expect((await ctx.api.request('GET', '/user/profile', { headers: { authorization: `Bearer ${alice.token}` } })).status).toBe(200);
    expect((await ctx.api.request('GET', '/user/profile', { headers: { token: alice.token } })).status).toBe(200);
  });

  it('refuses missing, malformed, forged, expired, wrong-issuer and alg:none tokens with 401', async () => {
    const alice = await ctx.api.newUser('alice');
    const now = Math.floor(Date.now() / 1000);
    const sign = (claims: Record<string, unknown>, key = secret) =>
      new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).sign(key);
    const base = { uid: alice.id, sub: String(alice.id), iss: 'chat-backend', iat: now };
    const none = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url')}.${Buffer.from(JSON.stringify({ ...base, exp: now + 600 })).toString('base64url')}.`;
    const tokens = {
      missing: undefined,
      garbage: 'not-a-token',
      forged: await sign({ ...base, exp: now + 600 }, new TextEncoder().encode('someone-elses-secret-key-000000')),
      expired: await sign({ ...base, iat: now - 7200, exp: now - 3600 }),
      wrongIssuer: await sign({ ...base, iss: 'evil', exp: now + 600 }),
      algNone: none,
      tamperedUid: alice.token.replace(/^([^.]+)\.([^.]+)\./, (_, h, p) => `${h}.${Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(p, 'base64url').toString()), uid: 1 })).toString('base64url')}.`),
    };
    for (const [name, token] of Object.entries(tokens)) {
      const res = await ctx.api.get('/user/profile', token);
      expect(res.status, name).toBe(401);
      expect(res.body, name).toMatchObject({ success: false, code: 'UNAUTHORIZED' });
    }
  });
});
