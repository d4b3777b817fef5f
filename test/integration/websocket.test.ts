import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SignJWT } from 'jose';
import { startTestStack, TEST_JWT_SECRET } from '../support/stack.ts';
import { Api, type TestUser } from '../support/client.ts';
import { WsClient, isEvent, refusedStatus, routeHandled, type Frame } from '../support/ws-client.ts';
import type { LocalStack } from '../../infra/local/stack.ts';

let stack: LocalStack;
let api: Api;
const open: WsClient[] = [];

beforeAll(async () => {
  stack = await startTestStack({ BCRYPT_COST: '4', PUSH_TIMEOUT_MS: '2000' });
  api = new Api(stack.httpUrl);
});
afterAll(async () => {
  await Promise.all(open.map((client) => client.close()));
  await stack?.stop();
});

async function connect(user: TestUser): Promise<WsClient> {
  const client = await WsClient.connect(stack.wsUrl, user.token);
  open.push(client);
  return client;
}

const messageFrames = (client: WsClient) => client.received(isEvent('message'));
const history = async (user: TestUser, conversationId: number, query = '') => (await api.get(`/message/history/${conversationId}${query}`, user.token)).body.messages as Frame[];

/** Sends over WebSocket and waits until the gateway's invocation (with every push) is over. */
async function sendAndSettle(client: WsClient, frame: Record<string, unknown>): Promise<void> {
  const done = routeHandled(stack, (frame.action as string) ?? '$default');
  client.send(frame);
  await done;
}

describe('live delivery between two users on several devices', () => {
  it('pushes to both of Alice’s connections, acks Bob, and stores the message once with received_at', async () => {
    const [alice, bob] = await Promise.all([api.newUser('alice'), api.newUser('bob')]);
    const conversationId = await api.conversation(bob.token, alice.id);
    const [alicePhone, aliceLaptop, bobPhone] = await Promise.all([connect(alice), connect(alice), connect(bob)]);

    const ack = await bobPhone.request({ action: 'sendMessage', conversationId, content: 'hello alice', type: 'text', clientMessageId: 'b-1' }, isEvent('ack'));
    expect(ack).toMatchObject({ event: 'ack', clientMessageId: 'b-1', message: { conversation_id: conversationId, sender_id: bob.id, content: 'hello alice' } });
    const [[onPhone], [onLaptop]] = await Promise.all([alicePhone.waitFor(isEvent('message')), aliceLaptop.waitFor(isEvent('message'))]);
    expect(onPhone!.message).toMatchObject({ id: ack.message.id, content: 'hello alice', sender_id: bob.id });
    expect(onLaptop!.message.id).toBe(ack.message.id);
    expect(messageFrames(bobPhone)).toEqual([]); // the sender's own connection gets the ack, not a copy

    await expect.poll(async () => (await history(alice, conversationId)).map((m) => [m.id, m.received_at !== null]), { timeout: 10_000 }).toEqual([[ack.message.id, true]]);
  });

  it('delivers POST /message/send live too, to every connection of both users', async () => {
    const [alice, bob] = await Promise.all([api.newUser('alice'), api.newUser('bob')]);
    const conversationId = await api.conversation(alice.token, bob.id);
    const [aliceLaptop, bobPhone] = await Promise.all([connect(alice), connect(bob)]);
    const sent = await api.post('/message/send', { conversationId, content: 'over http', type: 'text' }, alice.token);
    expect(sent.status).toBe(201);
    const [[toBob], [toAliceLaptop]] = await Promise.all([bobPhone.waitFor(isEvent('message')), aliceLaptop.waitFor(isEvent('message'))]);
    expect(toBob!.message.id).toBe(sent.body.data.id);
    expect(toAliceLaptop!.message.id).toBe(sent.body.data.id);
  });

  it('a read marker leaves the reader\'s own messages and those hidden from them out of unread', async () => {
    const [alice, mallory] = await Promise.all([api.newUser('alice'), api.newUser('mallory')]);
    const conversationId = await api.conversation(alice.token, mallory.id);
    const aliceWs = await connect(alice);
    const first = (await api.post('/message/send', { conversationId, content: 'one' }, mallory.token)).body.data.id as number;
    await api.post('/message/send', { conversationId, content: 'two' }, mallory.token);
    await api.post(`/user/ban/${mallory.id}`, undefined, alice.token);
    await api.post('/message/send', { conversationId, content: 'hidden from alice' }, mallory.token);
    await api.post('/message/send', { conversationId, content: 'mine' }, alice.token);
    const unread = async () => (await api.get('/conversation/getlist', alice.token)).body.conversations.find((c: { id: number }) => c.id === conversationId).unread;
    expect(await unread()).toBe(2);
    await sendAndSettle(aliceWs, { action: 'markRead', conversationId, messageId: first });
    expect(await unread()).toBe(1); // 'two' only
  });

  it('sends read markers to the other member and drives unread in getlist; typing is pushed, never stored', async () => {
    const [alice, bob] = await Promise.all([api.newUser('alice'), api.newUser('bob')]);
    const conversationId = await api.conversation(alice.token, bob.id);
    const [aliceWs, bobWs] = await Promise.all([connect(alice), connect(bob)]);
    const ids: number[] = [];
    for (const content of ['one', 'two', 'three']) {
      ids.push((await aliceWs.request({ action: 'sendMessage', conversationId, content }, isEvent('ack'))).message.id);
    }
    const unread = async () => (await api.get('/conversation/getlist', bob.token)).body.conversations.find((c: { id: number }) => c.id === conversationId).unread;
    expect(await unread()).toBe(3);

    await sendAndSettle(bobWs, { action: 'markRead', conversationId, messageId: ids[1] });
    const [read] = await aliceWs.waitFor(isEvent('read'));
    expect(read).toEqual({ event: 'read', conversationId, userId: bob.id, messageId: ids[1], seq: 2 });
    expect(await unread()).toBe(1);
    expect(bobWs.received(isEvent('read'))).toEqual([]);

    // An older marker never moves it back, and tells nobody.
    await sendAndSettle(bobWs, { action: 'markRead', conversationId, messageId: ids[0] });
    expect(await unread()).toBe(1);
    expect(aliceWs.received(isEvent('read'))).toHaveLength(1);

    await sendAndSettle(bobWs, { action: 'typing', conversationId });
    const [typing] = await aliceWs.waitFor(isEvent('typing'));
    expect(typing).toEqual({ event: 'typing', conversationId, userId: bob.id });
    expect(bobWs.received(isEvent('typing'))).toEqual([]);
    expect((await history(alice, conversationId)).map((m) => m.id)).toEqual(ids);

    expect(await aliceWs.request({ action: 'ping' }, isEvent('pong'))).toEqual({ event: 'pong' });
  });
});

describe('groups', () => {
  it('20 members, 10 online: each online member gets each message exactly once; the offline ones catch up from history', async () => {
    const members = await Promise.all(Array.from({ length: 20 }, (_, i) => api.newUser(`m${i}`)));
    const [sender, ...rest] = members;
    const conversationId = await api.conversation(sender!.token, ...rest.map((m) => m.id));
    const online = await Promise.all(members.slice(0, 10).map(connect));
    const offline = members.slice(10);
    const before = (await api.post('/message/send', { conversationId, content: 'before', type: 'text' }, sender!.token)).body.data.id as number;
    await expect.poll(() => online[1]!.received(isEvent('message')).length).toBe(1);

    const sentIds: number[] = [];
    for (let i = 0; i < 3; i++) {
      const done = routeHandled(stack, 'sendMessage');
      const ack = await online[0]!.request({ action: 'sendMessage', conversationId, content: `group ${i}`, clientMessageId: `g-${i}` }, isEvent('ack'));
      await done;
      sentIds.push(ack.message.id);
    }
    for (const client of online.slice(1)) {
      expect(client.received(isEvent('message')).map((f) => f.message.id)).toEqual([before, ...sentIds]);
    }
    expect(online[0]!.received(isEvent('ack')).map((f) => f.message.id)).toEqual(sentIds);
    for (const member of offline) {
      expect((await history(member, conversationId, `?after=${before}`)).map((m) => m.id)).toEqual(sentIds);
    }
  });
});

describe('stale connections', () => {
  it('a connection whose $disconnect never came gets 410: its record is deleted, everyone else still gets the message', async () => {
    const [alice, bob] = await Promise.all([api.newUser('alice'), api.newUser('bob')]);
    const conversationId = await api.conversation(alice.token, bob.id);
    const aliceWs = await connect(alice);
    const bobLive = await connect(bob);
    const staleBefore = stack.ws.connectionIds(bob.id);
    await connect(bob);
    const [staleId] = stack.ws.connectionIds(bob.id).filter((id) => !staleBefore.includes(id));
    stack.ws.dropWithoutDisconnect(staleId!);

    const { listConnections } = await import('../../shared/data/connections.ts');
    expect((await listConnections([bob.id])).map((c) => c.connectionId)).toContain(staleId);

    const done = routeHandled(stack, 'sendMessage');
    const ack = await aliceWs.request({ action: 'sendMessage', conversationId, content: 'anyone there?' }, isEvent('ack'));
    await done;
    const [toBob] = await bobLive.waitFor(isEvent('message'));
    expect(toBob!.message.id).toBe(ack.message.id);
    expect((await listConnections([bob.id])).map((c) => c.connectionId)).toEqual(stack.ws.connectionIds(bob.id));
    const { db, TABLE } = await import('../../shared/data/client.ts');
    const { GetCommand } = await import('@aws-sdk/lib-dynamodb');
    const { connectionKey } = await import('../../shared/data/connections.ts');
    expect((await db.send(new GetCommand({ TableName: TABLE, Key: connectionKey(staleId!) }))).Item).toBeUndefined();
    expect((await history(bob, conversationId)).map((m) => m.id)).toEqual([ack.message.id]);
  });

  it('a push that hangs times out without holding up the others; the message is stored and the connection kept', async () => {
    const [alice, bob] = await Promise.all([api.newUser('alice'), api.newUser('bob')]);
    const conversationId = await api.conversation(alice.token, bob.id);
    const aliceWs = await connect(alice);
    const bobLive = await connect(bob);
    const [liveId] = stack.ws.connectionIds(bob.id);
    await connect(bob);
    const [stuckId] = stack.ws.connectionIds(bob.id).filter((id) => id !== liveId);
    stack.ws.stallPushes(stuckId!);

    const started = Date.now();
    const done = routeHandled(stack, 'sendMessage');
    aliceWs.send({ action: 'sendMessage', conversationId, content: 'through' });
    const [toBob] = await bobLive.waitFor(isEvent('message'));
    await done;
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(2000 - 100); // PUSH_TIMEOUT_MS of this stack
    expect(elapsed).toBeLessThan(15_000);
    expect((await history(bob, conversationId)).map((m) => m.id)).toEqual([toBob!.message.id]);
    const { listConnections } = await import('../../shared/data/connections.ts');
    expect((await listConnections([bob.id])).map((c) => c.connectionId).sort()).toEqual([liveId, stuckId].sort());
  });

  it('ignores expired map entries on read and prunes them at the next connect', async () => {
    const bob = await api.newUser('bob');
    await connect(bob);
    const { db, TABLE } = await import('../../shared/data/client.ts');
    const { GetCommand, UpdateCommand } = await import('@aws-sdk/lib-dynamodb');
    const { listConnections, userConnectionsKey } = await import('../../shared/data/connections.ts');
    const expiredId = 'EXP+ired/conn=';
    await db.send(new UpdateCommand({
      TableName: TABLE,
      Key: userConnectionsKey(bob.id),
      UpdateExpression: 'SET #conns.#id = :past',
      ExpressionAttributeNames: { '#conns': 'connections', '#id': expiredId },
      ExpressionAttributeValues: { ':past': Math.floor(Date.now() / 1000) - 60 },
    }));
    expect((await listConnections([bob.id])).map((c) => c.connectionId)).toEqual(stack.ws.connectionIds(bob.id));

    await connect(bob);
    const { Item } = await db.send(new GetCommand({ TableName: TABLE, Key: userConnectionsKey(bob.id), ConsistentRead: true }));
    expect(Object.keys(Item!.connections).sort()).toEqual(stack.ws.connectionIds(bob.id).sort());
  });

  it('$disconnect removes the connection record', async () => {
    const bob = await api.newUser('bob');
    const client = await connect(bob);
    const { listConnections } = await import('../../shared/data/connections.ts');
    expect(await listConnections([bob.id])).toHaveLength(1);
    const done = routeHandled(stack, '$disconnect');
    await client.close();
    await done;
    expect(await listConnections([bob.id])).toEqual([]);
  });
});

describe('refusals and error frames', () => {
  it('refuses connections without a token, with a forged one, or with an expired one', async () => {
    const alice = await api.newUser('alice');
    const sign = (secret: string, expiresAt: number) =>
      new SignJWT({ uid: alice.id }).setProtectedHeader({ alg: 'HS256' }).setSubject(String(alice.id)).setIssuer('chat-backend').setIssuedAt(expiresAt - 3600).setExpirationTime(expiresAt).sign(new TextEncoder().encode(secret));
    const now = Math.floor(Date.now() / 1000);
    expect(await refusedStatus(stack.wsUrl)).toBe(401);
    expect(await refusedStatus(stack.wsUrl, 'not-a-jwt')).toBe(401);
    expect(await refusedStatus(stack.wsUrl, await sign('some-other-secret', now + 3600))).toBe(401);
    expect(await refusedStatus(stack.wsUrl, await sign(TEST_JWT_SECRET, now - 60))).toBe(401);
    expect(await refusedStatus(stack.wsUrl, alice.token)).toBe(101);
  });

  it('answers a non-member with an error frame and stores nothing', async () => {
    const [alice, bob, mallory] = await Promise.all([api.newUser('alice'), api.newUser('bob'), api.newUser('mallory')]);
    const conversationId = await api.conversation(alice.token, bob.id);
    const [malloryWs, bobWs] = await Promise.all([connect(mallory), connect(bob)]);
    const error = await malloryWs.request({ action: 'sendMessage', conversationId, content: 'let me in', clientMessageId: 'm-1' }, isEvent('error'));
    expect(error).toMatchObject({ event: 'error', code: 'FORBIDDEN', action: 'sendMessage', clientMessageId: 'm-1' });
    expect(await history(alice, conversationId)).toEqual([]);
    expect(messageFrames(bobWs)).toEqual([]);
  });

  it('answers malformed frames, unknown actions, invalid fields and oversize frames with error frames and keeps the connection', async () => {
    const alice = await api.newUser('alice');
    const client = await connect(alice);
    const errorAfter = (frame: object | string) => client.request(frame, isEvent('error'));
    expect(await errorAfter('this is not json')).toMatchObject({ code: 'VALIDATION_FAILED' });
    expect(await errorAfter('[1,2,3]')).toMatchObject({ code: 'VALIDATION_FAILED' });
    expect(await errorAfter({ action: 'fly' })).toMatchObject({ code: 'VALIDATION_FAILED', action: 'fly' });
    expect(await errorAfter({ nothing: true })).toMatchObject({ code: 'VALIDATION_FAILED' });
    expect(await errorAfter({ action: 'sendMessage', content: 'no conversation' })).toMatchObject({ code: 'VALIDATION_FAILED', message: expect.stringContaining('conversationId') });
    expect(await errorAfter({ action: 'sendMessage', conversationId: 1, content: 'x'.repeat(4001) })).toMatchObject({ code: 'VALIDATION_FAILED', message: expect.stringContaining('content') });
    expect(await errorAfter({ action: 'markRead', conversationId: 'abc', messageId: 1 })).toMatchObject({ code: 'VALIDATION_FAILED' });
    expect(await errorAfter({ action: 'sendMessage', conversationId: 1, content: 'y'.repeat(200 * 1024) })).toMatchObject({ code: 'PAYLOAD_TOO_LARGE' });
    expect(await client.request({ action: 'ping' }, isEvent('pong'))).toEqual({ event: 'pong' });
    expect(client.socket.readyState).toBe(client.socket.OPEN);
  });
});

describe('blocking and retries', () => {
  it('a blocked user’s messages reach neither the blocker’s sockets nor their history; unblocking restores delivery', async () => {
    const [alice, bob] = await Promise.all([api.newUser('alice'), api.newUser('bob')]);
    const conversationId = await api.conversation(alice.token, bob.id);
    const [aliceWs, bobWs] = await Promise.all([connect(alice), connect(bob)]);
    expect((await api.post(`/user/ban/${alice.id}`, undefined, bob.token)).status).toBeLessThan(300);

    const done = routeHandled(stack, 'sendMessage');
    const hidden = await aliceWs.request({ action: 'sendMessage', conversationId, content: 'can you hear me?' }, isEvent('ack'));
    await done;
    await sendAndSettle(aliceWs, { action: 'typing', conversationId });
    expect(bobWs.frames).toEqual([]);
    expect(await history(bob, conversationId)).toEqual([]);
    expect((await history(alice, conversationId)).map((m) => m.id)).toEqual([hidden.message.id]);

    expect((await api.delete(`/user/unban/${alice.id}`, bob.token)).status).toBe(200);
    const visible = await aliceWs.request({ action: 'sendMessage', conversationId, content: 'now?' }, isEvent('ack'));
    const [toBob] = await bobWs.waitFor(isEvent('message'));
    expect(toBob!.message.id).toBe(visible.message.id);
    expect((await history(bob, conversationId)).map((m) => m.id)).toEqual([visible.message.id]);
  });

  it('the same clientMessageId sent three times is stored once and pushed once per device', async () => {
    const [alice, bob] = await Promise.all([api.newUser('alice'), api.newUser('bob')]);
    const conversationId = await api.conversation(alice.token, bob.id);
    const [aliceWs, bobPhone, bobLaptop] = await Promise.all([connect(alice), connect(bob), connect(bob)]);
    const frame = { action: 'sendMessage', conversationId, content: 'only once', clientMessageId: 'retry-1' };
    const done = routeHandled(stack, 'sendMessage', 3);
    for (let i = 0; i < 3; i++) aliceWs.send(frame);
    await done;
    const acks = aliceWs.received(isEvent('ack'));
    expect(acks).toHaveLength(3);
    expect(new Set(acks.map((a) => a.message.id)).size).toBe(1);
    expect(messageFrames(bobPhone)).toHaveLength(1);
    expect(messageFrames(bobLaptop)).toHaveLength(1);
    expect((await history(bob, conversationId)).map((m) => m.id)).toEqual([acks[0]!.message.id]);
  });
});
