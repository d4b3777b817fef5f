import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { db, TABLE } from './client.ts';
import type { Key } from './table.ts';
import { batchGet, ifCondition, transactWrite } from './operations.ts';
import { canonicalUsername } from '../names.ts';

export type UserRecord = {
  id: number;
  username: string;
  nickname: string;
  email?: string;
  authority: string;
  passwordHash: string;
  createdAt: string;
  /** Bumped to invalidate every token issued before (logout everywhere, password change). */
  tokenVersion: number;
  settings?: UserSettings;
};

/** A user's own choices. groupInvites: who may put them in a group ('anyone', the default, or their 'contacts'). */
export type UserSettings = { groupInvites: 'anyone' | 'contacts' };
export const DEFAULT_SETTINGS: UserSettings = { groupInvites: 'anyone' };

export const userKey = (id: number): Key => ({ PK: `USER#${id}`, SK: 'PROFILE' });
/** The uniqueness guard is keyed by the canonical form (NFKC + case folding): look-alikes Unicode equates collide. */
export const usernameKey = (username: string): Key => ({ PK: `USERNAME#${canonicalUsername(username)}`, SK: 'USERNAME' });

/** Creates the user and claims the username in one transaction: two concurrent registrations cannot both win. */
export async function putNewUser(user: UserRecord): Promise<'created' | 'username-taken' | 'id-taken'> {
  try {
    await transactWrite({
      TransactItems: [
        { Put: { TableName: TABLE, Item: { ...usernameKey(user.username), userId: user.id }, ConditionExpression: 'attribute_not_exists(PK)' } },
        { Put: { TableName: TABLE, Item: { ...userKey(user.id), ...user }, ConditionExpression: 'attribute_not_exists(PK)' } },
      ],
    });
    return 'created';
  } catch (error) {
    if (error instanceof TransactionCanceledException) {
      const [username, id] = error.CancellationReasons ?? [];
      if (username?.Code === 'ConditionalCheckFailed') return 'username-taken';
      if (id?.Code === 'ConditionalCheckFailed') return 'id-taken';
    }
    throw error;
  }
}

export async function getUser(id: number): Promise<UserRecord | undefined> {
  const { Item } = await db.send(new GetCommand({ TableName: TABLE, Key: userKey(id) }));
  return Item as UserRecord | undefined;
}

export async function getUserIdByUsername(username: string): Promise<number | undefined> {
  const { Item } = await db.send(new GetCommand({ TableName: TABLE, Key: usernameKey(username) }));
  return Item?.userId as number | undefined;
}

/** Many users by id in one round trip of latency. Unknown ids are simply absent from the map. */
export async function getUsers(ids: readonly number[]): Promise<Map<number, UserRecord>> {
  const items = (await batchGet([...new Set(ids)].map(userKey))) as UserRecord[];
  return new Map(items.map((user) => [user.id, user]));
}

/**
 * The user's current token version (read on every authenticated request, so only that attribute); undefined when
 * the user is gone. `consistent` where a race with a revocation must be decided (a WebSocket $connect).
 */
export async function getTokenVersion(id: number, { consistent = false } = {}): Promise<number | undefined> {
  const { Item } = await db.send(new GetCommand({ TableName: TABLE, Key: userKey(id), ProjectionExpression: 'tokenVersion', ConsistentRead: consistent }));
  return Item ? ((Item.tokenVersion as number | undefined) ?? 0) : undefined;
}

/** Invalidates every token issued so far; returns the new version, or undefined when the user does not exist. */
export async function bumpTokenVersion(id: number): Promise<number | undefined> {
  const updated = await ifCondition(db.send(new UpdateCommand({
    TableName: TABLE,
    Key: userKey(id),
    UpdateExpression: 'ADD tokenVersion :one',
    ConditionExpression: 'attribute_exists(PK)',
    ExpressionAttributeValues: { ':one': 1 },
    ReturnValues: 'UPDATED_NEW',
  })));
  return updated?.Attributes?.tokenVersion as number | undefined;
}

/**
 * Replaces the password hash and invalidates every earlier token in one write, only if the hash is still the one the
 * caller checked (two concurrent changes cannot both win). Returns the new token version, or undefined if it changed.
 */
export async function replacePassword(id: number, expectedHash: string, newHash: string): Promise<number | undefined> {
  const updated = await ifCondition(db.send(new UpdateCommand({
    TableName: TABLE,
    Key: userKey(id),
    UpdateExpression: 'SET passwordHash = :new ADD tokenVersion :one',
    ConditionExpression: 'passwordHash = :expected',
    ExpressionAttributeValues: { ':new': newHash, ':expected': expectedHash, ':one': 1 },
    ReturnValues: 'UPDATED_NEW',
  })));
  return updated?.Attributes?.tokenVersion as number | undefined;
}

/** Replaces the user's settings; undefined when the user does not exist. */
export async function putSettings(id: number, settings: UserSettings): Promise<UserSettings | undefined> {
  const updated = await ifCondition(db.send(new UpdateCommand({
    TableName: TABLE,
    Key: userKey(id),
    UpdateExpression: 'SET settings = :settings',
    ConditionExpression: 'attribute_exists(PK)',
    ExpressionAttributeValues: { ':settings': settings },
    ReturnValues: 'UPDATED_NEW',
  })));
  return updated?.Attributes?.settings as UserSettings | undefined;
}
