import { createHmac, timingSafeEqual } from 'node:crypto';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { config } from '../config.ts';
import { UnauthorizedError } from '../errors.ts';
import { traced } from '../tracing.ts';

/**
 * HS256 JWTs, signed and checked with node:crypto: the one algorithm the backend issues is a dozen lines, where a
 * JOSE library is ~18 KB in every function's bundle (README, "Cold starts"). The tests forge tokens with jose
 * (alg none, other algorithms, other keys, tampered claims) to keep this honest.
 */
const HEADER = base64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));

function base64url(text: string): string {
  return Buffer.from(text).toString('base64url');
}

function signature(signingInput: string, key: Uint8Array): Buffer {
  return createHmac('sha256', key).update(signingInput).digest();
}

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
  const iat = Math.floor(Date.now() / 1000);
  const payload = base64url(JSON.stringify({ uid: userId, ver: tokenVersion, sub: String(userId), iat, iss: config.jwtIssuer, exp: iat + config.tokenTtlSeconds }));
  const signingInput = `${HEADER}.${payload}`;
  return `${signingInput}.${signature(signingInput, await key()).toString('base64url')}`;
}

const SEGMENT = /^[A-Za-z0-9_-]+$/;

function decodeJson(segment: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Verifies the signature (HS256 only: alg "none", other algorithms and `crit` extensions are refused), then expiry,
 * issue time, subject and issuer, as RFC 7519 and jose's jwtVerify do.
 */
export async function verifyToken(token: string): Promise<TokenClaims> {
  const invalid = new UnauthorizedError('令牌无效');
  const parts = token.split('.');
  if (parts.length !== 3 || !parts.every((part) => SEGMENT.test(part))) throw invalid;
  const [headerPart, payloadPart, signaturePart] = parts as [string, string, string];
  const header = decodeJson(headerPart);
  if (header?.alg !== 'HS256' || 'crit' in header || (header.typ !== undefined && header.typ !== 'JWT')) throw invalid;
  // Compared as text: a signature spelled with other trailing bits decodes to the same bytes, and is still refused.
  const expected = Buffer.from(signature(`${headerPart}.${payloadPart}`, await key()).toString('base64url'));
  const actual = Buffer.from(signaturePart);
  if (actual.length !== expected.length || !timingSafeEqual(actual, expected)) throw invalid;

  const payload = decodeJson(payloadPart);
  const now = Math.floor(Date.now() / 1000);
  if (!payload || typeof payload.exp !== 'number' || typeof payload.iat !== 'number' || typeof payload.sub !== 'string') throw invalid;
  if (payload.iss !== config.jwtIssuer || (payload.nbf !== undefined && (typeof payload.nbf !== 'number' || payload.nbf > now))) throw invalid;
  if (payload.exp <= now) throw new UnauthorizedError('登录已过期，请重新登录');
  const userId = payload.uid;
  if (typeof userId !== 'number' || !Number.isSafeInteger(userId) || payload.sub !== String(userId)) throw invalid;
  return { userId, tokenVersion: typeof payload.ver === 'number' ? payload.ver : 0 };
}

/** The token from the `token` header (the seed's way) or `Authorization: Bearer`. Header names are lower-case. */
export function tokenFromHeaders(headers: Record<string, string | undefined>): string | undefined {
  const bearer = headers.authorization?.match(/^Bearer\s+(\S+)\s*$/i)?.[1];
  return headers.token?.trim() || bearer || undefined;
}
