import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server, type Socket } from 'node:net';
import { startTestStack } from '../support/stack.ts';
import { Api, type TestUser } from '../support/client.ts';
import { faultInjector, seededRandom, SLOW_CALL_MS, type Fault } from '../support/faults.ts';
import { WsClient, type Frame } from '../support/ws-client.ts';
import { fill, requestFor } from '../support/route-requests.ts';
import { httpRoutes } from '../../shared/routes.ts';
import type { LocalStack } from '../../infra/local/stack.ts';

/**
 * DynamoDB faults injected in-process (test/support/faults.ts): throttling, lost responses and calls that never
 * answer. Expected: the SDK retries, then a clear 503 SERVICE_UNAVAILABLE envelope, never a hang, and no
 * acknowledged message missing from history or stored twice.
 */
let stack: LocalStack;
let api: Api;
let faults: Awaited<ReturnType<typeof faultInjector>>;
let blackHole: Server;
const held = new Set<Socket>();
let owner: TestUser;
let peer: TestUser;
let conversationId: number;

beforeAll(async () => {
  blackHole = createServer((socket) => {
    held.add(socket); // accepted, never answered
    socket.on('close', () => held.delete(socket));
  });
  await new Promise<void>((resolve) => blackHole.listen(0, '127.0.0.1', resolve));
  stack = await startTestStack({ BCRYPT_COST: '4' });
  faults = await faultInjector({ host: '127.0.0.1', port: (blackHole.address() as { port: number }).port });
  api = new Api(stack.httpUrl);
  [owner, peer] = (await Promise.all([api.newUser('owner'), api.newUser('peer')])) as [TestUser, TestUser];
  conversationId = await api.conversation(owner.token, peer.id);
});
afterAll(async () => {
  faults?.clear();
  await stack?.stop();
  for (const socket of held) socket.destroy();
  blackHole?.close();
});

/** A valid request for every route, as the owner. */
function validRequests() {
  return httpRoutes.map((route) => {
    const values = fill(route, { conversation: conversationId, message: conversationId, user: peer.id }, {
      username: owner.username,
      password: owner.password,
      nickname: 'n',
      content: 'hello',
      oldPassword: owner.password,
      newPassword: owner.password,
      contentType: 'image/png',
      size: 1024,
      userIds: [peer.id],
      admin: true,
      groupInvites: 'anyone',
    });
    if (route.name === 'userRegister') values.body = { username: `fresh_${Date.now()}`, password: 'correct-horse-1', nickname: 'fresh' };
    return { route, ...requestFor(route, values) };
  });
}

function expectServiceUnavailable(res: { status: number; body: any }, route: string) {
  expect({ route, status: res.status, code: res.body?.code, success: res.body?.success }).toEqual({ route, status: 503, code: 'SERVICE_UNAVAILABLE', success: false });
  expect(typeof res.body.message).toBe('string');
  expect(JSON.stringify(res.body)).not.toMatch(/Exception|\bat \w|node_modules|\.ts:\d/);
}

describe('DynamoDB faults', () => {
  // First: the SDK's retry quota (per client, shared by every call of the container) is full here; the throttling
  // and black-hole cases below drain it, and a resend it no longer allows would end this case in 503.
  it('a message whose writes committed but whose answers were lost is stored once, with one seq, and pushed once (with or without a client id)', async () => {
    const peerSocket = await WsClient.connect(stack.wsUrl, peer.token);
    // Every other write's answer is lost, so the SDK resends each write of the send once (the rate-limit count,
    // the seq allocation, the message and the membership): each resend must find its own committed attempt.
    for (const extra of [{}, { clientMessageId: 'lost-answers-1' }]) {
      const calls: Record<string, number> = {};
      faults.set((operation) => (operation === 'UpdateItem' || operation === 'PutItem') && (calls[operation] = (calls[operation] ?? 0) + 1) % 2 === 1 ? 'lose-response' : undefined);
      const before = (await api.get(`/message/history/${conversationId}?limit=1`, owner.token)).body.last_seq as number;
      const content = `answers lost ${JSON.stringify(extra)}`;
      const res = await api.post('/message/send', { conversationId, content, ...extra }, owner.token);
      faults.clear();
      expect(res.status).toBeLessThan(300);
      expect(res.body.data.seq).toBe(before + 1);
      const history = await api.get(`/message/history/${conversationId}?limit=100`, owner.token);
      expect(history.body.last_seq).toBe(before + 1);
      expect(history.body.messages.filter((m: { content: string }) => m.content === content)).toHaveLength(1);
      const isThis = (frame: Frame) => frame.event === 'message' && frame.message.content === content;
      await peerSocket.waitFor(isThis);
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(peerSocket.received(isThis)).toHaveLength(1);
    }
    await peerSocket.close();
  });

  it('a resend that overtakes its first attempt\'s slow message write: stored once, pushed once, both acked', async () => {
    const [sender, peerSocket] = await Promise.all([WsClient.connect(stack.wsUrl, owner.token), WsClient.connect(stack.wsUrl, peer.token)]);
    let slowed = false;
    faults.set((operation) => (operation === 'PutItem' && !slowed ? ((slowed = true), 'slow') : undefined));
    try {
      const frame = { action: 'sendMessage', conversationId, content: 'overtaken', clientMessageId: 'overtaken-1' };
      sender.send(frame);
      // The first attempt has its seq (and its client id recorded) and waits on its PutItem when the resend arrives.
      await new Promise((resolve) => setTimeout(resolve, SLOW_CALL_MS / 2));
      sender.send(frame);
      const answers = await sender.waitFor((f) => f.clientMessageId === 'overtaken-1', { count: 2, timeoutMs: 10_000 });
      expect(answers.map((a) => a.event)).toEqual(['ack', 'ack']);
      expect(answers[0]!.message.id).toBe(answers[1]!.message.id);
      const isThis = (f: Frame) => f.event === 'message' && f.message.content === 'overtaken';
      await peerSocket.waitFor(isThis);
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(peerSocket.received(isThis)).toHaveLength(1);
      const history = await api.get(`/message/history/${conversationId}?limit=100`, owner.token);
      expect(history.body.messages.filter((m: { content: string }) => m.content === 'overtaken')).toHaveLength(1);
    } finally {
      faults.clear();
      await Promise.all([sender.close(), peerSocket.close()]);
    }
  });

  it('every route answers 503 SERVICE_UNAVAILABLE, quickly, when DynamoDB throttles every call', async () => {
    faults.set(() => 'throttle');
    const started = Date.now();
    try {
      const results = await Promise.all(validRequests().map(async ({ route, method, path, body }) => ({ route: route.name, res: await api.request(method, path, { token: owner.token, ...(body ? { body } : {}) }) })));
      const elapsed = Date.now() - started;
      for (const { route, res } of results) expectServiceUnavailable(res, route);
      console.log(`[faults] throttling: ${results.length} routes -> 503 in ${elapsed} ms (all in parallel); throttles injected=${faults.injected.throttle}`);
      expect(elapsed).toBeLessThan(20_000);
    } finally {
      faults.clear();
    }
    // And everything works again once DynamoDB recovers.
    expect((await api.get('/conversation/getlist', owner.token)).status).toBe(200);
  });

  it('a DynamoDB call that never answers ends in 503 after the SDK timeouts, well before the Lambda timeout', async () => {
    faults.set((operation) => (operation === 'GetItem' || operation === 'UpdateItem' ? 'black-hole' : undefined));
    const started = Date.now();
    try {
      const [profile, send] = await Promise.all([
        api.get(`/user/profile/${peer.id}`, owner.token),
        api.post('/message/send', { conversationId, content: 'into the void', clientMessageId: 'void-1' }, owner.token),
      ]);
      const elapsed = Date.now() - started;
      console.log(`[faults] black hole: GetItem/UpdateItem never answer -> ${profile.status}/${send.status} after ${elapsed} ms`);
      expectServiceUnavailable(profile, 'userProfileById');
      expectServiceUnavailable(send, 'messageSend');
      expect(elapsed).toBeLessThan(25_000); // the local gateway's integration timeout is 30 s
    } finally {
      faults.clear();
    }
  });

  it('a stored message is acknowledged, not answered 503, when its members\' connections cannot be listed', async () => {
    const sender = await WsClient.connect(stack.wsUrl, owner.token);
    faults.set((operation) => (operation === 'BatchGetItem' ? 'throttle' : undefined));
    try {
      const answer = await sender.request({ action: 'sendMessage', conversationId, content: 'stored, not pushed', clientMessageId: 'unlisted-1' }, (frame) => frame.clientMessageId === 'unlisted-1');
      expect({ event: answer.event, content: answer.message?.content }).toEqual({ event: 'ack', content: 'stored, not pushed' });
    } finally {
      faults.clear();
      await sender.close();
    }
    const history = await api.get(`/message/history/${conversationId}?limit=100`, peer.token);
    expect(history.body.messages.filter((m: { content: string }) => m.content === 'stored, not pushed')).toHaveLength(1);
  });

  it('a password change that could not close the old sockets still answers with the new token', async () => {
    const user = await api.newUser('changer');
    faults.set((operation) => (operation === 'BatchGetItem' ? 'throttle' : undefined));
    const changed = await api.post('/user/password', { oldPassword: user.password, newPassword: 'brand-new-pass' }, user.token).finally(() => faults.clear());
    expect(changed.status).toBe(200);
    expect((await api.get('/user/profile', changed.body.token)).body.user.id).toBe(user.id);
  });

  it('loses no acknowledged message and stores none twice under random throttling and lost responses', async () => {
    const random = seededRandom(7);
    faults.set((operation) => {
      const roll = random();
      if (roll < 0.2) return 'throttle';
      if (roll < 0.35 && operation !== 'GetItem' && operation !== 'Query') return 'lose-response';
      return undefined;
    });
    const counts = { sends: 0, attempts: 0, acked: 0, unavailable: 0, otherErrors: 0 };
    const acked = new Map<string, number>();
    try {
      // Clients with an idempotency key retry until acknowledged; clients without one send once.
      const keyed = Array.from({ length: 30 }, (_, i) => ({ content: `keyed ${i}`, clientMessageId: `cmid-${i}` }));
      const unkeyed = Array.from({ length: 30 }, (_, i) => ({ content: `unkeyed ${i}` }));
      await Promise.all([...keyed, ...unkeyed].map(async (message) => {
        counts.sends++;
        const retries = 'clientMessageId' in message ? 20 : 1;
        for (let attempt = 0; attempt < retries; attempt++) {
          counts.attempts++;
          const res = await api.post('/message/send', { conversationId, ...message }, owner.token);
          if (res.status === 200 || res.status === 201) {
            counts.acked++;
            acked.set(message.content, res.body.data.id);
            return;
          }
          if (res.status === 503 && res.body.code === 'SERVICE_UNAVAILABLE') counts.unavailable++;
          else counts.otherErrors++;
        }
      }));
    } finally {
      faults.clear();
    }
    const history = await api.get(`/message/history/${conversationId}?limit=100`, peer.token);
    expect(history.status).toBe(200);
    const stored = history.body.messages as Array<{ id: number; content: string }>;
    const copies = new Map<string, number>();
    for (const message of stored) copies.set(message.content, (copies.get(message.content) ?? 0) + 1);
    const lost = [...acked].filter(([content, id]) => !stored.some((m) => m.id === id && m.content === content)).length;
    const duplicates = [...copies.values()].reduce((sum, n) => sum + Math.max(0, n - 1), 0);
    console.log(`[faults] random faults (seed 7): sends=${counts.sends} attempts=${counts.attempts} acked=${counts.acked} 503s=${counts.unavailable} other-errors=${counts.otherErrors} injected throttles=${faults.injected.throttle} lost-responses=${faults.injected['lose-response']} -> acknowledged-but-missing=${lost} duplicates=${duplicates}`);
    expect(counts.otherErrors).toBe(0);
    expect(lost).toBe(0);
    expect(duplicates).toBe(0);
    // Every keyed message was eventually acknowledged.
    for (let i = 0; i < 30; i++) expect(acked.has(`keyed ${i}`)).toBe(true);
  });
});
