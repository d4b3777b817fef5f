import { describe, expect, it } from 'vitest';
import { useStack } from '../support/context.ts';

const ctx = useStack();

describe('conversation/create', () => {
  it('one contact: the single conversation, the same id for either side on every call', async () => {
    const [alice, bob] = await Promise.all([ctx.api.newUser('alice'), ctx.api.newUser('bob')]);
    const first = await ctx.api.post(`/conversation/create?contactId=${bob.id}`, {}, alice.token);
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ success: true, conversation: { type: 'single', members: [bob.id] } });
    expect(first.body.conversations).toEqual([first.body.conversation]);
    const again = await ctx.api.post(`/conversation/create?contactId=${bob.id}`, {}, alice.token);
    const fromBob = await ctx.api.post(`/conversation/create?contactId=${alice.id}`, {}, bob.token);
    expect(again.status).toBe(200);
    expect(again.body.conversation.id).toBe(first.body.conversation.id);
    expect(fromBob.body.conversation).toEqual({ id: first.body.conversation.id, type: 'single', members: [alice.id] });
  });

  it('20 concurrent creations of the same single conversation (from both sides) yield one conversation', async () => {
    const [alice, bob] = await Promise.all([ctx.api.newUser('alice'), ctx.api.newUser('bob')]);
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) =>
      i % 2 ? ctx.api.post(`/conversation/create?contactId=${bob.id}`, {}, alice.token) : ctx.api.post(`/conversation/create?contactId=${alice.id}`, {}, bob.token)));
    expect(results.map((r) => r.status).every((s) => s === 200 || s === 201)).toBe(true);
    expect(new Set(results.map((r) => r.body.conversation.id)).size).toBe(1);
    expect(results.filter((r) => r.status === 201)).toHaveLength(1);
    expect((await ctx.api.get('/conversation/getlist', alice.token)).body.conversations).toHaveLength(1);
    expect((await ctx.api.get('/conversation/getlist', bob.token)).body.conversations).toHaveLength(1);
  });

  it('several contacts (repeated parameter, as the seed sends it): a new group each time', async () => {
    const [alice, bob, carol] = await Promise.all([ctx.api.newUser('alice'), ctx.api.newUser('bob'), ctx.api.newUser('carol')]);
    const group = await ctx.api.post(`/conversation/create?contactId=${bob.id}&contactId=${carol.id}`, {}, alice.token);
    expect(group.status).toBe(201);
    expect(group.body.conversation.type).toBe('group');
    expect(group.body.conversation.members.sort()).toEqual([bob.id, carol.id].sort());
    const second = await ctx.api.post(`/conversation/create?contactId=${bob.id},${carol.id}`, {}, alice.token);
    expect(second.body.conversation.id).not.toBe(group.body.conversation.id);
    const members = await ctx.api.get(`/conversation/members?conversationId=${group.body.conversation.id}`, bob.token);
    expect(members.status).toBe(200);
    expect(members.body.members.map((m: { id: number }) => m.id).sort()).toEqual([alice.id, carol.id].sort());
    expect(members.body.members[0]).toHaveProperty('username');
    expect(JSON.stringify(members.body)).not.toMatch(/password/);
  });

  it('refuses self, unknown users, empty and malformed lists', async () => {
    const [alice, bob] = await Promise.all([ctx.api.newUser('alice'), ctx.api.newUser('bob')]);
    expect((await ctx.api.post(`/conversation/create?contactId=${alice.id}`, {}, alice.token)).status).toBe(400);
    expect((await ctx.api.post(`/conversation/create?contactId=${bob.id}&contactId=${alice.id}`, {}, alice.token)).status).toBe(400);
    expect((await ctx.api.post('/conversation/create?contactId=31337', {}, alice.token)).status).toBe(404);
    expect((await ctx.api.post('/conversation/create', {}, alice.token)).status).toBe(400);
    expect((await ctx.api.post('/conversation/create?contactId=abc', {}, alice.token)).status).toBe(400);
  });
});

describe('conversation/getlist and members', () => {
  it('lists the caller\'s conversations, most recently active first, with last message and unread', async () => {
    const [alice, bob, carol] = await Promise.all([ctx.api.newUser('alice'), ctx.api.newUser('bob'), ctx.api.newUser('carol')]);
    const withBob = await ctx.api.conversation(alice.token, bob.id);
    const withCarol = await ctx.api.conversation(alice.token, carol.id);
    const group = await ctx.api.conversation(alice.token, bob.id, carol.id);
    await ctx.api.post('/message/send', { conversationId: withBob, content: 'one' }, bob.token);
    await ctx.api.post('/message/send', { conversationId: withBob, content: 'two' }, bob.token);
    await ctx.api.post('/message/send', { conversationId: group, content: 'mine' }, alice.token);

    const list = await ctx.api.get('/conversation/getlist', alice.token);
    expect(list.status).toBe(200);
    expect(list.body.conversations.map((c: { id: number }) => c.id)).toEqual([group, withBob, withCarol]);
    const [g, b, c] = list.body.conversations;
    expect(g).toMatchObject({ type: 'group', unread: 0, last_message: { content: 'mine', sender_id: alice.id } });
    expect(b).toMatchObject({ type: 'single', members: [bob.id], unread: 2, last_message: { content: 'two' } });
    expect(c).toMatchObject({ members: [carol.id], unread: 0, last_message: null });
    // Bob sees the group too, with alice's message unread; carol's single conversation with alice is not his.
    const bobs = (await ctx.api.get('/conversation/getlist', bob.token)).body.conversations;
    expect(bobs.map((x: { id: number }) => x.id).sort()).toEqual([group, withBob].sort());
    expect(bobs.find((x: { id: number }) => x.id === group).unread).toBe(1);
  });

  it('members and history are for members only: 403 for others, 404 for unknown conversations', async () => {
    const [alice, bob, eve] = await Promise.all([ctx.api.newUser('alice'), ctx.api.newUser('bob'), ctx.api.newUser('eve')]);
    const conversationId = await ctx.api.conversation(alice.token, bob.id);
    await ctx.api.post('/message/send', { conversationId, content: 'private' }, alice.token);
    const members = await ctx.api.get(`/conversation/members?conversationId=${conversationId}`, eve.token);
    expect(members.status).toBe(403);
    expect(members.body).toMatchObject({ success: false, code: 'FORBIDDEN' });
    expect(JSON.stringify(members.body)).not.toContain(alice.username);
    const history = await ctx.api.get(`/message/history/${conversationId}`, eve.token);
    expect(history.status).toBe(403);
    expect(JSON.stringify(history.body)).not.toContain('private');
    const send = await ctx.api.post('/message/send', { conversationId, content: 'intrusion' }, eve.token);
    expect(send.status).toBe(403);
    expect((await ctx.api.get(`/message/history/${conversationId}`, alice.token)).body.messages).toHaveLength(1);
    expect((await ctx.api.get('/conversation/members?conversationId=99999999', alice.token)).status).toBe(404);
    expect((await ctx.api.get('/message/history/99999999', alice.token)).status).toBe(404);
    expect((await ctx.api.get('/conversation/members', alice.token)).status).toBe(400);
  });
});
