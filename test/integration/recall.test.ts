import { afterEach, describe, expect, it } from 'vitest';
import { useStack } from '../support/context.ts';
import { WsClient, isEvent } from '../support/ws-client.ts';
import { makePng } from '../support/images.ts';
import type { TestUser } from '../support/client.ts';

/** The recall window is a setting: 2 s here, so "too late" takes a short wait instead of two minutes. */
const WINDOW_SECONDS = 2;
const ctx = useStack({ RECALL_WINDOW_SECONDS: String(WINDOW_SECONDS) });
const sockets: WsClient[] = [];
afterEach(async () => {
  await Promise.all(sockets.splice(0).map((s) => s.close()));
});

type Users = [TestUser, TestUser, TestUser, TestUser, ...TestUser[]];
const users = (n: number) => Promise.all(Array.from({ length: n }, (_, i) => ctx.api.newUser(`r${i}`))) as Promise<Users>;
const send = async (conversationId: number, user: TestUser, content = 'hello') => (await ctx.api.post('/message/send', { conversationId, content }, user.token)).body.data;
const recall = (conversationId: number, messageId: number, user: TestUser) => ctx.api.post('/message/recall', { conversationId, messageId }, user.token);
const history = async (conversationId: number, user: TestUser) => (await ctx.api.get(`/message/history/${conversationId}`, user.token)).body.messages;

describe('recall', () => {
  it('the sender within the window: content erased, tombstone in history, recalled pushed, last_message follows; twice is 200', async () => {
    const [alice, bob] = await users(2);
    const id = await ctx.api.conversation(alice.token, bob.id);
    const bobWs = await WsClient.connect(ctx.stack.wsUrl, bob.token);
    sockets.push(bobWs);
    const message = await send(id, alice, 'oops, wrong chat');
    const res = await recall(id, message.id, alice);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ success: true, messageId: message.id, recalled_by: alice.id });
    const [event] = await bobWs.waitFor(isEvent('recalled'));
    expect(event).toEqual({ event: 'recalled', conversationId: id, messageId: message.id, by: alice.id });
    const [slot] = await history(id, bob);
    expect(slot).toMatchObject({ id: message.id, seq: message.seq, sender_id: alice.id, type: 'text', recalled: true, recalled_by: alice.id, content: '' });
    expect(JSON.stringify(await history(id, alice))).not.toContain('wrong chat');
    const item = (await ctx.api.get('/conversation/getlist', bob.token)).body.conversations[0];
    expect(item.last_message).toMatchObject({ id: message.id, recalled: true, content: '' });
    expect(JSON.stringify(item)).not.toContain('wrong chat');
    expect((await recall(id, message.id, alice)).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(bobWs.received(isEvent('recalled'))).toHaveLength(1);
  });

  it('too late for the sender: 403 RECALL_WINDOW_PASSED; a group owner or admin may at any time, a member never for others', async () => {
    const [owner, admin, member, other] = await users(4);
    const id = await ctx.api.conversation(owner.token, admin.id, member.id, other.id);
    await ctx.api.post('/conversation/admins', { conversationId: id, userId: admin.id, admin: true }, owner.token);
    const [first, second, third] = [await send(id, member, 'one'), await send(id, member, 'two'), await send(id, owner, 'three')];
    expect((await recall(id, third.id, member)).body.code).toBe('FORBIDDEN');
    await new Promise((resolve) => setTimeout(resolve, WINDOW_SECONDS * 1000 + 300));
    const late = await recall(id, first.id, member);
    expect([late.status, late.body.code]).toEqual([403, 'RECALL_WINDOW_PASSED']);
    expect((await recall(id, first.id, admin)).body.recalled_by).toBe(admin.id);
    expect((await recall(id, second.id, owner)).status).toBe(200);
    expect((await recall(id, third.id, owner)).status).toBe(200); // the owner's own, past the window
    const slots = await history(id, other);
    expect(slots.filter((m: { type: string }) => m.type === 'text').map((m: { recalled?: boolean; recalled_by?: number }) => [m.recalled, m.recalled_by])).toEqual([[true, admin.id], [true, owner.id], [true, owner.id]]);
    // A system message cannot be recalled; unknown messages and non-members are refused.
    const system = slots.find((m: { type: string }) => m.type === 'system');
    expect((await recall(id, system.id, owner)).status).toBe(400);
    expect((await recall(id, 424242, owner)).status).toBe(404);
    const [outsider] = await users(1);
    expect((await recall(id, second.id, outsider)).status).toBe(403);
  });

  it('an image message: its object is deleted from the bucket, and history gives no link', async () => {
    const [alice, bob] = await users(2);
    const id = await ctx.api.conversation(alice.token, bob.id);
    const png = makePng(8, 8, 7);
    const asked = await ctx.api.post('/message/image', { contentType: 'image/png', size: png.length, conversationId: id }, alice.token);
    const form = new FormData();
    for (const [name, value] of Object.entries(asked.body.upload.fields as Record<string, string>)) form.append(name, value);
    form.append('file', new Blob([png], { type: 'image/png' }));
    expect((await fetch(asked.body.upload.url, { method: 'POST', body: form })).status).toBe(204);
    const sent = (await ctx.api.post('/message/send', { conversationId: id, content: asked.body.key, type: 'image' }, alice.token)).body.data;
    expect((await fetch(sent.url)).status).toBe(200);
    expect((await recall(id, sent.id, alice)).status).toBe(200);
    expect((await fetch(sent.url)).status).toBe(404);
    const [slot] = await history(id, bob);
    expect(slot).toMatchObject({ type: 'image', recalled: true, content: '' });
    expect(slot.url).toBeUndefined();
  });

  it('a recall racing a read: both succeed, the read marker moves and the message stays recalled', async () => {
    const [alice, bob] = await users(2);
    const id = await ctx.api.conversation(alice.token, bob.id);
    const bobWs = await WsClient.connect(ctx.stack.wsUrl, bob.token);
    sockets.push(bobWs);
    for (let round = 0; round < 5; round++) {
      const message = await send(id, alice, `race ${round}`);
      bobWs.send({ action: 'markRead', conversationId: id, messageId: message.id });
      const res = await recall(id, message.id, alice);
      expect(res.status).toBe(200);
    }
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(bobWs.received(isEvent('error'))).toEqual([]);
    const item = (await ctx.api.get('/conversation/getlist', bob.token)).body.conversations[0];
    expect(item).toMatchObject({ unread: 0, read_seq: 5, last_message: { seq: 5, recalled: true } });
    expect((await history(id, bob)).every((m: { recalled?: boolean; content: string }) => m.recalled && m.content === '')).toBe(true);
  });
});

describe('delete for me', () => {
  it('hides the message from the caller only; twice is 200; others keep it', async () => {
    const [alice, bob] = await users(2);
    const id = await ctx.api.conversation(alice.token, bob.id);
    const [keep, gone] = [await send(id, alice, 'keep'), await send(id, alice, 'gone')];
    const res = await ctx.api.post('/message/delete', { conversationId: id, messageId: gone.id }, bob.token);
    expect(res.status).toBe(200);
    expect((await ctx.api.post('/message/delete', { conversationId: id, messageId: gone.id }, bob.token)).status).toBe(200);
    expect((await history(id, bob)).map((m: { id: number }) => m.id)).toEqual([keep.id]);
    expect((await history(id, alice)).map((m: { id: number }) => m.id)).toEqual([keep.id, gone.id]);
    expect((await ctx.api.post('/message/delete', { conversationId: id, messageId: 424242 }, bob.token)).status).toBe(404);
    const [outsider] = await users(1);
    expect((await ctx.api.post('/message/delete', { conversationId: id, messageId: keep.id }, outsider.token)).status).toBe(403);
    expect((await ctx.api.post('/message/delete', { conversationId: id }, bob.token)).status).toBe(400);
  });
});
