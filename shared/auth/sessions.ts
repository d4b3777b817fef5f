import { config } from '../config.ts';
import { UnauthorizedError } from '../errors.ts';
import { getTokenVersion } from '../data/users.ts';
import type { TokenClaims } from './tokens.ts';

/**
 * Token revocation: a token is valid only while its `ver` equals the user's current token version (bumped by
 * logout-everywhere and password changes). The version is read from the table and cached in this container for
 * at most config.tokenVersionCacheMs (≤ 5 s): a revoked token stops working everywhere within that time, and in
 * this container at once. Concurrent checks of one user share one read: a burst of frames from one user (or a
 * container serving many at once) costs one GetItem per user, not one per frame.
 */
type Cached = { version: Promise<number | undefined>; until: number };
const versions = new Map<number, Cached>();
/** Bounds the container's memory however many users it serves. */
const MAX_CACHED_USERS = 10_000;

function currentTokenVersion(userId: number): Promise<number | undefined> {
  const now = Date.now();
  const cached = versions.get(userId);
  if (cached && cached.until > now) return cached.version;
  const version = getTokenVersion(userId);
  if (versions.size >= MAX_CACHED_USERS) versions.clear();
  const entry = { version, until: now + config.tokenVersionCacheMs };
  versions.set(userId, entry);
  // A failed read is not remembered: the next check reads again.
  version.catch(() => versions.get(userId) === entry && versions.delete(userId));
  return version;
}

/** After this container changed a user's version: its own later requests see the change immediately. */
export function rememberTokenVersion(userId: number, version: number | undefined): void {
  versions.set(userId, { version: Promise.resolve(version), until: Date.now() + config.tokenVersionCacheMs });
}

/** 401 unless the token's version is the user's current one; a user who no longer exists has none. */
export async function checkTokenVersion(claims: TokenClaims): Promise<void> {
  requireVersion(claims, await currentTokenVersion(claims.userId));
}

/** The same check against the table itself, strongly consistent, bypassing (and refreshing) the cache. */
export async function checkTokenVersionNow(claims: TokenClaims): Promise<void> {
  const version = await getTokenVersion(claims.userId, { consistent: true });
  rememberTokenVersion(claims.userId, version);
  requireVersion(claims, version);
}

function requireVersion(claims: TokenClaims, version: number | undefined): void {
  if (version === undefined) throw new UnauthorizedError('用户不存在，请重新登录');
  if (version !== claims.tokenVersion) throw new UnauthorizedError('登录已失效，请重新登录');
}
