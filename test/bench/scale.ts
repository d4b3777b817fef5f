import type { Api } from '../support/client.ts';
import { summarize, timeEach, type Summary } from './stats.ts';
import { seedGroup, seedMessages, seedUsers, type BenchUser } from './fixtures.ts';

/**
 * Scale of work: does a send get slower with more members, or history with more messages? Each point is a run of
 * sequential HTTP requests through the local gateway; only the data size changes between points.
 */
export type SendScalePoint = { members: number } & Summary;
export type HistoryScalePoint = { messages: number; first: Summary; deep: Summary };

async function expectOk(request: Promise<{ status: number; body: unknown }>): Promise<void> {
  const res = await request;
  if (res.status >= 300) throw new Error(`bench request failed: ${res.status} ${JSON.stringify(res.body).slice(0, 300)}`);
}

/** Send latency for groups of each size (members are offline here: the live path is the delivery table). */
export async function sendScale(api: Api, sender: BenchUser, others: readonly BenchUser[], sizes: readonly number[], samples: number): Promise<SendScalePoint[]> {
  const points: SendScalePoint[] = [];
  for (const members of sizes) {
    const conversationId = await seedGroup([sender.id, ...others.slice(0, members - 1).map((u) => u.id)]);
    const latencies = await timeEach(samples, (i) => expectOk(api.post('/message/send', { conversationId, content: `scale ${i}` }, sender.token)), 5);
    points.push({ members, ...summarize(latencies) });
  }
  return points;
}

/**
 * History latency as one conversation grows through each size: the newest page, and a deep page (just after the
 * oldest 50 messages, so the query starts at the far end of the partition).
 */
export async function historyScale(api: Api, reader: BenchUser, sizes: readonly number[], samples: number): Promise<HistoryScalePoint[]> {
  const conversationId = await seedGroup([reader.id]);
  const ids: number[] = [];
  const points: HistoryScalePoint[] = [];
  for (const size of sizes) {
    ids.push(...(await seedMessages(conversationId, reader.id, size - ids.length)));
    const deepCursor = ids[Math.min(50, ids.length - 1)]!;
    const first = await timeEach(samples, () => expectOk(api.get(`/message/history/${conversationId}`, reader.token)), 5);
    const deep = await timeEach(samples, () => expectOk(api.get(`/message/history/${conversationId}?before=${deepCursor}`, reader.token)), 5);
    points.push({ messages: size, first: summarize(first), deep: summarize(deep) });
  }
  return points;
}

export type GetlistScalePoint = { conversations: number } & Summary;

/** getlist latency for users with each number of conversations (each with a last message). */
export async function getlistScale(api: Api, peer: BenchUser, sizes: readonly number[], samples: number): Promise<GetlistScalePoint[]> {
  const points: GetlistScalePoint[] = [];
  for (const conversations of sizes) {
    const [user] = await seedUsers(1, `getlist${conversations}`);
    const ids = await Promise.all(Array.from({ length: conversations }, () => seedGroup([user!.id, peer.id])));
    await Promise.all(ids.map((id) => seedMessages(id, peer.id, 1)));
    const latencies = await timeEach(samples, () => expectOk(api.get('/conversation/getlist', user!.token)), 5);
    points.push({ conversations, ...summarize(latencies) });
  }
  return points;
}
