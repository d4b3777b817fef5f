import { beforeAll, describe, expect, it } from 'vitest';
import { useStack } from '../support/context.ts';
import { roundTripCounter, type RoundTrips } from '../support/round-trips.ts';
import type { TestUser } from '../support/client.ts';

/**
 * DynamoDB round trips per endpoint, counted by an SDK middleware on the handlers' own client. Each endpoint is
 * measured for a user with little data and again with a lot: the sequential count must stay at or under 3 and
 * must not grow with contacts, conversations or messages (no N+1).
 */
const ctx = useStack();
let counter: Awaited<ReturnType<typeof roundTripCounter>>;
let small: TestUser;
let big: TestUser;
let peer: TestUser;
let smallConversation: number;
let bigConversation: number;

beforeAll(async () => {
  counter = await roundTripCounter();
  [small, big, peer] = await Promise.all([ctx.api.newUser('small'), ctx.api.newUser('big'), ctx.api.newUser('peer')]);
  const others = await Promise.all(Array.from({ length: 8 }, () => ctx.api.newUser('other')));
  smallConversation = await ctx.api.conversation(small.token, peer.id);
  bigConversation = await ctx.api.conversation(big.token, peer.id);
  // The big user: 150 conversations, 8 contacts, 300 messages in one conversation.
  for (let i = 0; i < 150; i += 25) {
    await Promise.all(Array.from({ length: 25 }, (_, j) => ctx.api.conversation(big.token, peer.id, others[(i + j) % 8]!.id)));
  }
  await Promise.all(others.map((o) => ctx.api.post('/contacts/add', { id: o.id }, big.token)));
  for (let i = 0; i < 300; i += 30) {
    await Promise.all(Array.from({ length: 30 }, (_, j) => ctx.api.post('/message/send', { conversationId: bigConversation, content: `m${i + j}` }, peer.token)));
  }
}, 300_000);

type Call = (user: TestUser, conversationId: number) => Promise<{ status: number }>;
const endpoints: Record<string, Call> = {
  'POST /user/login': (u) => ctx.api.post('/user/login', { username: u.username, password: u.password }),
  'GET /user/profile': (u) => ctx.api.get('/user/profile', u.token),
  'GET /user/profile/{id}': (u) => ctx.api.get(`/user/profile/${peer.id}`, u.token),
  'GET /contacts/list': (u) => ctx.api.get('/contacts/list', u.token),
  'POST /contacts/add': (u) => ctx.api.post('/contacts/add', { id: peer.id }, u.token),
  'DELETE /contacts/remove/{contactId}': (u) => ctx.api.delete(`/contacts/remove/${peer.id}`, u.token),
  'POST /user/ban/{bannerId}': (u) => ctx.api.post(`/user/ban/${peer.id}`, {}, u.token),
  'DELETE /user/unban/{bannerId}': (u) => ctx.api.delete(`/user/unban/${peer.id}`, u.token),
  'POST /conversation/create (existing single)': (u) => ctx.api.post(`/conversation/create?contactId=${peer.id}`, {}, u.token),
  'GET /conversation/getlist': (u) => ctx.api.get('/conversation/getlist', u.token),
  'GET /conversation/members': (u, c) => ctx.api.get(`/conversation/members?conversationId=${c}`, u.token),
  'GET /message/history/{conversation_id}': (u, c) => ctx.api.get(`/message/history/${c}?limit=100`, u.token),
  'GET /message/history (deep page)': (u, c) => ctx.api.get(`/message/history/${c}?limit=100&before=${c + 1}`, u.token),
  'POST /message/send': (u, c) => ctx.api.post('/message/send', { conversationId: c, content: 'counted' }, u.token),
  'POST /user/register': () => ctx.api.post('/user/register', { username: `r_${Math.random().toString(36).slice(2)}`, password: 'password-1', nickname: 'r' }),
};

describe('DynamoDB round trips per endpoint', () => {
  const table: Array<{ endpoint: string; small: RoundTrips; big: RoundTrips }> = [];

  it.each(Object.entries(endpoints))('%s: at most 3 sequential, the same for a user with much more data', async (endpoint, call) => {
    let status = 0;
    const forSmall = await counter.measure(async () => void (status = (await call(small, smallConversation)).status));
    expect(status).toBeLessThan(400);
    const forBig = await counter.measure(async () => void (status = (await call(big, bigConversation)).status));
    expect(status).toBeLessThan(400);
    table.push({ endpoint, small: forSmall, big: forBig });
    expect(forSmall.sequential).toBeLessThanOrEqual(3);
    expect(forBig.sequential).toBe(forSmall.sequential);
    expect(forBig.operations).not.toContain('Scan');
    // Calls may fan out in parallel (BatchGet per 100 keys), never one per item.
    expect(forBig.calls).toBeLessThanOrEqual(forSmall.calls + 2);
  });

  it('a history page by the id of an old message past 4,096 messages: still at most 3 sequential', async () => {
    // Ids carry their seq's low 12 bits, so past 4,096 messages an id has several candidate seqs (written through
    // the data layer: 4,200 sends over HTTP would take minutes).
    const { seedMessages } = await import('../bench/fixtures.ts');
    const conversationId = await ctx.api.conversation(peer.token, small.id, big.id);
    const ids = await seedMessages(conversationId, peer.id, 4_200);
    const page = await counter.measure(async () => {
      const response = await ctx.api.get(`/message/history/${conversationId}?limit=20&before=${ids[59]}`, small.token);
      expect(response.status).toBe(200);
      expect(response.body.messages.map((m: { id: number }) => m.id)).toEqual(ids.slice(39, 59));
    });
    expect(page.sequential).toBeLessThanOrEqual(3);
  }, 120_000);

  it('prints the table', () => {
    console.log('\nendpoint | small: calls/sequential | big: calls/sequential | operations (big)');
    for (const row of table) console.log(`${row.endpoint} | ${row.small.calls}/${row.small.sequential} | ${row.big.calls}/${row.big.sequential} | ${row.big.operations.join(',')}`);
    expect(table).toHaveLength(Object.keys(endpoints).length);
  });
});
