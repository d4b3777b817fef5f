import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestStack } from '../support/stack.ts';
import { Api } from '../support/client.ts';
import { WsClient, isEvent, routeHandled } from '../support/ws-client.ts';
import { wsRoutes } from '../../shared/routes.ts';
import type { LocalStack } from '../../infra/local/stack.ts';

/**
 * Per-user WebSocket limits through the real local stack (issue 15: typing floods, markRead floods, one member
 * holding hundreds of sockets, and a limit on every other action). Small values so the tests reach them; long
 * windows so none resets mid-test.
 */
const LONG_WINDOW = String(1_000_000_000);
const TYPING_MAX = 5;
const MARK_READ_MAX = 5;
const PING_MAX = 5;
const UNKNOWN_FRAME_MAX = 5;
const MESSAGE_SEND_MAX = 10;
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
    LIMIT_PING_MAX: String(PING_MAX),
    LIMIT_PING_WINDOW_SECONDS: LONG_WINDOW,
    LIMIT_UNKNOWN_FRAME_MAX: String(UNKNOWN_FRAME_MAX),
    LIMIT_UNKNOWN_FRAME_WINDOW_SECONDS: LONG_WINDOW,
    LIMIT_MESSAGE_SEND_MAX: String(MESSAGE_SEND_MAX),
    LIMIT_MESSAGE_SEND_WINDOW_SECONDS: LONG_WINDOW,
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
  it(`300 typing frames: ${TYPING_MAX} served, each pushed to the other member; the rest are answered RATE_LIMITED with retryAfter`, async () => {
    const [flooder, member] = await Promise.all([api.newUser('flooder'), api.newUser('member')]);
    const conversationId = await api.conversation(flooder.token, member.id);
    const [flooderWs, memberWs] = await Promise.all([WsClient.connect(stack.wsUrl, flooder.token), WsClient.connect(stack.wsUrl, member.token)]);
    const handled = routeHandled(stack, 'typing', 300);
    for (let i = 0; i < 300; i++) flooderWs.send({ action: 'typing', conversationId });
    const statuses = await handled;
    expect(statuses.filter((status) => status === 200)).toHaveLength(TYPING_MAX);
    expect(statuses.filter((status) => status === 429)).toHaveLength(300 - TYPING_MAX);
    const refusals = await flooderWs.waitFor(isEvent('error'), { count: 300 - TYPING_MAX });
    refusals.forEach(expectRateLimitedFrame);
    await new Promise((resolve) => setTimeout(resolve, 200));
    figures.typingSent += 300;
    figures.typingFannedOut += memberWs.received(isEvent('typing')).length;
    // One push per served frame. A push attempt that times out on a loaded machine is retried and can arrive twice
    // (README, "Limits": push), so the member sees at most twice as many.
    expect(memberWs.received(isEvent('typing')).length).toBeGreaterThanOrEqual(TYPING_MAX);
    expect(memberWs.received(isEvent('typing')).length).toBeLessThanOrEqual(2 * TYPING_MAX);
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
    const statuses = await handled;
    figures.markReadSent += 100;
    figures.markReadServed += statuses.filter((status) => status === 200).length;
    expect(statuses.filter((status) => status === 200)).toHaveLength(MARK_READ_MAX);
    expect(statuses.filter((status) => status === 429)).toHaveLength(100 - MARK_READ_MAX);
    // The answers were pushed before the handlers returned; on a loaded machine they may still be on the wire.
    const refusals = await readerWs.waitFor(isEvent('error'), { count: 100 - MARK_READ_MAX });
    refusals.forEach(expectRateLimitedFrame);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(senderWs.received(isEvent('read')).length).toBeLessThanOrEqual(MARK_READ_MAX);
    await Promise.all([readerWs.close(), senderWs.close()]);
  });
});

type FloodContext = { conversationId: number; messageIds: number[] };
type Flood = { max: number; frame: (context: FloodContext, i: number) => object | string; served: (frame: any) => boolean };

/**
 * How one user floods each WebSocket row, and what a served frame answers. A row that is not here fails the test
 * below: every action needs a per-user limit. $connect has its own test (opening connections is limited); $disconnect
 * runs once per connection, so that limit bounds it too.
 */
const FLOODS: Record<string, Flood> = {
  sendMessage: { max: MESSAGE_SEND_MAX, frame: ({ conversationId }, i) => ({ action: 'sendMessage', conversationId, content: `flood ${i}`, type: 'text', clientMessageId: `flood-${i}` }), served: isEvent('ack') },
  markRead: { max: MARK_READ_MAX, frame: ({ conversationId, messageIds }, i) => ({ action: 'markRead', conversationId, messageId: messageIds[i % messageIds.length] }), served: () => false },
  typing: { max: TYPING_MAX, frame: ({ conversationId }) => ({ action: 'typing', conversationId }), served: () => false },
  ping: { max: PING_MAX, frame: () => ({ action: 'ping' }), served: isEvent('pong') },
  // Junk of every kind counts against one limit: unknown actions, no action, not JSON at all.
  $default: { max: UNKNOWN_FRAME_MAX, frame: (_, i) => [JSON.stringify({ action: 'nope' }), 'not json', '{}', JSON.stringify({ action: 'SENDMESSAGE' })][i % 4]!, served: (frame) => frame.event === 'error' && frame.code === 'VALIDATION_FAILED' },
};

describe('every WebSocket action has a per-user limit', () => {
  const flooded = wsRoutes.filter((row) => row.routeKey !== '$connect' && row.routeKey !== '$disconnect').map((row) => row.routeKey);
  it.each(flooded)('%s: a flood of 3 × the limit is served up to the limit, the rest answered RATE_LIMITED with retryAfter', async (routeKey) => {
    const flood = FLOODS[routeKey];
    expect(flood, `no flood for the WebSocket row ${routeKey}: give it a per-user limit and add it here`).toBeDefined();
    const [flooder, peer] = await Promise.all([api.newUser('flooder'), api.newUser('peer')]);
    const conversationId = await api.conversation(flooder.token, peer.id);
    const messageIds = [(await api.post('/message/send', { conversationId, content: 'to be read' }, peer.token)).body.data.id];
    const flooderWs = await WsClient.connect(stack.wsUrl, flooder.token);
    const sent = 3 * flood!.max;
    const handled = routeHandled(stack, routeKey, sent);
    for (let i = 0; i < sent; i++) flooderWs.send(flood!.frame({ conversationId, messageIds }, i));
    const statuses = await handled;
    // The handler refused exactly what went over the limit (the $default row answers 400 to what it serves).
    expect(statuses.filter((status) => status === 429)).toHaveLength(sent - flood!.max);
    expect(statuses.filter((status) => status !== 429)).toEqual(Array(flood!.max).fill(routeKey === '$default' ? 400 : 200));
    const refused = await flooderWs.waitFor((frame) => frame.event === 'error' && frame.code === 'RATE_LIMITED', { count: sent - flood!.max });
    refused.forEach(expectRateLimitedFrame);
    // What was not refused was answered as usual (pongs, acks, validation errors), and nothing else came back.
    if (routeKey !== 'markRead' && routeKey !== 'typing') await flooderWs.waitFor(flood!.served, { count: flood!.max });
    expect(flooderWs.received((frame) => frame.event === 'error' && frame.code !== 'RATE_LIMITED' && !flood!.served(frame))).toEqual([]);
    expect(flooderWs.socket.readyState).toBe(flooderWs.socket.OPEN);
    await flooderWs.close();
  });

  it('limits are per action: a user who used up ping and $default still gets typing through', async () => {
    const [flooder, peer] = await Promise.all([api.newUser('flooder'), api.newUser('peer')]);
    const conversationId = await api.conversation(flooder.token, peer.id);
    const [flooderWs, peerWs] = await Promise.all([WsClient.connect(stack.wsUrl, flooder.token), WsClient.connect(stack.wsUrl, peer.token)]);
    const handled = Promise.all([routeHandled(stack, 'ping', PING_MAX + 1), routeHandled(stack, '$default', UNKNOWN_FRAME_MAX + 1)]);
    for (let i = 0; i <= PING_MAX; i++) flooderWs.send({ action: 'ping' });
    for (let i = 0; i <= UNKNOWN_FRAME_MAX; i++) flooderWs.send('junk');
    const [pings, junk] = await handled;
    expect([pings.filter((status) => status === 429), junk.filter((status) => status === 429)]).toEqual([[429], [429]]);
    flooderWs.send({ action: 'typing', conversationId });
    expect(await peerWs.waitFor(isEvent('typing'))).toHaveLength(1);
    await Promise.all([flooderWs.close(), peerWs.close()]);
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
