import { DeleteCommand, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { db, TABLE } from './client.ts';
import { batchGet, ifCondition } from './operations.ts';
import type { Key } from './table.ts';

/**
 * WebSocket connections, stored twice: one item per connection (what it is, who holds it) and one item per user
 * whose `connections` map lists their live connection ids with each one's expiry. Finding every connection of a
 * conversation's members is then one BatchGet per 100 members, never a Query per member.
 */
export type ConnectionRecord = { connectionId: string; userId: number; connectedAt: string; expiresAt: number };
export type LiveConnection = { connectionId: string; userId: number };

/** API Gateway closes a connection after 2 hours; the records outlive that a little, then expire on their own. */
export const CONNECTION_TTL_SECONDS = 2 * 3600 + 10 * 60;

export const connectionKey = (connectionId: string): Key => ({ PK: `CONN#${connectionId}`, SK: 'CONN' });
export const userConnectionsKey = (userId: number): Key => ({ PK: `USER#${userId}`, SK: 'CONNECTIONS' });

const nowSeconds = () => Math.floor(Date.now() / 1000);

/** One of a user's own connections, with its expiry (connected CONNECTION_TTL_SECONDS before it). */
export type OwnConnection = { connectionId: string; expiresAt: number };

/** Registers the connection; returns the user's other unexpired connections (for the per-user cap). */
export async function putConnection(userId: number, connectionId: string, connectedAt = new Date()): Promise<OwnConnection[]> {
  const record: ConnectionRecord = { connectionId, userId, connectedAt: connectedAt.toISOString(), expiresAt: Math.floor(connectedAt.getTime() / 1000) + CONNECTION_TTL_SECONDS };
  // The map entry keeps milliseconds (the item's TTL needs whole seconds): it orders a user's connections by age.
  const entryExpiresAt = connectedAt.getTime() / 1000 + CONNECTION_TTL_SECONDS;
  const [, listed] = await Promise.all([
    db.send(new PutCommand({ TableName: TABLE, Item: { ...connectionKey(connectionId), ...record } })),
    addToUserMap(userId, connectionId, entryExpiresAt, record.expiresAt),
  ]);
  // Entries whose $disconnect never came are dropped here, so the map stays as small as the user's real devices.
  const expired = Object.entries(listed).filter(([, expiresAt]) => expiresAt <= nowSeconds()).map(([id]) => id);
  if (expired.length) await removeFromUserMap(userId, expired);
  return unexpired(listed).filter((own) => own.connectionId !== connectionId);
}

/**
 * The user's own unexpired connections, read strongly consistently: closing every session after a revocation must
 * see every registration that finished before the revocation (see shared/domain/sessions.ts).
 */
export async function listOwnConnections(userId: number): Promise<OwnConnection[]> {
  const { Item } = await db.send(new GetCommand({ TableName: TABLE, Key: userConnectionsKey(userId), ConsistentRead: true }));
  return unexpired((Item?.connections ?? {}) as Record<string, number>);
}

function unexpired(connections: Record<string, number>): OwnConnection[] {
  const now = nowSeconds();
  return Object.entries(connections).filter(([, expiresAt]) => expiresAt > now).map(([connectionId, expiresAt]) => ({ connectionId, expiresAt }));
}

/**
 * SET of a map entry needs the map to exist, so the first connection ever creates the map instead (conditionally,
 * in case two devices connect at once). The item's own expiry follows its newest entry: once every connection
 * has expired, TTL deletes the item.
 */
async function addToUserMap(userId: number, connectionId: string, entryExpiresAt: number, expiresAt: number): Promise<Record<string, number>> {
  for (;;) {
    const added = await ifCondition(db.send(new UpdateCommand({
      TableName: TABLE,
      Key: userConnectionsKey(userId),
      UpdateExpression: 'SET #conns.#id = :entry, expiresAt = :exp',
      ConditionExpression: 'attribute_exists(#conns)',
      ExpressionAttributeNames: { '#conns': 'connections', '#id': connectionId },
      ExpressionAttributeValues: { ':entry': entryExpiresAt, ':exp': expiresAt },
      ReturnValues: 'ALL_NEW',
    })));
    if (added) return (added.Attributes?.connections ?? {}) as Record<string, number>;
    const created = await ifCondition(db.send(new UpdateCommand({
      TableName: TABLE,
      Key: userConnectionsKey(userId),
      UpdateExpression: 'SET #conns = :map, userId = :user, expiresAt = :exp',
      ConditionExpression: 'attribute_not_exists(#conns)',
      ExpressionAttributeNames: { '#conns': 'connections' },
      ExpressionAttributeValues: { ':map': { [connectionId]: entryExpiresAt }, ':user': userId, ':exp': expiresAt },
    })));
    if (created) return { [connectionId]: entryExpiresAt };
    // Another device created the map first: add the entry to theirs.
  }
}

async function removeFromUserMap(userId: number, connectionIds: readonly string[]): Promise<void> {
  const names = Object.fromEntries(connectionIds.map((id, i) => [`#id${i}`, id]));
  await ifCondition(db.send(new UpdateCommand({
    TableName: TABLE,
    Key: userConnectionsKey(userId),
    UpdateExpression: `REMOVE ${Object.keys(names).map((name) => `#conns.${name}`).join(', ')}`,
    ConditionExpression: 'attribute_exists(#conns)', // never creates an empty item for a user without one
    ExpressionAttributeNames: { '#conns': 'connections', ...names },
  })));
}

/** Removes both records of a connection ($disconnect, or a push that found it gone). */
export async function deleteConnection(userId: number, connectionId: string): Promise<void> {
  await Promise.all([
    db.send(new DeleteCommand({ TableName: TABLE, Key: connectionKey(connectionId) })),
    removeFromUserMap(userId, [connectionId]),
  ]);
}

/** Every unexpired connection of these users: one BatchGet per 100 users, all in parallel. */
export async function listConnections(userIds: readonly number[]): Promise<LiveConnection[]> {
  if (userIds.length === 0) return [];
  const items = await batchGet([...new Set(userIds)].map(userConnectionsKey));
  const now = nowSeconds();
  return items.flatMap((item) =>
    Object.entries((item.connections ?? {}) as Record<string, number>)
      .filter(([, expiresAt]) => expiresAt > now)
      .map(([connectionId]) => ({ connectionId, userId: item.userId as number })),
  );
}
