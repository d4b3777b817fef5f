import { describe, expect, it } from 'vitest';
import { request } from 'node:http';
import { SignatureV4 } from '@smithy/signature-v4';
import { Sha256 } from '@smithy/core/checksum';
import { HttpRequest } from '@smithy/core/transport';
import { S3RVER_CREDENTIALS } from '../../infra/local/s3-local.ts';
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
    for (const path of ['/', '/main.js', '/docs']) {
      const res = await fetch(ctx.stack.httpUrl + path);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    }
  });
});

describe('look-alike and invisible names', () => {
  const register = (username: string, nickname = 'nick') => ctx.api.post('/user/register', { username, password: 'correct-horse-1', nickname });
  const unique = () => Math.random().toString(36).slice(2, 8);

  it('full-width and differently-cased forms of a taken username are the same username (NFKC + case folding)', async () => {
    const base = `admin${unique()}`;
    expect((await register(base)).status).toBe(201);
    const fullWidth = [...base].map((c) => String.fromCodePoint(c.codePointAt(0)! + 0xfee0)).join('');
    for (const lookAlike of [fullWidth, base.toUpperCase(), fullWidth.toUpperCase()]) {
      expect(await register(lookAlike).then((r) => [r.status, r.body.code])).toEqual([409, 'USERNAME_TAKEN']);
    }
    // The owner signs in with any of the forms, as with the case-insensitive name before.
    expect((await ctx.api.post('/user/login', { username: fullWidth, password: 'correct-horse-1' })).body.user.username).toBe(base);
  });

  it('refuses usernames mixing Latin with Cyrillic or Greek look-alikes', async () => {
    for (const mixed of [`p\u0430ypal${unique()}`, `\u03bfpen${unique()}`]) {
      expect(await register(mixed).then((r) => [r.status, r.body.field])).toEqual([400, 'username']);
    }
    expect((await register(`\u0438\u0432\u0430\u043d${unique().replace(/\d/g, '')}`)).status).toBe(400); // Cyrillic with the Latin suffix
    expect((await register(`\u0438\u0432\u0430\u043d_${Date.now() % 100000}`)).status).toBe(201); // all Cyrillic (and digits) is fine
  });

  it.each([
    ['HANGUL FILLER (an invisible username)', '\u3164'],
    ['HANGUL CHOSEONG FILLER', '\u115F'],
    ['HANGUL JUNGSEONG FILLER', '\u1160'],
    ['HALFWIDTH HANGUL FILLER', '\uFFA0'],
    ['zero-width space', 'ab\u200Bc'],
    ['zero-width joiner', 'a\u200Dbc'],
    ['right-to-left override', 'abc\u202Egpj'],
    ['byte order mark', '\uFEFFabc'],
  ])('refuses %s in usernames', async (_, bad) => {
    expect(await register(bad + unique()).then((r) => [r.status, r.body.field])).toEqual([400, 'username']);
  });

  it.each([
    ['right-to-left override', 'evil\u202Egnp.exe'],
    ['left-to-right isolate', 'a\u2066b'],
    ['zero-width space', 'ad\u200Bmin'],
    ['word joiner', 'a\u2060b'],
    ['soft hyphen', 'a\u00ADb'],
    ['HANGUL FILLER', '\u3164'],
    ['BRAILLE PATTERN BLANK', '\u2800\u2800'],
    ['line separator', 'a\u2028b'],
  ])('refuses %s in nicknames', async (_, bad) => {
    expect(await register(`nick${unique()}`, bad).then((r) => [r.status, r.body.field])).toEqual([400, 'nickname']);
  });

  it('keeps accepting ordinary names in any script, emoji included', async () => {
    for (const [username, nickname] of [[`zhang_${unique()}`, '张三 🐼'], [`مريم${Date.now() % 100000}`, 'مريم'], [`yamada.${unique()}`, '山田 太郎']]) {
      expect((await register(username!, nickname)).status).toBe(201);
    }
  });
});

describe('@connections is as strict as AWS', () => {
  const callbackUrl = () => process.env.WS_CALLBACK_URL!;
  async function signed(method: string, connectionId: string, body: string, credentials: { accessKeyId: string; secretAccessKey: string } = S3RVER_CREDENTIALS) {
    const url = new URL(`${callbackUrl()}/@connections/${encodeURIComponent(connectionId)}`);
    const signer = new SignatureV4({ credentials, region: 'us-east-1', service: 'execute-api', sha256: Sha256 });
    const request = await signer.sign(new HttpRequest({ method, protocol: 'http:', hostname: url.hostname, port: Number(url.port), path: url.pathname, headers: { host: url.host, 'content-type': 'application/json' }, body }));
    return fetch(url, { method, headers: request.headers as Record<string, string>, body: method === 'POST' ? body : undefined });
  }

  it('pushes only with a valid SigV4 signature of the stack\'s credentials: unsigned and wrongly signed calls get 403', async () => {
    const victim = await ctx.api.newUser('victim');
    const socket = await WsClient.connect(ctx.stack.wsUrl, victim.token);
    const [connectionId] = ctx.stack.ws.connectionIds(victim.id);
    const forged = JSON.stringify({ event: 'message', message: { content: 'forged' } });
    const unsigned = await fetch(`${callbackUrl()}/@connections/${encodeURIComponent(connectionId!)}`, { method: 'POST', body: forged });
    expect([unsigned.status, unsigned.headers.get('x-amzn-errortype')]).toEqual([403, 'MissingAuthenticationTokenException']);
    const wrongSecret = await signed('POST', connectionId!, forged, { accessKeyId: S3RVER_CREDENTIALS.accessKeyId, secretAccessKey: 'guessed' });
    expect([wrongSecret.status, wrongSecret.headers.get('x-amzn-errortype')]).toEqual([403, 'InvalidSignatureException']);
    const wrongKey = await signed('DELETE', connectionId!, '', { accessKeyId: 'AKIAOTHER', secretAccessKey: 'x' });
    expect(wrongKey.status).toBe(403);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(socket.frames).toEqual([]);
    expect((await signed('POST', connectionId!, JSON.stringify({ event: 'pong' }))).status).toBe(200);
    expect(await socket.waitFor(isEvent('pong'))).toHaveLength(1);
    await socket.close();
  });

  it('refuses bodies over 128 KB with 413 before reading them: a 400 MB POST neither succeeds nor fills the memory', async () => {
    const user = await ctx.api.newUser('big');
    const socket = await WsClient.connect(ctx.stack.wsUrl, user.token);
    const [connectionId] = ctx.stack.ws.connectionIds(user.id);
    const tooBig = await signed('POST', connectionId!, 'x'.repeat(128 * 1024 + 1));
    expect([tooBig.status, tooBig.headers.get('x-amzn-errortype')]).toEqual([413, 'PayloadTooLargeException']);
    const before = process.memoryUsage().rss;
    const huge = await new Promise<number>((resolve, reject) => {
      const url = new URL(`${callbackUrl()}/@connections/${encodeURIComponent(connectionId!)}`);
      const req = request({ host: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers: { 'content-length': 400 * 1024 * 1024 } }, (res) => resolve(res.statusCode ?? 0));
      req.on('error', reject);
      req.write(Buffer.alloc(1024 * 1024)); // the first megabyte; the gateway answers without waiting for the rest
    });
    expect(huge).toBe(413);
    expect(process.memoryUsage().rss - before).toBeLessThan(100 * 1024 * 1024);
    expect(await socket.request({ action: 'ping' }, isEvent('pong'))).toEqual({ event: 'pong' });
    await socket.close();
  });
});
