import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { db, TABLE } from './client.ts';
import type { Key } from './table.ts';
import { ifCondition } from './operations.ts';

/**
 * Fixed-window counters, one item per scope and window. They live in the table (not in a container's memory)
 * so a limit holds however many Lambda containers serve the traffic. Each item expires after its window.
 */
export const rateLimitKey = (scope: string, windowStart: number): Key => ({ PK: `LIMIT#${scope}`, SK: `W#${windowStart}` });

export type Window = { scope: string; start: number; seconds: number };

/** The window `nowMs` falls in, aligned to multiples of its length (so every container agrees on it). */
export function currentWindow(scope: string, seconds: number, nowMs: number): Window {
  return { scope, start: Math.floor(nowMs / 1000 / seconds) * seconds, seconds };
}

/** Expired counters are deleted by TTL; a little slack, since the key already names the window. */
const EXPIRY_SLACK_SECONDS = 60;

/**
 * Counts one event unless the window already holds `max`: one conditional UpdateItem ADD, atomic across
 * concurrent callers, so parallel requests cannot all slip under the limit. False when the limit was reached.
 */
export async function countIfBelow(window: Window, max: number): Promise<boolean> {
  const counted = await ifCondition(db.send(new UpdateCommand({
    TableName: TABLE,
    Key: rateLimitKey(window.scope, window.start),
    UpdateExpression: 'ADD hits :one SET expiresAt = if_not_exists(expiresAt, :expiresAt)',
    ConditionExpression: 'attribute_not_exists(hits) OR hits < :max',
    ExpressionAttributeValues: { ':one': 1, ':max': max, ':expiresAt': window.start + window.seconds + EXPIRY_SLACK_SECONDS },
  })));
  return counted !== undefined;
}

/** Gives back one counted event (an attempt that turned out not to count, such as a correct password). */
export async function uncount(window: Window): Promise<void> {
  await ifCondition(db.send(new UpdateCommand({
    TableName: TABLE,
    Key: rateLimitKey(window.scope, window.start),
    UpdateExpression: 'ADD hits :minusOne',
    ConditionExpression: 'hits > :zero',
    ExpressionAttributeValues: { ':minusOne': -1, ':zero': 0 },
  })));
}
