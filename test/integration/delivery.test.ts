import { describe, expect, it } from 'vitest';
import { useSockets, useStack } from '../support/context.ts';
import type { TestUser } from '../support/client.ts';
import { isEvent, routeHandled, type Frame } from '../support/ws-client.ts';

/** Delivery guarantees (SPEC.md): seq on every message, gap fetches by seq, read markers as seqs, blocks without a trace. */
const ctx = useStack({ BCRYPT_COST: '4' });
const connect = useSockets(ctx);

const users = async (count: number, prefix: string) => {
  const made: TestUser[] = [];
  for (let i = 0; i < count; i += 25) made.push(...(await Promise.all(Array.from({ length: Math.min(25, count - i) }, () => ctx.api.newUser(prefix)))));
  return made;
};
const entryOf = async (user: TestUser, conversationId: number) => (await ctx.api.get('/conversation/getlist', user.token)).body.conversations.find((c: { id: number }) => c.id === conversationId);
const historyOf = async (user: TestUser, conversationId: number, query = '') => (await ctx.api.get(`/message/history/${conversationId}${query}`, user.token)).body;

describe('seq', () => {
  it('50 concurrent senders to one group (half over WebSocket, half over HTTP) get seqs 1..50: no gap, no duplicate, in every message object', { timeout: 120_000 }, async () => {
    const senders = await users(50, 'racer');
    const conversationId = await ctx.api.conversation(senders[0]!.token, ...senders.slice(1).map((u) => u.id));
    const sockets = await Promise.all(senders.slice(0, 25).map(connect));
    const answers = await Promise.all(senders.map(async (sender, i) => {
      const socket = sockets[i];
      if (socket) {
        // Under this burst a frame may be answered SERVICE_UNAVAILABLE, or its ack lost: the client resends with
        // the same client id, as a real client does.
        for (;;) {
          const frame = { action: 'sendMessage', conversationId, content: `race ${i}`, clientMessageId: `race-${i}` };
          const answer = await socket.request(frame, (f: Frame) => f.clientMessageId === `race-${i}` && (f.event === 'ack' || f.event === 'error'), 10_000).catch(() => undefined);
          if (answer?.event === 'ack') return answer.message;
          if (answer) expect(answer.code).toBe('SERVICE_UNAVAILABLE');
        }
      }
      return (await ctx.api.post('/message/send', { conversationId, content: `race ${i}` }, sender.token)).body.data;
    }));
    const seqs = answers.map((m: { seq: number }) => m.seq).sort((a: number, b: number) => a - b);
    expect(seqs).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));

    const history = await historyOf(senders[7]!, conversationId, '?limit=100');
    expect(history.last_seq).toBe(50);
    expect(history.messages.map((m: { seq: number }) => m.seq)).toEqual(seqs);
    expect(new Set(history.messages.map((m: { id: number }) => m.id)).size).toBe(50);
    for (const message of answers) expect(history.messages.find((m: { id: number }) => m.id === message.id)).toMatchObject({ seq: message.seq, content: message.content });
    // Pushes carry the same seq (a push lost under the burst is what the client's gap fetch is for).
    const pushed = sockets.flatMap((socket) => socket.received(isEvent('message')));
    expect(pushed.length).toBeGreaterThan(0);
    for (const frame of pushed) expect(frame.message.seq).toBe(answers.find((m: { id: number }) => m.id === frame.message.id).seq);
    const entry = await entryOf(senders[0]!, conversationId);
    expect(entry).toMatchObject({ last_seq: 50, last_message: { seq: 50 } });
  });

  it('history pages by seq (after_seq, before_seq), carries last_seq, and keeps the id cursors', async () => {
    const [alice, bob] = await users(2, 'pager');
    const conversationId = await ctx.api.conversation(alice!.token, bob!.id);
    const sent = [];
    for (let i = 0; i < 12; i++) sent.push((await ctx.api.post('/message/send', { conversationId, content: `p${i}` }, (i % 2 ? alice : bob)!.token)).body.data);
    expect(sent.map((m) => m.seq)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));

    const gap = await historyOf(bob!, conversationId, '?after_seq=9');
    expect(gap).toMatchObject({ last_seq: 12, next_cursor: null, next_seq: null });
    expect(gap.messages.map((m: { seq: number }) => m.seq)).toEqual([10, 11, 12]);
    const older = await historyOf(bob!, conversationId, '?before_seq=6&limit=3');
    expect(older.messages.map((m: { seq: number }) => m.seq)).toEqual([3, 4, 5]);
    expect(older).toMatchObject({ next_seq: 3, next_cursor: sent[2].id, last_seq: 12 });
    const window = await historyOf(bob!, conversationId, '?after_seq=2&before_seq=5');
    expect(window.messages.map((m: { seq: number }) => m.seq)).toEqual([3, 4]);
    const byId = await historyOf(bob!, conversationId, `?after=${sent[9].id}`);
    expect(byId.messages.map((m: { seq: number }) => m.seq)).toEqual([11, 12]);
    expect((await historyOf(bob!, conversationId, '?after_seq=12')).messages).toEqual([]);
    for (const query of ['after_seq=-1', 'before_seq=0', 'after_seq=x', `before=${sent[3].id}&before_seq=3`, 'after_seq=5&before_seq=5']) {
      expect((await ctx.api.get(`/message/history/${conversationId}?${query}`, bob!.token)).status, query).toBe(400);
    }
  });

  it('getlist has last_seq and read_seq; markRead takes a seq, a marker that does not move writes nothing and tells nobody', async () => {
    const [alice, bob] = await users(2, 'reader');
    const conversationId = await ctx.api.conversation(alice!.token, bob!.id);
    expect(await entryOf(bob!, conversationId)).toMatchObject({ last_seq: 0, read_seq: 0, unread: 0 });
    const [aliceWs, bobWs] = await Promise.all([connect(alice!), connect(bob!)]);
    const ids = [];
    for (const content of ['one', 'two', 'three']) ids.push((await aliceWs.request({ action: 'sendMessage', conversationId, content }, isEvent('ack'))).message.id);
    expect(await entryOf(bob!, conversationId)).toMatchObject({ last_seq: 3, read_seq: 0, unread: 3 });

    const settle = async (frame: object) => {
      const done = routeHandled(ctx.stack, 'markRead');
      bobWs.send(frame);
      await done;
    };
    await settle({ action: 'markRead', conversationId, seq: 2 });
    const [read] = await aliceWs.waitFor(isEvent('read'));
    expect(read).toEqual({ event: 'read', conversationId, userId: bob!.id, messageId: ids[1], seq: 2 });
    expect(await entryOf(bob!, conversationId)).toMatchObject({ last_seq: 3, read_seq: 2, unread: 1 });
    // The same marker again, an older one, by seq or by id: nothing moves, nobody is told.
    await settle({ action: 'markRead', conversationId, seq: 2 });
    await settle({ action: 'markRead', conversationId, messageId: ids[0] });
    expect(aliceWs.received(isEvent('read'))).toHaveLength(1);
    expect(await entryOf(bob!, conversationId)).toMatchObject({ read_seq: 2, unread: 1 });
    // A seq past the end is not a message.
    const [[error]] = await Promise.all([bobWs.waitFor((f: Frame) => f.event === 'error'), settle({ action: 'markRead', conversationId, seq: 99 })]);
    expect(error, JSON.stringify(error)).toMatchObject({ code: 'NOT_FOUND' });
    // His own message is never unread; once he has read what came before it, sending moves his marker along.
    await bobWs.request({ action: 'sendMessage', conversationId, content: 'reply' }, isEvent('ack'));
    expect(await entryOf(bob!, conversationId)).toMatchObject({ last_seq: 4, read_seq: 2, unread: 1 });
    await settle({ action: 'markRead', conversationId, seq: 3 });
    expect(await entryOf(bob!, conversationId)).toMatchObject({ read_seq: 3, unread: 0 });
    await bobWs.request({ action: 'sendMessage', conversationId, content: 'again' }, isEvent('ack'));
    expect(await entryOf(bob!, conversationId)).toMatchObject({ last_seq: 5, read_seq: 5, unread: 0 });
  });
});

describe('blocks leave no trace', () => {
  it('hidden messages do not move the conversation in the blocker\'s list nor change its preview', async () => {
    const [alice, mallory, carol] = await users(3, 'trace');
    const withMallory = await ctx.api.conversation(alice!.token, mallory!.id);
    const withCarol = await ctx.api.conversation(alice!.token, carol!.id);
    await ctx.api.post('/message/send', { conversationId: withMallory, content: 'last one alice saw' }, mallory!.token);
    await ctx.api.post('/message/send', { conversationId: withCarol, content: 'carol later' }, carol!.token);
    await ctx.api.post(`/user/ban/${mallory!.id}`, undefined, alice!.token);
    const before = (await ctx.api.get('/conversation/getlist', alice!.token)).body.conversations;
    for (let i = 0; i < 3; i++) await ctx.api.post('/message/send', { conversationId: withMallory, content: `hidden ${i}` }, mallory!.token);
    const after = (await ctx.api.get('/conversation/getlist', alice!.token)).body.conversations;
    expect(after.map((c: { id: number }) => c.id)).toEqual(before.map((c: { id: number }) => c.id));
    expect(after.map((c: { id: number }) => c.id).slice(0, 2)).toEqual([withCarol, withMallory]);
    const entry = after.find((c: { id: number }) => c.id === withMallory);
    expect(entry).toMatchObject({ last_message: { content: 'last one alice saw', seq: 1 }, unread: 1, updated_at: before.find((c: { id: number }) => c.id === withMallory).updated_at });
    // Mallory's own list moves as usual.
    expect((await entryOf(mallory!, withMallory)).last_message).toMatchObject({ content: 'hidden 2', seq: 4 });
  });

  it('a blocker\'s history pages stay full and no cursor gives away a hidden message', async () => {
    const [alice, mallory, bob] = await users(3, 'pages');
    const group = await ctx.api.conversation(alice!.token, mallory!.id, bob!.id);
    const visible = [];
    for (let i = 0; i < 6; i++) visible.push((await ctx.api.post('/message/send', { conversationId: group, content: `bob ${i}` }, bob!.token)).body.data);
    await ctx.api.post(`/user/ban/${mallory!.id}`, undefined, alice!.token);
    const hidden = [];
    for (let i = 0; i < 8; i++) hidden.push((await ctx.api.post('/message/send', { conversationId: group, content: `mallory ${i}` }, mallory!.token)).body.data);
    const last = (await ctx.api.post('/message/send', { conversationId: group, content: 'bob last' }, bob!.token)).body.data;

    // The newest page of 3: hidden messages are skipped, the page is filled from before them.
    const page = await historyOf(alice!, group, '?limit=3');
    expect(page.messages.map((m: { content: string }) => m.content)).toEqual(['bob 4', 'bob 5', 'bob last']);
    expect(page.last_seq).toBe(last.seq);
    const secrets = hidden.flatMap((m) => [String(m.id), m.sent_at]);
    const leaks = (body: unknown) => secrets.filter((secret) => JSON.stringify(body).includes(secret));
    expect(leaks(page)).toEqual([]);
    expect(page.next_cursor).toBe(visible[4].id);
    // Catching up forward from before the hidden run: a full page of what she may see, nothing hidden.
    const forward = await historyOf(alice!, group, `?after=${visible[5].id}`);
    expect(forward.messages.map((m: { content: string }) => m.content)).toEqual(['bob last']);
    expect(leaks(forward)).toEqual([]);
    const bySeq = await historyOf(alice!, group, `?after_seq=${visible[5].seq}&limit=1`);
    expect(bySeq).toMatchObject({ messages: [{ content: 'bob last' }], next_cursor: null, next_seq: null });
    // A hidden message's id is no cursor for her.
    expect((await ctx.api.get(`/message/history/${group}?before=${hidden[3].id}`, alice!.token)).status).toBe(404);
    // Everyone else sees all 15.
    expect((await historyOf(bob!, group, '?limit=100')).messages).toHaveLength(15);
  });
});

describe('big groups', () => {
  it('conversation/create refuses more ids than API Gateway\'s 10,240-byte request line and headers can carry', async () => {
    const [alice] = await users(1, 'creator');
    const ids = Array.from({ length: 257 }, (_, i) => 9_000_000_000_000 + i).join(',');
    const res = await ctx.api.post(`/conversation/create?contactId=${ids}`, undefined, alice!.token);
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ success: false, code: 'VALIDATION_FAILED' });
    expect(res.body.message).toMatch(/256/);
  });

  it('a 2,000-member group (built through the data layer): the roster is the authority, a send reaches the members and getlist stays small', { timeout: 120_000 }, async () => {
    const { seedUsers, seedGroup } = await import('../bench/fixtures.ts');
    const crowd = await seedUsers(1998, 'crowd');
    const [owner, last] = await users(2, 'big');
    const group = await seedGroup([owner!.id, ...crowd.map((u) => u.id), last!.id]);
    const lastWs = await connect(last!);
    const sent = await ctx.api.post('/message/send', { conversationId: group, content: 'to two thousand', clientMessageId: 'big-1' }, owner!.token);
    expect(sent.status).toBe(201);
    expect(sent.body.data.seq).toBe(1);
    const [pushed] = await lastWs.waitFor(isEvent('message'));
    expect(pushed!.message).toMatchObject({ id: sent.body.data.id, seq: 1 });
    const members = await ctx.api.get(`/conversation/members?conversationId=${group}`, last!.token);
    expect(members.body.members).toHaveLength(1999);
    const entry = await entryOf(last!, group);
    expect(entry).toMatchObject({ member_count: 2000, unread: 1, last_seq: 1 });
    expect(entry.members).toHaveLength(19);
  });
});
