import { beforeAll, describe, expect, it } from 'vitest';
import { useSockets, useStack } from '../support/context.ts';
import { isEvent, type Frame, type WsClient } from '../support/ws-client.ts';
import type { TestUser } from '../support/client.ts';

/**
 * Issue 13: a removed member gets no further push, not even from a send racing the removal or a shard already
 * queued. Sends and a removal are fired together, many rounds over, with the removed member's socket open and
 * watched: no message whose seq is above the removal's system message may reach it. With the fan-out threshold at
 * 4 connections, the small group is pushed inline by the sender and the larger ones through the queue.
 */
const ctx = useStack({ BCRYPT_COST: '4', FAN_OUT_THRESHOLD: '4' });
const connect = useSockets(ctx);
/** Enough rounds where sends were stored on both sides of the removal (on main before the fix, most of them leaked). */
const RACED_ROUNDS = 3;
const ROUNDS_MAX = 40;
const SENDS_PER_ROUND = 8;
/** Sends are this far apart; the removal is fired in the first half of them (it retries while sends move the seq). */
const SEND_SPACING_MS = 40;

let owner: TestUser;
let sender: TestUser;
let victim: TestUser;
let stayers: TestUser[];
let senderWs: WsClient;
let victimWs: WsClient;
let stayerWs: WsClient[];

let seedGroup: (memberIds: number[]) => Promise<number>;
let newId: () => number;

beforeAll(async () => {
  // The data layer reads its configuration at import: loaded once the stack has set it.
  ({ seedGroup } = await import('../bench/fixtures.ts'));
  ({ newId } = await import('../../shared/ids.ts'));
  [owner, sender, victim, ...stayers] = await Promise.all(Array.from({ length: 6 }, (_, i) => ctx.api.newUser(`race${i}`))) as [TestUser, TestUser, TestUser, ...TestUser[]];
  [senderWs, victimWs, ...stayerWs] = await Promise.all([sender, victim, ...stayers].map(connect)) as [WsClient, WsClient, ...WsClient[]];
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const messageIn = (conversationId: number) => (f: Frame) => f.event === 'message' && f.message.conversation_id === conversationId;

/** One round: a fresh group, sends spread over ~300 ms, the removal fired somewhere among them. */
async function round(n: number, stayerCount: number, alsoRemoved: number) {
  const present = stayers.slice(0, stayerCount);
  // Others removed with the victim (users without sockets, written through the data layer) make the change too
  // big for one transaction: its member items are deleted in batches after the decision commits.
  const others = Array.from({ length: alsoRemoved }, () => newId());
  const conversationId = alsoRemoved
    ? await seedGroup([owner.id, sender.id, victim.id, ...present.map((u) => u.id), ...others])
    : await ctx.api.conversation(owner.token, sender.id, victim.id, ...present.map((u) => u.id));
  const sends = Array.from({ length: SENDS_PER_ROUND }, async (_, i) => {
    await sleep(i * SEND_SPACING_MS);
    const clientMessageId = `race-${n}-${i}`;
    return senderWs.request({ action: 'sendMessage', conversationId, content: `race ${n}.${i}`, clientMessageId }, (f) => (f.event === 'ack' || f.event === 'error') && f.clientMessageId === clientMessageId);
  });
  const removal = (async () => {
    await sleep((Math.random() * SENDS_PER_ROUND * SEND_SPACING_MS) / 2);
    const res = await ctx.api.post('/conversation/members/remove', { conversationId, userIds: [victim.id, ...others] }, owner.token);
    expect(res.status).toBe(200);
    return res.body.messages[0].seq as number;
  })();
  const [removedAt, ...answers] = await Promise.all([removal, ...sends]);
  const acked = answers.filter(isEvent('ack')).map((f) => f.message.seq as number);
  // Every acked message reaches the members who stay (so its pushes are done), the queue has run dry, and the
  // removed member's `removed` event has arrived: whatever it was going to get, it has got.
  await Promise.all(stayerWs.slice(0, stayerCount).map((ws) => ws.waitFor(messageIn(conversationId), { count: acked.length + 1 })));
  await victimWs.waitFor((f) => f.event === 'removed' && f.conversationId === conversationId);
  await ctx.stack.sqs.drained();
  await sleep(50);
  const leaked = victimWs.received(messageIn(conversationId)).map((f) => f.message.seq as number).filter((seq) => seq > removedAt);
  return { removedAt, acked, leaked };
}

describe('a send racing a removal never reaches the removed member', () => {
  const variants = [['inline (3 connections)', 1, 0], ['through the fan-out queue (5 connections)', 3, 0], ['a removal of 61 members, too big for one transaction (queued)', 3, 60]] as const;
  for (const [path, stayerCount, alsoRemoved] of variants) {
    it(`${path}: rounds of ${SENDS_PER_ROUND} sends against one removal until ${RACED_ROUNDS} raced`, { timeout: 180_000 }, async () => {
      // A removal commits only between two seqs (it retries while sends move them), so many rounds see it land
      // after every send; rounds go on until enough had sends stored on both sides of it.
      const rounds: Array<Awaited<ReturnType<typeof round>>> = [];
      const raced = () => rounds.filter((r) => r.acked.some((seq) => seq > r.removedAt) && r.acked.some((seq) => seq < r.removedAt)).length;
      while (raced() < RACED_ROUNDS && rounds.length < ROUNDS_MAX) rounds.push(await round(rounds.length + 1000 * variants.findIndex((v) => v[0] === path), stayerCount, alsoRemoved));
      expect(rounds.flatMap((r) => r.leaked)).toEqual([]);
      expect(raced(), `rounds with sends stored on both sides of the removal, of ${rounds.length}`).toBe(RACED_ROUNDS);
    });
  }
});
