import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { db, TABLE } from './client.ts';
import { queryPrefix, transactWrite } from './operations.ts';
import type { Key } from './table.ts';

/**
 * A block is written twice in one transaction: under the blocker (their list) and under the blocked user
 * (so a sender learns who blocks them with one strongly consistent Query, no index needed).
 */
export const blockKey = (blockerId: number, blockedId: number): Key => ({ PK: `USER#${blockerId}`, SK: `BLOCK#${blockedId}` });
export const blockedByKey = (blockedId: number, blockerId: number): Key => ({ PK: `USER#${blockedId}`, SK: `BLOCKEDBY#${blockerId}` });

/** False when the block already existed. */
export async function putBlock(blockerId: number, blockedId: number, createdAt: string): Promise<boolean> {
  try {
    await transactWrite({
      TransactItems: [
        { Put: { TableName: TABLE, Item: { ...blockKey(blockerId, blockedId), blockerId, blockedId, createdAt }, ConditionExpression: 'attribute_not_exists(PK)' } },
        { Put: { TableName: TABLE, Item: { ...blockedByKey(blockedId, blockerId), blockerId, blockedId, createdAt } } },
      ],
    });
    return true;
  } catch (error) {
    if (error instanceof TransactionCanceledException && error.CancellationReasons?.[0]?.Code === 'ConditionalCheckFailed') return false;
    throw error;
  }
}

/** False when there was no such block. */
export async function deleteBlock(blockerId: number, blockedId: number): Promise<boolean> {
  try {
    await transactWrite({
      TransactItems: [
        { Delete: { TableName: TABLE, Key: blockKey(blockerId, blockedId), ConditionExpression: 'attribute_exists(PK)' } },
        { Delete: { TableName: TABLE, Key: blockedByKey(blockedId, blockerId) } },
      ],
    });
    return true;
  } catch (error) {
    if (error instanceof TransactionCanceledException && error.CancellationReasons?.[0]?.Code === 'ConditionalCheckFailed') return false;
    throw error;
  }
}

/** The ids of the users who block this user. */
export async function listBlockers(userId: number): Promise<Set<number>> {
  const items = await queryPrefix(`USER#${userId}`, 'BLOCKEDBY#', { ConsistentRead: true, ProjectionExpression: 'blockerId' });
  return new Set(items.map((item) => item.blockerId as number));
}
