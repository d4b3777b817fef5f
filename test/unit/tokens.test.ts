import { beforeAll, describe, expect, it } from 'vitest';
import { SignJWT, UnsecuredJWT, decodeJwt, jwtVerify } from 'jose';

/*
 * shared/auth/tokens.ts issues and checks HS256 JWTs through jose with the backend's own rules (algorithm, type,
 * issuer, required claims, uid = sub). Every token presented here is forged with jose: a token the backend would
 * issue passes, everything else is refused.
 */
const SECRET = 'unit-token-secret';
const key = new TextEncoder().encode(SECRET);
let tokens: typeof import('../../shared/auth/tokens.ts');

beforeAll(async () => {
  Object.assign(process.env, { TABLE_NAME: 'unit', JWT_SECRET: SECRET, JWT_ISSUER: 'chat-backend', TOKEN_TTL_SECONDS: '3600' });
  tokens = await import('../../shared/auth/tokens.ts'); // config is read at import: after the environment is set
});

const now = () => Math.floor(Date.now() / 1000);
const claims = (userId = 7) => new SignJWT({ uid: userId, ver: 3 }).setSubject(String(userId)).setIssuer('chat-backend').setIssuedAt();
const hs256 = (jwt: SignJWT, secret = key) => jwt.setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).sign(secret);

async function refused(token: string, message = '令牌无效') {
  await expect(tokens.verifyToken(token)).rejects.toMatchObject({ code: 'UNAUTHORIZED', message });
}

describe('HS256 tokens', () => {
  it('issues what jose verifies, with the claims clients and the seed expect', async () => {
    const token = await tokens.issueToken(42, 5);
    const { payload, protectedHeader } = await jwtVerify(token, key, { algorithms: ['HS256'], issuer: 'chat-backend' });
    expect(protectedHeader).toEqual({ alg: 'HS256', typ: 'JWT' });
    expect(payload).toMatchObject({ uid: 42, ver: 5, sub: '42', iss: 'chat-backend' });
    expect(payload.exp! - payload.iat!).toBe(3600);
    expect(Math.abs(payload.iat! - now())).toBeLessThanOrEqual(1);
    expect(await tokens.verifyToken(token)).toEqual({ userId: 42, tokenVersion: 5 });
  });

  it('accepts an HS256 token jose signed with the same claims', async () => {
    expect(await tokens.verifyToken(await hs256(claims().setExpirationTime('1h')))).toEqual({ userId: 7, tokenVersion: 3 });
  });

  it('refuses alg none, other algorithms, other keys and edited parts', async () => {
    await refused(new UnsecuredJWT({ uid: 7, ver: 0 }).setSubject('7').setIssuer('chat-backend').setIssuedAt().setExpirationTime('1h').encode());
    await refused(await claims().setExpirationTime('1h').setProtectedHeader({ alg: 'HS512', typ: 'JWT' }).sign(new Uint8Array(64).fill(1)));
    await refused(await claims().setExpirationTime('1h').setProtectedHeader({ alg: 'HS512', typ: 'JWT' }).sign(new TextEncoder().encode(SECRET.repeat(4))));
    await refused(await hs256(claims().setExpirationTime('1h'), new TextEncoder().encode('another-secret')));
    const [header, payload, signature] = (await hs256(claims().setExpirationTime('1h'))).split('.') as [string, string, string];
    const otherUser = Buffer.from(JSON.stringify({ ...decodeJwt(`${header}.${payload}.${signature}`), uid: 8, sub: '8' })).toString('base64url');
    await refused(`${header}.${otherUser}.${signature}`);
    await refused(`${header}.${payload}.`);
    await refused(`${header}.${payload}`);
    await refused(`${header}.${payload}.${signature}.${signature}`);
    await refused('not a token');
  });

  it('refuses critical extensions, a typ other than JWT, and no typ', async () => {
    await refused(await claims().setExpirationTime('1h').setProtectedHeader({ alg: 'HS256', typ: 'JWT', crit: ['x-ext'], 'x-ext': 1 }).sign(key, { crit: { 'x-ext': true } }));
    await refused(await claims().setExpirationTime('1h').setProtectedHeader({ alg: 'HS256', typ: 'at+jwt' }).sign(key));
    await refused(await claims().setExpirationTime('1h').setProtectedHeader({ alg: 'HS256' }).sign(key));
  });

  it('refuses expired, not-yet-valid, wrong-issuer and incomplete tokens', async () => {
    await refused(await hs256(claims().setIssuedAt(now() - 7200).setExpirationTime(now() - 1)), '登录已过期，请重新登录');
    await refused(await hs256(claims().setExpirationTime(now())), '登录已过期，请重新登录');
    await refused(await hs256(claims().setExpirationTime('1h').setNotBefore(now() + 600)));
    await refused(await hs256(claims().setExpirationTime('1h').setIssuer('someone-else')));
    await refused(await hs256(new SignJWT({ uid: 7 }).setSubject('7').setIssuer('chat-backend').setIssuedAt())); // no exp
    await refused(await hs256(new SignJWT({ uid: 7 }).setSubject('7').setIssuer('chat-backend').setExpirationTime('1h'))); // no iat
    await refused(await hs256(new SignJWT({ uid: 7 }).setIssuer('chat-backend').setIssuedAt().setExpirationTime('1h'))); // no sub
    await refused(await hs256(new SignJWT({ uid: 7 }).setSubject('8').setIssuer('chat-backend').setIssuedAt().setExpirationTime('1h')));
    await refused(await hs256(new SignJWT({ uid: '7' }).setSubject('7').setIssuer('chat-backend').setIssuedAt().setExpirationTime('1h')));
    await refused(await hs256(new SignJWT({ uid: 2 ** 53 }).setSubject(String(2 ** 53)).setIssuer('chat-backend').setIssuedAt().setExpirationTime('1h')));
  });
});
