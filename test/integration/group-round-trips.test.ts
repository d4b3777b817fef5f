import { beforeAll, describe, expect, it } from 'vitest';
import { useStack } from '../support/context.ts';
import { roundTripCounter, type RoundTrips } from '../support/round-trips.ts';
import type { TestUser } from '../support/client.ts';

/**
 * DynamoDB round trips of the group endpoints, counted as in round-trips.test.ts, in a group of 3 and one of 150:
 * at most 3 sequential for both sizes (a disband of 150 writes 300 items: past one transaction's 100, they follow
 * it in parallel batches), and calls that do not grow one per member. The count includes the token-version read
 * when the container's 5 s cache has let it go, so a step may differ between the two runs of one endpoint.
 */
const ctx = useStack({ BCRYPT_COST: '4' });
let counter: Awaited<ReturnType<typeof roundTripCounter>>;
let owner: TestUser;
let people: TestUser[];
const BIG = 150;

beforeAll(async () => {
  counter = await roundTripCounter();
  owner = await ctx.api.newUser('owner');
  people = [];
  for (let i = 0; i < BIG + 2; i += 40) people.push(...(await Promise.all(Array.from({ length: Math.min(40, BIG + 2 - i) }, () => ctx.api.newUser('p')))));
}, 300_000);

/** A fresh group of `size` (the owner, people[0] as an admin, people[1] as a member, then the rest). */
async function groupOf(size: number): Promise<number> {
  const id = await ctx.api.conversation(owner.token, ...people.slice(0, size - 1).map((p) => p.id));
  expect((await ctx.api.post('/conversation/admins', { conversationId: id, userId: people[0]!.id, admin: true }, owner.token)).status).toBe(200);
  return id;
}

type Call = (conversationId: number) => Promise<{ status: number }>;
const newcomer = () => people.at(-1)!;
const endpoints: Record<string, Call> = {
  'POST /conversation/members/add': (c) => ctx.api.post('/conversation/members/add', { conversationId: c, userIds: [newcomer().id] }, owner.token),
  'POST /conversation/members/remove': (c) => ctx.api.post('/conversation/members/remove', { conversationId: c, userIds: [people[1]!.id] }, owner.token),
  'POST /conversation/leave (member)': (c) => ctx.api.post('/conversation/leave', { conversationId: c }, people[1]!.token),
  'POST /conversation/leave (owner)': (c) => ctx.api.post('/conversation/leave', { conversationId: c }, owner.token),
  'POST /conversation/update': (c) => ctx.api.post('/conversation/update', { conversationId: c, name: 'counted', announcement: 'counted' }, people[0]!.token),
  'POST /conversation/admins': (c) => ctx.api.post('/conversation/admins', { conversationId: c, userId: people[1]!.id, admin: true }, owner.token),
  'POST /conversation/transfer': (c) => ctx.api.post('/conversation/transfer', { conversationId: c, userId: people[1]!.id }, owner.token),
  'POST /conversation/disband': (c) => ctx.api.post('/conversation/disband', { conversationId: c }, owner.token),
  'GET /conversation/members': (c) => ctx.api.get(`/conversation/members?conversationId=${c}`, owner.token),
};
/** Endpoints whose own writes grow with the group (every member's items): one batched step more, never more than 3. */
const WRITES_EVERY_MEMBER = new Set(['POST /conversation/disband']);

describe('DynamoDB round trips of the group endpoints', () => {
  const table: Array<{ endpoint: string; small: RoundTrips; big: RoundTrips }> = [];

  it.each(Object.entries(endpoints))('%s: at most 3 sequential, not growing with the group', async (endpoint, call) => {
    const [small, big] = [await groupOf(3), await groupOf(BIG)];
    // Every caller's token version is in the container's cache (as right after login, and for 5 s after any call), so
    // the counts are the endpoint's own, as round-trips.test.ts counts them.
    await Promise.all([owner, people[0]!, people[1]!].map((user) => ctx.api.get('/user/profile', user.token)));
    let status = 0;
    const forSmall = await counter.measure(async () => void (status = (await call(small)).status));
    expect(status).toBe(200);
    const forBig = await counter.measure(async () => void (status = (await call(big)).status));
    expect(status).toBe(200);
    table.push({ endpoint, small: forSmall, big: forBig });
    expect(forSmall.sequential).toBeLessThanOrEqual(3);
    expect(forBig.sequential).toBeLessThanOrEqual(3);
    // Calls may fan out in parallel (BatchGet of connections per 100 members), never one per member.
    if (!WRITES_EVERY_MEMBER.has(endpoint)) expect(forBig.calls).toBeLessThanOrEqual(forSmall.calls + 3);
    expect(forBig.operations).not.toContain('Scan');
  });

  it.each([
    ['POST /message/recall', '/message/recall'],
    ['POST /message/delete', '/message/delete'],
  ])('%s: at most 3 sequential, not growing with the group', async (endpoint, path) => {
    const costs: RoundTrips[] = [];
    for (const size of [3, BIG]) {
      const conversationId = await groupOf(size);
      const sent = await ctx.api.post('/message/send', { conversationId, content: 'to take back' }, people[1]!.token);
      await ctx.api.get('/user/profile', owner.token);
      costs.push(await counter.measure(async () => expect((await ctx.api.post(path, { conversationId, messageId: sent.body.data.id }, owner.token)).status).toBe(200)));
    }
    const [small, big] = costs as [RoundTrips, RoundTrips];
    table.push({ endpoint, small, big });
    expect(small.sequential).toBeLessThanOrEqual(3);
    expect(big.sequential).toBeLessThanOrEqual(3);
    expect(big.calls).toBeLessThanOrEqual(small.calls + 3);
  });

  it('POST /user/settings: one write', async () => {
    const cost = await counter.measure(() => ctx.api.post('/user/settings', { groupInvites: 'contacts' }, owner.token));
    expect(cost.sequential).toBeLessThanOrEqual(2); // the token-version read, then the write
    await ctx.api.post('/user/settings', { groupInvites: 'anyone' }, owner.token);
  });

  it('prints the table', () => {
    console.log('\nendpoint | 3 members: calls/sequential | 150 members: calls/sequential | operations (150)');
    for (const row of table) console.log(`${row.endpoint} | ${row.small.calls}/${row.small.sequential} | ${row.big.calls}/${row.big.sequential} | ${[...new Set(row.big.operations)].join(',')}`);
    expect(table).toHaveLength(Object.keys(endpoints).length + 2);
  });
});
