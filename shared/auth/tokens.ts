import { SignJWT, jwtVerify } from 'jose';
import { JOSEError, JWTExpired } from 'jose/errors';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { config } from '../config.ts';
import { UnauthorizedError } from '../errors.ts';
import { traced } from '../tracing.ts';

/** HS256 JWTs through jose (a core dependency: ~18 KB per bundle that signs or verifies, README "Cold starts"). */
const ALGORITHM = 'HS256';

/** The signing key, fetched once per container: from Secrets Manager on AWS, from the environment locally. */
let signingKey: Promise<Uint8Array> | undefined;
function key(): Promise<Uint8Array> {
  signingKey ??= loadSigningKey().catch((error) => {
    signingKey = undefined; // a failed fetch is retried by the next request, not cached
    throw error;
  });
  return signingKey;
}

async function loadSigningKey(): Promise<Uint8Array> {
  if (config.jwtSecret) return new TextEncoder().encode(config.jwtSecret);
  const out = await traced(new SecretsManagerClient({})).send(new GetSecretValueCommand({ SecretId: config.jwtSecretArn }));
  if (!out.SecretString) throw new Error('JWT signing secret is empty');
  return new TextEncoder().encode(out.SecretString);
}

export type TokenClaims = { userId: number; tokenVersion: number };

export async function issueToken(userId: number, tokenVersion: number): Promise<string> {
  return new SignJWT({ uid: userId, ver: tokenVersion })
    .setProtectedHeader({ alg: ALGORITHM, typ: 'JWT' })
    .setSubject(String(userId))
    .setIssuedAt()
    .setIssuer(config.jwtIssuer)
    .setExpirationTime(`${config.tokenTtlSeconds}s`)
    .sign(await key());
}

/** Verifies signature (HS256 only: alg "none" and algorithm swaps are refused), type, expiry and issuer. */
export async function verifyToken(token: string): Promise<TokenClaims> {
  try {
    const { payload } = await jwtVerify(token, await key(), { algorithms: [ALGORITHM], typ: 'JWT', issuer: config.jwtIssuer, requiredClaims: ['exp', 'iat', 'sub'] });
    const userId = payload.uid;
    if (typeof userId !== 'number' || !Number.isSafeInteger(userId) || payload.sub !== String(userId)) throw new UnauthorizedError('令牌无效');
    return { userId, tokenVersion: typeof payload.ver === 'number' ? payload.ver : 0 };
  } catch (error) {
    if (error instanceof UnauthorizedError) throw error;
    if (error instanceof JWTExpired) throw new UnauthorizedError('登录已过期，请重新登录');
    if (error instanceof JOSEError) throw new UnauthorizedError('令牌无效');
    throw error;
  }
}

/** The token from the `token` header (the seed's way) or `Authorization: Bearer`. Header names are lower-case. */
export function tokenFromHeaders(headers: Record<string, string | undefined>): string | undefined {
  const bearer = headers.authorization?.match(/^Bearer\s+(\S+)\s*$/i)?.[1];
  return headers.token?.trim() || bearer || undefined;
}
