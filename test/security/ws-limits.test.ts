import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestStack } from '../support/stack.ts';
import { Api } from '../support/client.ts';
import { WsClient, isEvent, routeHandled } from '../support/ws-client.ts';
import type { LocalStack } from '../../infra/local/stack.ts';

/**
 * Per-user WebSocket limits through the real local stack (issue 15: typing floods, markRead floods, one member
 * holding hundreds of sockets). Small values so the tests reach them; long windows so none resets mid-test.
 */
const LONG_WINDOW = String(1_000_000_000);
const TYPING_MAX = 5;
const MARK_READ_MAX = 5;
const CONNECTIONS_MAX = 3;
const CONNECTS_MAX = 12;

let stack: LocalStack;
let api: Api;
beforeAll(async () => {
  stack = await startTestStack({
    LIMIT_TYPING_MAX: String(TYPING_MAX),
    LIMIT_TYPING_WINDOW_SECONDS: LONG_WINDOW,
    LIMIT_MARK_READ_MAX: String(MARK_READ_MAX),
    LIMIT_MARK_READ_WINDOW_SECONDS: LONG_WINDOW,
    LIMIT_CONNECTIONS_PER_USER: String(CONNECTIONS_MAX),
    LIMIT_WS_CONNECT_MAX: String(CONNECTS_MAX),
    LIMIT_WS_CONNECT_WINDOW_SECONDS: LONG_WINDOW,
  });
  api = new Api(stack.httpUrl);
});

const figures = { typingSent: 0, typingFannedOut: 0, markReadSent: 0, markReadServed: 0 };
afterAll(async () => {
  console.log(`[ws-limits] (test values) typing: ${figures.typingSent} frames sent -> ${figures.typingFannedOut} reached the other member; markRead: ${figures.markReadSent} sent -> ${figures.markReadServed} served`);
  await stack?.stop();
});

const expectRateLimitedFrame = (frame: any) => {
  expect(frame).toMatchObject({ event: 'error', code: 'RATE_LIMITED' });
  expect(Number.isInteger(frame.retryAfter) && frame.retryAfter > 0).toBe(true);
};

describe('typing and markRead floods', () => {
  it(`300 typing frames reach the other member ${TYPING_MAX} times; the rest are answered RATE_LIMITED with retryAfter`, async () => {
    const [flooder, member] = await Promise.all([api.newUser('flooder'), api.newUser('member')]);
    const conversationId = await api.conversation(flooder.token, member.id);
    const [flooderWs, memberWs] = await Promise.all([WsClient.connect(stack.wsUrl, flooder.token), WsClient.connect(stack.wsUrl, member.token)]);
    const handled = routeHandled(stack, 'typing', 300);
    for (let i = 0; i < 300; i++) flooderWs.send({ action: 'typing', conversationId });
    await handled;
    const refusals = await flooderWs.waitFor(isEvent('error'), { count: 300 - TYPING_MAX });
    refusals.forEach(expectRateLimitedFrame);
    await new Promise((resolve) => setTimeout(resolve, 200));
    figures.typingSent += 300;
    figures.typingFannedOut += memberWs.received(isEvent('typing')).length;
    expect(memberWs.received(isEvent('typing'))).toHaveLength(TYPING_MAX);
    // The member's own actions are not refused because of someone else's flood.
    memberWs.send({ action: 'typing', conversationId });
    expect((await flooderWs.waitFor((frame) => frame.event === 'typing' && frame.userId === member.id))).toHaveLength(1);
    await Promise.all([flooderWs.close(), memberWs.close()]);
  });

  it(`markRead frames are limited to ${MARK_READ_MAX} per user`, async () => {
    const [reader, sender] = await Promise.all([api.newUser('reader'), api.newUser('sender')]);
    const conversationId = await api.conversation(sender.token, reader.id);
    const messageIds: number[] = [];
    for (let i = 0; i < 8; i++) messageIds.push((await api.post('/message/send', { conversationId, content: `m${i}` }, sender.token)).body.data.id);
    const [readerWs, senderWs] = await Promise.all([WsClient.connect(stack.wsUrl, reader.token), WsClient.connect(stack.wsUrl, sender.token)]);
    const handled = routeHandled(stack, 'markRead', 100);
    for (let i = 0; i < 100; i++) readerWs.send({ action: 'markRead', conversationId, messageId: messageIds[i % messageIds.length] });
    await handled;
    const refusals = readerWs.received(isEvent('error'));
    refusals.forEach(expectRateLimitedFrame);
    figures.markReadSent += 100;
    figures.markReadServed += 100 - refusals.length;
    expect(refusals).toHaveLength(100 - MARK_READ_MAX);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(senderWs.received(isEvent('read')).length).toBeLessThanOrEqual(MARK_READ_MAX);
    await Promise.all([readerWs.close(), senderWs.close()]);
  });
});

describe('live connections per user', () => {
  it(`a user holds at most ${CONNECTIONS_MAX}: a new connection over the cap closes the oldest, which is told RATE_LIMITED`, async () => {
    const [hoarder, peer] = await Promise.all([api.newUser('hoarder'), api.newUser('peer')]);
    const conversationId = await api.conversation(peer.token, hoarder.id);
    const sockets: WsClient[] = [];
    for (let i = 0; i < CONNECTIONS_MAX + 2; i++) sockets.push(await WsClient.connect(stack.wsUrl, hoarder.token));
    const [oldest, second, ...kept] = sockets;
    for (const evicted of [oldest!, second!]) {
      expect((await evicted.closed).code).toBe(1000);
      expectRateLimitedFrame(evicted.received(isEvent('error'))[0]);
    }
    // The gateway forgets a closed socket when its side of the close completes, a moment after the client's.
    for (let waited = 0; stack.ws.connectionIds(hoarder.id).length > CONNECTIONS_MAX && waited < 2000; waited += 20) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(stack.ws.connectionIds(hoarder.id)).toHaveLength(CONNECTIONS_MAX);
    expect(kept.every((socket) => socket.socket.readyState === socket.socket.OPEN)).toBe(true);
    // Every message to the hoarder is pushed to at most the cap's worth of sockets.
    let pushes = 0;
    const count = () => pushes++;
    stack.ws.on('push', count);
    expect((await api.post('/message/send', { conversationId, content: 'hello' }, peer.token)).status).toBe(201);
    await Promise.all(kept.map((socket) => socket.waitFor(isEvent('message'))));
    stack.ws.off('push', count);
    expect(pushes).toBe(CONNECTIONS_MAX);
    await Promise.all(kept.map((socket) => socket.close()));
  });

  it(`opening connections is limited too (${CONNECTS_MAX} per window), so eviction cannot be churned`, async () => {
    const churner = await api.newUser('churner');
    for (let i = 0; i < CONNECTS_MAX; i++) await (await WsClient.connect(stack.wsUrl, churner.token)).close();
    await expect(WsClient.connect(stack.wsUrl, churner.token)).rejects.toMatchObject({ status: 429 });
  });
});
