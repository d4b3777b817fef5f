import { describe, expect, it } from 'vitest';
import { useStack } from '../support/context.ts';
import { WsClient, isEvent } from '../support/ws-client.ts';

/** What one ordinary, hostile account could do to others on main (issue 15), each checked against the real stack. */
const ctx = useStack();

describe('one frame cannot stop the stack', () => {
  it('a 2 MB frame closes only its own connection (1009, as API Gateway does) and everything keeps serving', async () => {
    const [attacker, bystander] = await Promise.all([ctx.api.newUser('attacker'), ctx.api.newUser('bystander')]);
    const [attackerWs, bystanderWs] = await Promise.all([WsClient.connect(ctx.stack.wsUrl, attacker.token), WsClient.connect(ctx.stack.wsUrl, bystander.token)]);
    attackerWs.send('x'.repeat(2 * 1024 * 1024));
    expect((await attackerWs.closed).code).toBe(1009);
    expect(await bystanderWs.request({ action: 'ping' }, isEvent('pong'))).toEqual({ event: 'pong' });
    expect((await ctx.api.get('/user/profile', attacker.token)).status).toBe(200);
    const again = await WsClient.connect(ctx.stack.wsUrl, attacker.token);
    expect(await again.request({ action: 'ping' }, isEvent('pong'))).toEqual({ event: 'pong' });
    await Promise.all([again.close(), bystanderWs.close()]);
  });
});

describe('email and headers', () => {
  it('shows an email to its owner and to the people the owner added as contacts, null to everyone else', async () => {
    const username = `owner_${Date.now().toString(36)}`;
    const reg = await ctx.api.post('/user/register', { username, password: 'correct-horse-1', nickname: 'owner', email: 'owner@example.com' });
    expect(reg.status).toBe(201);
    const owner = (await ctx.api.post('/user/login', { username, password: 'correct-horse-1' })).body;
    const [friend, stranger, admirer] = await Promise.all([ctx.api.newUser('friend'), ctx.api.newUser('stranger'), ctx.api.newUser('admirer')]);
    expect((await ctx.api.post('/contacts/add', { id: friend.id }, owner.token)).status).toBe(200);
    // One-directional: adding the owner to your own list earns nothing.
    expect((await ctx.api.post('/contacts/add', { id: owner.user.id }, admirer.token)).status).toBe(200);
    const emailSeenBy = async (token: string) => (await ctx.api.get(`/user/profile/${owner.user.id}`, token)).body.user.email;
    expect(await emailSeenBy(owner.token)).toBe('owner@example.com');
    expect((await ctx.api.get('/user/profile', owner.token)).body.user.email).toBe('owner@example.com');
    expect(await emailSeenBy(friend.token)).toBe('owner@example.com');
    expect(await emailSeenBy(stranger.token)).toBeNull();
    expect(await emailSeenBy(admirer.token)).toBeNull();
  });

  it('every API answer, success or failure, from a handler or the gateway itself, is no-store and nosniff', async () => {
    const user = await ctx.api.newUser('headers');
    const answers = await Promise.all([
      ctx.api.get('/user/profile', user.token),
      ctx.api.get('/user/profile'),
      ctx.api.post('/user/login', { username: 1 }),
      ctx.api.request('POST', '/user/login', { raw: 'x'.repeat(7 * 1024 * 1024), headers: { 'content-type': 'application/json' } }),
      ctx.api.get('/no/such/route'),
    ]);
    expect(answers.map((a) => a.status)).toEqual([200, 401, 400, 413, 404]);
    for (const answer of answers) {
      expect(answer.headers.get('cache-control')).toBe('no-store');
      expect(answer.headers.get('x-content-type-options')).toBe('nosniff');
    }
  });

  it('the web client cannot be framed: its pages carry a CSP with frame-ancestors none', async () => {
    for (const path of ['/', '/app.js', '/docs']) {
      const res = await fetch(ctx.stack.httpUrl + path);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    }
  });
});
