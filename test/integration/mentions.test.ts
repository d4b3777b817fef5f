import { describe, expect, it } from 'vitest';
import { useStack } from '../support/context.ts';
import { WsClient, isEvent, routeHandled } from '../support/ws-client.ts';
import type { TestUser } from '../support/client.ts';

const ctx = useStack();
type Users = [TestUser, TestUser, TestUser, TestUser, TestUser, ...TestUser[]];
const users = (n: number) => Promise.all(Array.from({ length: n }, (_, i) => ctx.api.newUser(`m${i}`))) as Promise<Users>;
const send = (conversationId: number, user: TestUser, extra: object) => ctx.api.post('/message/send', { conversationId, content: 'hi @you', ...extra }, user.token);
const item = async (user: TestUser, id: number) => (await ctx.api.get('/conversation/getlist', user.token)).body.conversations.find((c: { id: number }) => c.id === id);

describe('mentions', () => {
  it('mentions carry through send, history and push; getlist marks mentioned until read', async () => {
    const [owner, a, b, c] = await users(4);
    const id = await ctx.api.conversation(owner.token, a.id, b.id, c.id);
    const aWs = await WsClient.connect(ctx.stack.wsUrl, a.token);
    const sent = await send(id, b, { mentions: [a.id] });
    expect(sent.status).toBe(201);
    expect(sent.body.data).toMatchObject({ mentions: [a.id] });
    expect(sent.body.data.mention_all).toBeUndefined();
    const [pushed] = await aWs.waitFor(isEvent('message'));
    expect(pushed!.message.mentions).toEqual([a.id]);
    expect(await item(a, id)).toMatchObject({ mentioned: true, unread: 1 });
    expect(await item(c, id)).toMatchObject({ mentioned: false, unread: 1 });
    expect(await item(b, id)).toMatchObject({ mentioned: false });
    // A later message without a mention keeps it set; reading past the mention clears it.
    const later = await send(id, b, {});
    expect((await item(a, id)).mentioned).toBe(true);
    const read = routeHandled(ctx.stack, 'markRead');
    aWs.send({ action: 'markRead', conversationId: id, messageId: later.body.data.id });
    await read;
    expect(await item(a, id)).toMatchObject({ mentioned: false, unread: 0 });
    // The WebSocket path takes mentions too.
    const ack = await aWs.request({ action: 'sendMessage', conversationId: id, content: '@c', clientMessageId: 'm-1', mentions: [c.id] }, isEvent('ack'));
    expect(ack.message.mentions).toEqual([c.id]);
    expect((await item(c, id)).mentioned).toBe(true);
    const [page] = [(await ctx.api.get(`/message/history/${id}`, c.token)).body.messages];
    expect(page.at(-1).mentions).toEqual([c.id]);
    await aWs.close();
  });

  it('mentionAll: owner and admins only (403 for members, 400 in a single conversation); marks everyone else', async () => {
    const [owner, admin, member, other, outsider] = await users(5);
    const id = await ctx.api.conversation(owner.token, admin.id, member.id, other.id);
    await ctx.api.post('/conversation/admins', { conversationId: id, userId: admin.id, admin: true }, owner.token);
    const byMember = await send(id, member, { mentionAll: true });
    expect([byMember.status, byMember.body.code]).toEqual([403, 'FORBIDDEN']);
    const byAdmin = await send(id, admin, { mentionAll: true });
    expect(byAdmin.status).toBe(201);
    expect(byAdmin.body.data.mention_all).toBe(true);
    for (const user of [owner, member, other]) expect((await item(user, id)).mentioned).toBe(true);
    expect((await item(admin, id)).mentioned).toBe(false);
    const memberWs = await WsClient.connect(ctx.stack.wsUrl, member.token);
    const read = routeHandled(ctx.stack, 'markRead');
    memberWs.send({ action: 'markRead', conversationId: id, messageId: byAdmin.body.data.id });
    await read;
    await memberWs.close();
    expect((await item(member, id)).mentioned).toBe(false);
    expect((await item(other, id)).mentioned).toBe(true);
    const single = await ctx.api.conversation(owner.token, member.id);
    expect((await send(single, owner, { mentionAll: true })).status).toBe(400);
    // Mentions must name members.
    const stranger = await send(id, owner, { mentions: [outsider.id] });
    expect([stranger.status, stranger.body.code, stranger.body.field]).toEqual([400, 'VALIDATION_FAILED', 'mentions']);
    expect((await send(id, owner, { mentions: ['x'] })).status).toBe(400);
    expect((await send(id, owner, { mentions: Array.from({ length: 51 }, (_, i) => i + 1) })).status).toBe(400);
    expect((await send(id, owner, { mentionAll: 'yes' })).status).toBe(400);
    // Nothing refused was stored: the history holds the system message and the admin's @all.
    expect((await ctx.api.get(`/message/history/${id}`, owner.token)).body.messages).toHaveLength(2);
  });
});
