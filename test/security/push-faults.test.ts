import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestStack } from '../support/stack.ts';
import { Api, type TestUser } from '../support/client.ts';
import { WsClient, isEvent, routeHandled } from '../support/ws-client.ts';
import { SLOW_PUSH_MS, startPushProxy, type PushFault } from '../support/push-proxy.ts';
import { LOCAL_STAGE } from '../../infra/local/ws-gateway.ts';
import type { LocalStack } from '../../infra/local/stack.ts';

/**
 * PostToConnection failures (429, 500, 410, never answering), injected by a proxy in front of the local gateway's
 * @connections endpoint. Expected: the sender is acked and the send finishes within the push budget, the message
 * is in history exactly once, a 410 removes the connection record (and is never retried) and the other failures
 * keep it; a push that fails once with 429 or 500 and then passes reaches the recipient through push()'s retry; a
 * push that never answers is not retried (it may have reached the client), and the recipient fills the gap from
 * history by seq; an ack slower than a fan-out push's whole budget still reaches its sender, once.
 */
const PUSH_TIMEOUT_MS = 1000;

let stack: LocalStack;
let api: Api;
let proxy: Awaited<ReturnType<typeof startPushProxy>>;
let alice: TestUser;
let bob: TestUser;
let conversationId: number;

beforeAll(async () => {
  proxy = await startPushProxy();
  stack = await startTestStack({ WS_CALLBACK_URL: proxy.url(LOCAL_STAGE), PUSH_TIMEOUT_MS: String(PUSH_TIMEOUT_MS) });
  proxy.target(stack.wsUrl.replace(/^ws:/, 'http:'));
  api = new Api(stack.httpUrl);
  [alice, bob] = (await Promise.all([api.newUser('alice'), api.newUser('bob')])) as [TestUser, TestUser];
  conversationId = await api.conversation(alice.token, bob.id);
});
afterAll(async () => {
  await stack?.stop();
  await proxy?.close();
});

describe('PostToConnection failures', () => {
  it.each([429, 500, 410, 'hang'] as PushFault[])('a push to the recipient failing with %s never blocks or loses the send', async (fault) => {
    const { listConnections } = await import('../../shared/data/connections.ts');
    const [sender, recipient] = await Promise.all([WsClient.connect(stack.wsUrl, alice.token), WsClient.connect(stack.wsUrl, bob.token)]);
    const [recipientConnection] = (await listConnections([bob.id])).map((c) => c.connectionId);
    expect(recipientConnection).toBeDefined();
    proxy.set((connectionId) => (connectionId === recipientConnection ? fault : undefined));
    const clientMessageId = `push-fault-${fault}`;
    const started = Date.now();
    const handled = routeHandled(stack, 'sendMessage');
    sender.send({ action: 'sendMessage', conversationId, content: `despite ${fault}`, clientMessageId });
    const [ack] = await sender.waitFor((f) => f.event === 'ack' && f.clientMessageId === clientMessageId);
    await handled;
    const elapsed = Date.now() - started;
    proxy.clear();
    console.log(`[push-faults] recipient push ${fault}: sender acked and send finished in ${elapsed} ms (push timeout ${PUSH_TIMEOUT_MS} ms); injected=${JSON.stringify(proxy.injected)}`);
    expect(elapsed).toBeLessThan(PUSH_TIMEOUT_MS * 3 + 2000);
    expect(recipient.received(isEvent('message'))).toHaveLength(0);
    const history = await api.get(`/message/history/${conversationId}?limit=100`, bob.token);
    expect(history.body.messages.filter((m: { id: number }) => m.id === ack!.message.id)).toHaveLength(1);
    const stillListed = (await listConnections([bob.id])).some((c) => c.connectionId === recipientConnection);
    expect(stillListed).toBe(fault !== 410); // gone: the stale record is deleted; other failures keep a live connection
    // A 410 is final, and a hung attempt may have been delivered; 429 and 500 were tried again within the budget.
    if (fault === 410 || fault === 'hang') expect(proxy.posts.get(recipientConnection!)).toBe(1);
    else expect(proxy.posts.get(recipientConnection!)).toBeGreaterThan(1);
    proxy.posts.clear();
    await Promise.all([sender.close(), recipient.close()]);
  });

  it.each([429, 500] as PushFault[])('a push failing once with %s is retried and reaches the recipient', async (fault) => {
    const { listConnections } = await import('../../shared/data/connections.ts');
    const [sender, recipient] = await Promise.all([WsClient.connect(stack.wsUrl, alice.token), WsClient.connect(stack.wsUrl, bob.token)]);
    const [recipientConnection] = (await listConnections([bob.id])).map((c) => c.connectionId);
    const failed = new Set<string>();
    proxy.set((connectionId) => (connectionId === recipientConnection && !failed.has(connectionId) ? (failed.add(connectionId), fault) : undefined));
    const content = `retried after ${fault}`;
    sender.send({ action: 'sendMessage', conversationId, content, clientMessageId: `push-retry-${fault}` });
    const [pushed] = await recipient.waitFor((f) => f.event === 'message' && f.message.content === content, { timeoutMs: PUSH_TIMEOUT_MS * 3 });
    proxy.clear();
    expect(proxy.posts.get(recipientConnection!)).toBe(2);
    expect(recipient.received((f) => f.event === 'message' && f.message.id === pushed!.message.id)).toHaveLength(1); // the failed attempt never reached the gateway
    proxy.posts.clear();
    await Promise.all([sender.close(), recipient.close()]);
  });

  it(`an ack that takes ${SLOW_PUSH_MS} ms (twice a fan-out push's budget) still reaches the sender, once`, async () => {
    const { listConnections } = await import('../../shared/data/connections.ts');
    const [sender, recipient] = await Promise.all([WsClient.connect(stack.wsUrl, alice.token), WsClient.connect(stack.wsUrl, bob.token)]);
    const [senderConnection] = (await listConnections([alice.id])).map((c) => c.connectionId);
    proxy.set((connectionId) => (connectionId === senderConnection ? 'slow' : undefined));
    sender.send({ action: 'sendMessage', conversationId, content: 'a slow answer', clientMessageId: 'slow-ack' });
    const isAck = (f: { event?: string; clientMessageId?: string }) => f.event === 'ack' && f.clientMessageId === 'slow-ack';
    await sender.waitFor(isAck, { timeoutMs: 10_000 });
    await recipient.waitFor((f) => f.event === 'message' && f.message.content === 'a slow answer');
    proxy.clear();
    expect(proxy.posts.get(senderConnection!)).toBe(1);
    expect(sender.received(isAck)).toHaveLength(1);
    proxy.posts.clear();
    await Promise.all([sender.close(), recipient.close()]);
  });

  it('a push that never answers is not sent twice: the next push shows the seq gap, and history by seq fills it', async () => {
    const { listConnections } = await import('../../shared/data/connections.ts');
    const [sender, recipient] = await Promise.all([WsClient.connect(stack.wsUrl, alice.token), WsClient.connect(stack.wsUrl, bob.token)]);
    const [recipientConnection] = (await listConnections([bob.id])).map((c) => c.connectionId);
    let hung = false;
    proxy.set((connectionId) => (connectionId === recipientConnection && !hung ? ((hung = true), 'hang') : undefined));
    sender.send({ action: 'sendMessage', conversationId, content: 'lost in a hung push', clientMessageId: 'hang-lost' });
    const [lostAck] = await sender.waitFor((f) => f.event === 'ack' && f.clientMessageId === 'hang-lost');
    await new Promise((resolve) => setTimeout(resolve, PUSH_TIMEOUT_MS + 300)); // the hung push's whole budget
    sender.send({ action: 'sendMessage', conversationId, content: 'after the hang', clientMessageId: 'hang-next' });
    const [next] = await recipient.waitFor((f) => f.event === 'message' && f.message.content === 'after the hang');
    proxy.clear();
    expect(proxy.posts.get(recipientConnection!)).toBe(2); // the hung one once, the next one once
    expect(recipient.received((f) => f.event === 'message' && f.message.id === lostAck!.message.id)).toHaveLength(0);
    expect(next!.message.seq).toBe(lostAck!.message.seq + 1); // the gap the recipient sees
    const gap = await api.get(`/message/history/${conversationId}?after_seq=${lostAck!.message.seq - 1}&limit=1`, bob.token);
    expect(gap.body.messages.map((m: { id: number }) => m.id)).toEqual([lostAck!.message.id]);
    proxy.posts.clear();
    await Promise.all([sender.close(), recipient.close()]);
  });
});
