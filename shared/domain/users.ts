import { newId } from '../ids.ts';
import { hashPassword, checkPassword, burnPasswordCheck } from '../auth/passwords.ts';
import { issueToken } from '../auth/tokens.ts';
import { rememberTokenVersion } from '../auth/sessions.ts';
import { config } from '../config.ts';
import { ConflictError, NotFoundError, RateLimitedError, UnauthorizedError, ValidationError } from '../errors.ts';
import { bumpTokenVersion, DEFAULT_SETTINGS, getUser, getUserIdByUsername, putNewUser, putSettings, replacePassword, type UserRecord, type UserSettings } from '../data/users.ts';
import { consume, type Reservation } from './limits.ts';
import { isContact } from '../data/contacts.ts';
import { isKnownSource, rememberSource } from '../data/login-sources.ts';
import { canonicalUsername } from '../names.ts';
import { closeSessions } from './sessions.ts';
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
 * Every attempt is counted before the password is checked, atomically (parallel guesses cannot all slip under a
 * limit): against the source address, and against the account (by canonical username, whether it exists or not, so
 * the limits say nothing about which accounts exist). A correct password gives its counts back, so only failures
 * add up; it never resets a counter, so the owner signing in does not hand an attacker fresh guesses.
 */
export async function login(username: string, password: string, sourceIp: string): Promise<{ token: string; user: PublicUser }> {
  const [userId, attempt] = await Promise.all([getUserIdByUsername(username), countPasswordAttempt(username, sourceIp)]);
  const user = userId === undefined ? undefined : await getUser(userId);
  const valid = user ? await checkPassword(password, user.passwordHash) : await burnPasswordCheck(password);
  if (!user || !valid) throw new UnauthorizedError('用户名或密码错误');
  const [token] = await Promise.all([issueToken(user.id, user.tokenVersion ?? 0), attempt.giveBack(), rememberSource(accountOf(username), sourceIp)]);
  return { token, user: toPublicUser(user) };
}

const accountOf = (username: string) => canonicalUsername(username.trim());

/**
 * One password attempt against both limits, read in parallel with whether this address is one the account signed
 * in from before. The per-IP limit always holds; the account's ceiling holds for every other address, so guesses
 * from many strangers' machines stop there while the owner's own address keeps working. A refused attempt gives
 * back what it counted under the other limit: being refused costs nobody else anything.
 */
async function countPasswordAttempt(username: string, sourceIp: string): Promise<Reservation> {
  const account = accountOf(username);
  const ip = sourceIp || 'unknown';
  const [byIp, byAccount, known] = await Promise.allSettled([consume(config.limits.loginFailuresPerIp, ip), consume(config.limits.loginFailuresPerAccount, account), isKnownSource(account, ip)]);
  for (const outcome of [byIp, byAccount, known]) if (outcome.status === 'rejected' && !(outcome.reason instanceof RateLimitedError)) throw outcome.reason;
  const counted = [byIp, byAccount].flatMap((outcome) => (outcome.status === 'fulfilled' ? [outcome.value] : []));
  const giveBack = async () => void (await Promise.all(counted.map((reservation) => reservation.giveBack())));
  const refusal = byIp.status === 'rejected' ? byIp.reason : byAccount.status === 'rejected' && !(known.status === 'fulfilled' && known.value) ? byAccount.reason : undefined;
  if (refusal) {
    await giveBack();
    throw refusal;
  }
  return { giveBack };
}

/** Logout everywhere: every token issued so far stops working. */
export async function logoutEverywhere(userId: number): Promise<void> {
  const version = await bumpTokenVersion(userId);
  if (version === undefined) throw new UnauthorizedError('用户不存在，请重新登录');
  rememberTokenVersion(userId, version);
  await closeSessions(userId);
}

/**
 * Changes the password after checking the old one (counted like a login attempt, so a stolen token cannot be used
 * to guess the password), invalidates every earlier token, and returns a fresh token for the caller.
 */
export async function changePassword(userId: number, oldPassword: string, newPassword: string, sourceIp: string): Promise<{ token: string }> {
  const user = await getUser(userId);
  if (!user) throw new UnauthorizedError('用户不存在，请重新登录');
  const attempt = await countPasswordAttempt(user.username, sourceIp);
  if (!(await checkPassword(oldPassword, user.passwordHash))) throw new ValidationError('原密码错误', 'oldPassword');
  const [newHash] = await Promise.all([hashPassword(newPassword), attempt.giveBack()]);
  const version = await replacePassword(userId, user.passwordHash, newHash);
  // Changed concurrently by another request: that change already invalidated the caller's token.
  if (version === undefined) throw new UnauthorizedError('登录已失效，请重新登录');
  rememberTokenVersion(userId, version);
  // The change is made: the caller must get the new token even if closing the old sockets fails (their tokens are
  // revoked already; a retry could not help, the old password no longer matches). Logout instead fails, to be retried.
  const closed = closeSessions(userId).catch((error: Error) => logger.warn('connections not closed after a password change', { error: error.name }));
  const [token] = await Promise.all([issueToken(userId, version), closed]);
  return { token };
}

/**
 * A user as `viewerId` may see them: the email only to its owner and to the people the owner added as contacts
 * (the owner chose to be reachable by them), null to everyone else. Both reads run in one round trip.
 */
export async function getProfile(viewerId: number, userId: number): Promise<PublicUser> {
  const [user, trusted] = await Promise.all([getUser(userId), viewerId === userId || isContact(userId, viewerId)]);
  if (!user) throw new NotFoundError('用户不存在');
  const view = toPublicUser(user);
  return trusted ? view : { ...view, email: null };
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
