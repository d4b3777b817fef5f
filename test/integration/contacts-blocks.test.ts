import { describe, expect, it } from 'vitest';
import { useStack } from '../support/context.ts';

const ctx = useStack();

describe('contacts', () => {
  it('adds, lists and removes contacts one-directionally', async () => {
    const [alice, bob, carol] = await Promise.all([ctx.api.newUser('alice'), ctx.api.newUser('bob'), ctx.api.newUser('carol')]);
    const added = await ctx.api.post('/contacts/add', { id: bob.id }, alice.token);
    expect(added.status).toBe(200);
    expect(added.body).toMatchObject({ success: true, message: '添加联系人成功' });
    expect((await ctx.api.post('/contacts/add', { id: String(carol.id) }, alice.token)).status).toBe(200);

    const list = await ctx.api.get('/contacts/list', alice.token);
    expect(list.body.contacts).toHaveLength(2);
    expect(list.body.contacts).toContainEqual({ id: bob.id, username: bob.username, nickname: 'bob nick' });
    expect((await ctx.api.get('/contacts/list', bob.token)).body.contacts).toEqual([]);

    const removed = await ctx.api.delete(`/contacts/remove/${bob.id}`, alice.token);
    expect(removed.status).toBe(200);
    expect(removed.body).toMatchObject({ success: true, message: '删除联系人成功' });
    expect((await ctx.api.get('/contacts/list', alice.token)).body.contacts.map((c: { id: number }) => c.id)).toEqual([carol.id]);
  });

  it('answers 409 for a repeat, 400 for self, 404 for unknown users and unknown contacts', async () => {
    const [alice, bob] = await Promise.all([ctx.api.newUser('alice'), ctx.api.newUser('bob')]);
    await ctx.api.post('/contacts/add', { id: bob.id }, alice.token);
    expect((await ctx.api.post('/contacts/add', { id: bob.id }, alice.token)).body).toMatchObject({ success: false, code: 'ALREADY_CONTACT' });
    expect((await ctx.api.post('/contacts/add', { id: bob.id }, alice.token)).status).toBe(409);
    expect((await ctx.api.post('/contacts/add', { id: alice.id }, alice.token)).status).toBe(400);
    expect((await ctx.api.post('/contacts/add', { id: 424242 }, alice.token)).status).toBe(404);
    expect((await ctx.api.delete('/contacts/remove/424242', alice.token)).status).toBe(404);
  });

  it('removing is the caller\'s own list only', async () => {
    const [alice, bob] = await Promise.all([ctx.api.newUser('alice'), ctx.api.newUser('bob')]);
    await ctx.api.post('/contacts/add', { id: bob.id }, alice.token);
    await ctx.api.post('/contacts/add', { id: alice.id }, bob.token);
    await ctx.api.delete(`/contacts/remove/${alice.id}`, bob.token);
    expect((await ctx.api.get('/contacts/list', alice.token)).body.contacts.map((c: { id: number }) => c.id)).toEqual([bob.id]);
  });
});

describe('blocks', () => {
  it('a blocked user cannot start a single conversation with the blocker; unblocking allows it again', async () => {
    const [alice, mallory] = await Promise.all([ctx.api.newUser('alice'), ctx.api.newUser('mallory')]);
    expect((await ctx.api.post(`/user/ban/${mallory.id}`, {}, alice.token)).status).toBe(200);
    const attempt = await ctx.api.post(`/conversation/create?contactId=${alice.id}`, undefined, mallory.token);
    expect(attempt.status).toBe(403);
    expect(attempt.body).toMatchObject({ success: false, code: 'BLOCKED' });
    expect((await ctx.api.delete(`/user/unban/${mallory.id}`, alice.token)).status).toBe(200);
    expect((await ctx.api.post(`/conversation/create?contactId=${alice.id}`, undefined, mallory.token)).status).toBe(201);
  });

  it('what a blocked user sends never reaches the blocker\'s history; the sender still sees it', async () => {
    const [alice, mallory] = await Promise.all([ctx.api.newUser('alice'), ctx.api.newUser('mallory')]);
    const conversationId = await ctx.api.conversation(alice.token, mallory.id);
    await ctx.api.post('/message/send', { conversationId, content: 'before the block' }, mallory.token);
    await ctx.api.post(`/user/ban/${mallory.id}`, undefined, alice.token);
    const hidden = await ctx.api.post('/message/send', { conversationId, content: 'while blocked' }, mallory.token);
    expect(hidden.status).toBe(201);
    const aliceView = await ctx.api.get(`/message/history/${conversationId}`, alice.token);
    expect(aliceView.body.messages.map((m: { content: string }) => m.content)).toEqual(['before the block']);
    const malloryView = await ctx.api.get(`/message/history/${conversationId}`, mallory.token);
    expect(malloryView.body.messages.map((m: { content: string }) => m.content)).toEqual(['before the block', 'while blocked']);
    // Nor does it surface in the blocker's list: the preview stays the last message she can see, unread leaves it out.
    const list = await ctx.api.get('/conversation/getlist', alice.token);
    const entry = list.body.conversations.find((c: { id: number }) => c.id === conversationId);
    expect(entry.last_message).toMatchObject({ content: 'before the block', seq: 1 });
    expect(entry.unread).toBe(1);

    await ctx.api.delete(`/user/unban/${mallory.id}`, alice.token);
    await ctx.api.post('/message/send', { conversationId, content: 'after unblock' }, mallory.token);
    const after = await ctx.api.get(`/message/history/${conversationId}`, alice.token);
    expect(after.body.messages.map((m: { content: string }) => m.content)).toEqual(['before the block', 'after unblock']);
  });

  it('a sender blocked by more group members than one transaction holds still sends; hidden from all of them', { timeout: 120_000 }, async () => {
    const sender = await ctx.api.newUser('shunned');
    const blockers = [];
    for (let i = 0; i < 100; i += 20) blockers.push(...(await Promise.all(Array.from({ length: 20 }, () => ctx.api.newUser('blocker')))));
    const conversationId = await ctx.api.conversation(sender.token, ...blockers.map((b) => b.id));
    await Promise.all(blockers.map((b) => ctx.api.post(`/user/ban/${sender.id}`, undefined, b.token)));
    const sent = await ctx.api.post('/message/send', { conversationId, content: 'to nobody', clientMessageId: 'shunned-1' }, sender.token);
    expect(sent.status).toBe(201);
    const last = blockers.at(-1)!;
    expect((await ctx.api.get(`/message/history/${conversationId}`, last.token)).body.messages).toEqual([]);
    const entry = (await ctx.api.get('/conversation/getlist', last.token)).body.conversations.find((c: { id: number }) => c.id === conversationId);
    expect(entry.unread).toBe(0);
  });

  it('ban is idempotent, unban of a missing block is 404, self-ban is 400, unknown user 404', async () => {
    const [alice, bob] = await Promise.all([ctx.api.newUser('alice'), ctx.api.newUser('bob')]);
    expect((await ctx.api.post(`/user/ban/${bob.id}`, {}, alice.token)).status).toBe(200);
    expect((await ctx.api.post(`/user/ban/${bob.id}`, {}, alice.token)).status).toBe(200);
    expect((await ctx.api.delete(`/user/unban/${bob.id}`, alice.token)).status).toBe(200);
    expect((await ctx.api.delete(`/user/unban/${bob.id}`, alice.token)).status).toBe(404);
    expect((await ctx.api.post(`/user/ban/${alice.id}`, {}, alice.token)).status).toBe(400);
    expect((await ctx.api.post('/user/ban/777777', {}, alice.token)).status).toBe(404);
  });
});
