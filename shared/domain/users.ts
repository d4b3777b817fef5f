import { newId } from '../ids.ts';
import { hashPassword, checkPassword, burnPasswordCheck } from '../auth/passwords.ts';
import { issueToken } from '../auth/tokens.ts';
import { ConflictError, NotFoundError, UnauthorizedError } from '../errors.ts';
import { getUser, getUserIdByUsername, putNewUser, type UserRecord } from '../data/users.ts';

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

export async function register(input: { username: string; password: string; nickname: string; email?: string | null }): Promise<PublicUser> {
  const passwordHash = await hashPassword(input.password);
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

export async function login(username: string, password: string): Promise<{ token: string; user: PublicUser }> {
  const userId = await getUserIdByUsername(username);
  const user = userId === undefined ? undefined : await getUser(userId);
  const valid = user ? await checkPassword(password, user.passwordHash) : await burnPasswordCheck(password);
  if (!user || !valid) throw new UnauthorizedError('用户名或密码错误');
  return { token: await issueToken(user.id, user.tokenVersion), user: toPublicUser(user) };
}

export async function getProfile(userId: number): Promise<PublicUser> {
  const user = await getUser(userId);
  if (!user) throw new NotFoundError('用户不存在');
  return toPublicUser(user);
}

/** The user, or NotFound: for routes that take another user's id. */
export async function requireUser(userId: number): Promise<UserRecord> {
  const user = await getUser(userId);
  if (!user) throw new NotFoundError('用户不存在');
  return user;
}
