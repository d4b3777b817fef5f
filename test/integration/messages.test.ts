import { beforeAll, describe, expect, it } from 'vitest';
import { useStack } from '../support/context.ts';
import type { Response, TestUser } from '../support/client.ts';

const ctx = useStack();

describe('message/send', () => {
  it('stores and returns the message in the seed\'s Messages shape; a resend with the same clientMessageId is stored once', async () => {
    const [alice, bob] = await Promise.all([ctx.api.newUser('alice'), ctx.api.newUser('bob')]);
    const conversationId = await ctx.api.conversation(alice.token, bob.id);
    const sent = await ctx.api.post('/message/send', { conversationId, content: 'Hello', type: 'text', clientMessageId: 'c-1' }, alice.token);
    expect(sent.status).toBe(201);
    expect(sent.body.data).toMatchObject({ conversation_id: conversationId, sender_id: alice.id, content: 'Hello', type: 'text', seq: 1, clientMessageId: 'c-1' });
    expect(new Date(sent.body.data.sent_at).toISOString()).toBe(sent.body.data.sent_at);
    expect(sent.body.data.received_at).toBe(sent.body.data.sent_at); // stamped when stored (README, "Delivery")
    const retries = await Promise.all([1, 2, 3].map(() => ctx.api.post('/message/send', { conversationId: String(conversationId), content: 'Hello', clientMessageId: 'c-1' }, alice.token)));
    expect(retries.map((r) => r.body.data.id)).toEqual([sent.body.data.id, sent.body.data.id, sent.body.data.id]);
    const history = await ctx.api.get(`/message/history/${conversationId}`, bob.token);
    expect(history.body.messages).toHaveLength(1);
  });

  it('refuses empty, oversize, wrongly typed and unknown-conversation messages', async () => {
    const [alice, bob] = await Promise.all([ctx.api.newUser('alice'), ctx.api.newUser('bob')]);
    const conversationId = await ctx.api.conversation(alice.token, bob.id);
    const cases: Array<[unknown, number]> = [
      [{ conversationId, content: '' }, 400],
      [{ conversationId, content: 'x'.repeat(4001) }, 400],
      [{ conversationId, content: 42 }, 400],
      [{ conversationId, content: 'hi', type: 'video' }, 400],
      [{ content: 'hi' }, 400],
      [{ conversationId: 2 ** 53, content: 'hi' }, 400],
      [{ conversationId: 123456, content: 'hi' }, 404],
    ];
    for (const [body, status] of cases) {
      const res = await ctx.api.post('/message/send', body, alice.token);
      expect(res.status, JSON.stringify(body).slice(0, 80)).toBe(status);
      expect(res.body.success).toBe(false);
    }
    expect((await ctx.api.get(`/message/history/${conversationId}`, alice.token)).body.messages).toHaveLength(0);
  });
});

describe('message/history paging over 250 messages', () => {
  let alice: TestUser;
  let bob: TestUser;
  let conversationId: number;
  let sentIds: number[];
  beforeAll(async () => {
    [alice, bob] = await Promise.all([ctx.api.newUser('alice'), ctx.api.newUser('bob')]);
    conversationId = await ctx.api.conversation(alice.token, bob.id);
    const sent: Array<{ id: number; seq: number }> = [];
    for (let batch = 0; batch < 25; batch++) {
      const answers = await Promise.all(Array.from({ length: 10 }, (_, i) => ctx.api.post('/message/send', { conversationId, content: `m${batch * 10 + i}` }, batch % 2 ? alice.token : bob.token)));
      sent.push(...answers.map((s) => s.body.data));
    }
    // History is in seq order: concurrent senders' seqs follow the order their messages were stored.
    sent.sort((a, b) => a.seq - b.seq);
    expect(sent.map((m) => m.seq)).toEqual(Array.from({ length: 250 }, (_, i) => i + 1));
    sentIds = sent.map((m) => m.id);
  });

  it('defaults to the newest 50, oldest first within the page', async () => {
    const page = await ctx.api.get(`/message/history/${conversationId}`, alice.token);
    expect(page.body.messages.map((m: { id: number }) => m.id)).toEqual(sentIds.slice(-50));
    expect(page.body.next_cursor).toBe(sentIds.at(-50));
  });

  it('walks back with before/next_cursor and visits every message exactly once', async () => {
    const seen: number[] = [];
    let cursor: number | null = null;
    let pages = 0;
    do {
      const res: Response = await ctx.api.get(`/message/history/${conversationId}?limit=100${cursor ? `&before=${cursor}` : ''}`, bob.token);
      expect(res.status).toBe(200);
      seen.unshift(...res.body.messages.map((m: { id: number }) => m.id));
      cursor = res.body.next_cursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen).toEqual(sentIds);
  });

  it('catches up forward with after (a reconnecting client)', async () => {
    const seen: number[] = [];
    let cursor: number | null = sentIds[99]!;
    do {
      const res: Response = await ctx.api.get(`/message/history/${conversationId}?limit=60&after=${cursor}`, alice.token);
      seen.push(...res.body.messages.map((m: { id: number }) => m.id));
      cursor = res.body.next_cursor;
    } while (cursor);
    expect(seen).toEqual(sentIds.slice(100));
    const upToDate = await ctx.api.get(`/message/history/${conversationId}?after=${sentIds.at(-1)}`, alice.token);
    expect(upToDate.body).toMatchObject({ messages: [], next_cursor: null });
  });

  it('combines after and before into a window and refuses bad paging parameters', async () => {
    const window = await ctx.api.get(`/message/history/${conversationId}?after=${sentIds[9]}&before=${sentIds[20]}`, alice.token);
    expect(window.body.messages.map((m: { id: number }) => m.id)).toEqual(sentIds.slice(10, 20));
    for (const query of ['limit=0', 'limit=101', 'limit=abc', 'before=xyz', `after=${sentIds[5]}&before=${sentIds[5]}`, 'after=-3']) {
      expect((await ctx.api.get(`/message/history/${conversationId}?${query}`, alice.token)).status, query).toBe(400);
    }
  });
});
