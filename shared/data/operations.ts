import { BatchGetCommand, BatchWriteCommand, QueryCommand, TransactWriteCommand, type QueryCommandInput, type TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import pLimit from 'p-limit';
import { db, TABLE } from './client.ts';
import type { Key } from './table.ts';

/*
 * The DynamoDB operations every entity module builds on: batched reads and writes that retry what DynamoDB hands
 * back unprocessed, prefix queries that page, transactions retried on conflicts, and conditional writes.
 */

export function chunk<T>(items: readonly T[], size: number): T[][] {
  const parts: T[][] = [];
  for (let i = 0; i < items.length; i += size) parts.push(items.slice(i, i + size));
  return parts;
}

/**
 * Items by key: one BatchGet per 100 keys, all in parallel (so one round trip of latency whatever the count),
 * retrying the unprocessed keys DynamoDB hands back under load.
 */
export async function batchGet(keys: readonly Key[], projection?: string, consistent = false): Promise<Record<string, unknown>[]> {
  const parts = await Promise.all(chunk(keys, 100).map((part) => batchGetPart(part, projection, consistent)));
  return parts.flat();
}

async function batchGetPart(keys: Key[], projection: string | undefined, consistent: boolean): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let pending = keys;
  for (let attempt = 0; pending.length > 0; attempt++) {
    if (attempt > 5) throw Object.assign(new Error('BatchGet left keys unprocessed'), { name: 'ThrottlingException' });
    if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 20 * 2 ** attempt));
    const out = await db.send(new BatchGetCommand({
      RequestItems: { [TABLE]: { Keys: pending, ConsistentRead: consistent, ...(projection ? { ProjectionExpression: projection } : {}) } },
    }));
    items.push(...(out.Responses?.[TABLE] ?? []));
    pending = (out.UnprocessedKeys?.[TABLE]?.Keys ?? []) as Key[];
  }
  return items;
}

/** BatchWrites one batchPut keeps in flight: a 2,000-member group is 160 of them, which would swamp the table. */
const BATCH_WRITES_IN_FLIGHT = 16;

/**
 * Puts items: one BatchWrite per 25, up to BATCH_WRITES_IN_FLIGHT at once, retrying the unprocessed items DynamoDB
 * hands back under load. Not atomic: for writes whose readers tolerate a partial state for a moment (group
 * memberships, fixtures).
 */
export async function batchPut(items: readonly Record<string, unknown>[]): Promise<void> {
  await batchWrite(items.map((Item) => ({ PutRequest: { Item } })));
}

/** Deletes items by key, batched and retried as batchPut (not atomic either). */
export async function batchDelete(keys: readonly Key[]): Promise<void> {
  await batchWrite(keys.map((Key) => ({ DeleteRequest: { Key } })));
}

type WriteRequest = { PutRequest: { Item: Record<string, unknown> } } | { DeleteRequest: { Key: Key } };

async function batchWrite(requests: readonly WriteRequest[]): Promise<void> {
  const limit = pLimit(BATCH_WRITES_IN_FLIGHT);
  await Promise.all(chunk(requests, 25).map((part) => limit(() => batchWritePart(part))));
}

async function batchWritePart(requests: WriteRequest[]): Promise<void> {
  let pending = requests;
  for (let attempt = 0; pending.length > 0; attempt++) {
    if (attempt > 5) throw Object.assign(new Error('BatchWrite left items unprocessed'), { name: 'ThrottlingException' });
    if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 20 * 2 ** attempt));
    const out = await db.send(new BatchWriteCommand({ RequestItems: { [TABLE]: pending } }));
    pending = (out.UnprocessedItems?.[TABLE] ?? []) as typeof pending;
  }
}

/** Every item of one partition under a sort-key prefix (pages through LastEvaluatedKey). */
export async function queryPrefix(pk: string, skPrefix: string, extra: Partial<QueryCommandInput> = {}): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const out = await db.send(new QueryCommand({
      TableName: TABLE,
      KeyConditionExpression: 'PK = :pk AND begins_with(SK, :prefix)',
      ExpressionAttributeValues: { ':pk': pk, ':prefix': skPrefix },
      ExclusiveStartKey: startKey,
      ...extra,
    }));
    items.push(...(out.Items ?? []));
    startKey = out.LastEvaluatedKey;
  } while (startKey);
  return items;
}

/**
 * A transaction, retried when DynamoDB cancels it only because another transaction touched the same item
 * (a busy conversation's META item); the SDK does not retry those. Condition failures are the caller's to read.
 */
export async function transactWrite(input: TransactWriteCommandInput): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await db.send(new TransactWriteCommand(input));
      return;
    } catch (error) {
      const reasons = error instanceof TransactionCanceledException ? error.CancellationReasons ?? [] : [];
      const conflictOnly = reasons.some((r) => r.Code === 'TransactionConflict') && !reasons.some((r) => r.Code === 'ConditionalCheckFailed');
      if (!conflictOnly || attempt >= 4) throw error;
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 20 * 2 ** attempt));
    }
  }
}

/** A conditional write's outcome: its result, or undefined when its condition did not hold (any other error throws). */
export async function ifCondition<T>(write: Promise<T>): Promise<T | undefined> {
  try {
    return await write;
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return undefined;
    throw error;
  }
}
