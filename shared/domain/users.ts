import { newId } from '../ids.ts';
import { hashPassword, checkPassword, burnPasswordCheck } from '../auth/passwords.ts';
import { issueToken } from '../auth/tokens.ts';
import { rememberTokenVersion } from '../auth/sessions.ts';
import { config } from '../config.ts';
import { ConflictError, NotFoundError, UnauthorizedError, ValidationError } from '../errors.ts';
import { bumpTokenVersion, DEFAULT_SETTINGS, getUser, getUserIdByUsername, putNewUser, putSettings, replacePassword, type UserRecord, type UserSettings } from '../data/users.ts';
import { consume, type Reservation } from './limits.ts';
import { closeConnections } from './delivery.ts';
import { logger } from '../observability.ts';

/** What any signed-in user may see of a user (the seed's User model, without the password). */
export type PublicUser = {
  id: number;
  userId: number;
  username: string;
  nickname: string;
  email: string | null;
  authority: string;
  created_at: string;
};

export function toPublicUser(user: UserRecord): PublicUser {
  return {
    id: user.id,
    userId: user.id,
    username: user.username,
    nickname: user.nickname,
    email: user.email ?? null,
    authority: user.authority,
    created_at: user.createdAt,
  };
}

/** Registrations are limited per source IP; the count runs alongside the (slow, CPU-bound) password hash. */
export async function register(input: { username: string; password: string; nickname: string; email?: string | null }, sourceIp: string): Promise<PublicUser> {
  const [passwordHash] = await Promise.all([hashPassword(input.password), consume(config.limits.register, sourceIp || 'unknown')]);
  for (;;) {
    const user: UserRecord = {
      id: newId(),
      username: input.username,
      nickname: input.nickname,
      ...(input.email ? { email: input.email } : {}),
      authority: 'user',
      passwordHash,
      createdAt: new Date().toISOString(),
      tokenVersion: 0,
    };
    const outcome = await putNewUser(user);
    if (outcome === 'created') return toPublicUser(user);
    if (outcome === 'username-taken') throw new ConflictError('USERNAME_TAKEN', '用户名已被占用');
    // 'id-taken': another container drew the same id in the same millisecond; draw again.
  }
}

/**
 * Every attempt is counted against the account (by lower-cased username, whether it exists or not, so the limit
 * says nothing about which accounts exist) before the password is checked, atomically: parallel guesses cannot
 * all slip under the limit. A correct password gives its own count back, so only failures add up; it never resets
 * the counter, so the owner signing in does not hand an attacker fresh guesses.
 */
export async function login(username: string, password: string): Promise<{ token: string; user: PublicUser }> {
  const [userId, attempt] = await Promise.all([getUserIdByUsername(username), countPasswordAttempt(username)]);
  const user = userId === undefined ? undefined : await getUser(userId);
  const valid = user ? await checkPassword(password, user.passwordHash) : await burnPasswordCheck(password);
  if (!user || !valid) throw new UnauthorizedError('用户名或密码错误');
  const [token] = await Promise.all([issueToken(user.id, user.tokenVersion ?? 0), attempt.giveBack()]);
  return { token, user: toPublicUser(user) };
}

function countPasswordAttempt(username: string): Promise<Reservation> {
  return consume(config.limits.loginFailures, username.trim().toLowerCase());
}

/** Logout everywhere: every token issued so far stops working. */
export async function logoutEverywhere(userId: number): Promise<void> {
  const version = await bumpTokenVersion(userId);
  if (version === undefined) throw new UnauthorizedError('用户不存在，请重新登录');
  rememberTokenVersion(userId, version);
  await closeConnections(userId);
}

/**
 * Changes the password after checking the old one (counted like a login attempt, so a stolen token cannot be used
 * to guess the password), invalidates every earlier token, and returns a fresh token for the caller.
 */
export async function changePassword(userId: number, oldPassword: string, newPassword: string): Promise<{ token: string }> {
  const user = await getUser(userId);
  if (!user) throw new UnauthorizedError('用户不存在，请重新登录');
  const attempt = await countPasswordAttempt(user.username);
  if (!(await checkPassword(oldPassword, user.passwordHash))) throw new ValidationError('原密码错误', 'oldPassword');
  const [newHash] = await Promise.all([hashPassword(newPassword), attempt.giveBack()]);
  const version = await replacePassword(userId, user.passwordHash, newHash);
  // Changed concurrently by another request: that change already invalidated the caller's token.
  if (version === undefined) throw new UnauthorizedError('登录已失效，请重新登录');
  rememberTokenVersion(userId, version);
  // The change is made: the caller must get the new token even if closing the old sockets fails (their tokens are
  // revoked already; a retry could not help, the old password no longer matches). Logout instead fails, to be retried.
  const closed = closeConnections(userId).catch((error: Error) => logger.warn('connections not closed after a password change', { error: error.name }));
  const [token] = await Promise.all([issueToken(userId, version), closed]);
  return { token };
}

export async function getProfile(userId: number): Promise<PublicUser> {
  return toPublicUser(await requireUser(userId));
}

/** The caller's own profile: their public user and their settings (shown to nobody else). */
export async function getOwnProfile(userId: number): Promise<PublicUser & { settings: UserSettings }> {
  const user = await requireUser(userId);
  return { ...toPublicUser(user), settings: { ...DEFAULT_SETTINGS, ...user.settings } };
}

export async function updateSettings(userId: number, settings: UserSettings): Promise<UserSettings> {
  const stored = await putSettings(userId, settings);
  if (!stored) throw new NotFoundError('用户不存在');
  return stored;
}

/** The user, or NotFound: for routes that take another user's id. */
export async function requireUser(userId: number): Promise<UserRecord> {
  const user = await getUser(userId);
  if (!user) throw new NotFoundError('用户不存在');
  return user;
}
