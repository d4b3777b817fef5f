import { config } from '../config.ts';
import { QUEUES } from '../routes.ts';
import { batchGet, chunk } from '../data/operations.ts';
import { getConversation, membershipKey } from '../data/conversations.ts';
import type { LiveConnection } from '../data/connections.ts';
import { enqueue } from '../queue/sqs.ts';
import { METRIC, countMetric } from '../observability.ts';
import type { ServerFrame } from '../ws/push.ts';
import { broadcast } from './broadcast.ts';

/**
 * The fan-out of a large audience: the sending function stores the message, acks its sender, and hands the other
 * connections to the fan-out queue in shards; the fan-out function (functions/fan-out.ts) pushes each shard, in
 * parallel across its invocations. Below config.fanOutThreshold the sender pushes inline (shared/domain/delivery.ts).
 */

/**
 * 100 connections per shard: one BatchGet re-checks a shard's members, and a shard with a 4,000-character message
 * (≤ 16 KB of JSON) plus its targets stays far below SQS's 256 KB per batch of 10.
 */
const SHARD_CONNECTIONS = 100;
/**
 * One queued shard: the frame, its targets as [connectionId, userId] (compact: a shard has up to 100), and the
 * group's version when the message's seq was taken (its targets were the members then).
 */
export type FanOutShard = { conversationId: number; version: number; frame: ServerFrame; targets: Array<[connectionId: string, userId: number]> };

export const shouldQueue = (connections: readonly LiveConnection[]) => connections.length > config.fanOutThreshold;

/** Sends the shards (SendMessageBatch, 10 shards per call, all calls in parallel). */
export async function queueFanOut(conversationId: number, version: number, connections: readonly LiveConnection[], frame: ServerFrame): Promise<void> {
  const shards: FanOutShard[] = chunk(connections, SHARD_CONNECTIONS).map((part) => ({ conversationId, version, frame, targets: part.map((c) => [c.connectionId, c.userId]) }));
  await enqueue(QUEUES.fanOut, shards);
  countMetric(METRIC.fanOutsQueued);
}

/**
 * The fan-out function's work for one shard. A member removed after the send took its seq gets nothing from it,
 * however long the shard waited: the shard first reads the group's version (one strongly consistent GetItem, which
 * sees every committed change), and only when a change came since does it re-check its users' membership items
 * (one BatchGet, strongly consistent). A quiet group's shard pays 1 read unit, not 100.
 */
export async function deliverShard(shard: FanOutShard): Promise<void> {
  let targets = shard.targets.map(([connectionId, userId]) => ({ connectionId, userId }));
  const conversation = await getConversation(shard.conversationId, true);
  if (!conversation || conversation.disbanded) return;
  if ((conversation.version ?? 0) !== shard.version) {
    const members = await stillMembers(shard.conversationId, targets.map((t) => t.userId));
    targets = targets.filter((t) => members.has(t.userId));
  }
  await broadcast(targets, () => shard.frame);
}

/** Which of these users still hold a membership item in the conversation: one consistent BatchGet per 100, in parallel. */
async function stillMembers(conversationId: number, userIds: readonly number[]): Promise<Set<number>> {
  const items = await batchGet([...new Set(userIds)].map((userId) => membershipKey(userId, conversationId)), 'userId', true);
  return new Set(items.map((item) => item.userId as number));
}
