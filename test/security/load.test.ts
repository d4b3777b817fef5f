import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStackProcess, type StackProcess } from '../support/stack-process.ts';
import { Api, type TestUser } from '../support/client.ts';
import { WsClient, type Frame } from '../support/ws-client.ts';

/**
 * Load with accounting: WebSocket clients in group conversations send for a while on the local stack (loopback
 * only, bounded), then an audit: every acknowledged message is in history exactly once, every online member
 * received each exactly once, no server errors, and the connection records match the open sockets.
 * `npm test` runs a short form; `npm run test:load` the full one (200 clients, 50 conversations, 60 s, each
 * client sending every 5 s on average: 40 messages a second, 160 frames a second out). The stack runs in its own
 * process, as `npm start` runs it, so the clients do not share its event loop.
 */
const CLIENTS = Number(process.env.LOAD_CLIENTS ?? 20);
const CONVERSATIONS = Number(process.env.LOAD_CONVERSATIONS ?? 5);
const SECONDS = Number(process.env.LOAD_SECONDS ?? 5);
/** Each client sends one message per this interval (with jitter), so the offered load is CLIENTS / interval. */
const SEND_INTERVAL_MS = Number(process.env.LOAD_SEND_INTERVAL_MS ?? 2000);

let stack: StackProcess;
let api: Api;
let users: TestUser[];
let clients: WsClient[];
const membersOf = new Map<number, number[]>(); // conversation id → indexes of its members' clients
const conversationOf: number[] = []; // client index → conversation id

beforeAll(async () => {
  stack = await startStackProcess({ BCRYPT_COST: '4' });
  api = new Api(stack.httpUrl);
  users = [];
  for (let i = 0; i < CLIENTS; i += 20) users.push(...(await Promise.all(Array.from({ length: Math.min(20, CLIENTS - i) }, () => api.newUser('load')))));
  const perConversation = Math.ceil(CLIENTS / CONVERSATIONS);
  await Promise.all(Array.from({ length: CONVERSATIONS }, async (_, c) => {
    const indexes = Array.from({ length: perConversation }, (_, k) => c * perConversation + k).filter((i) => i < CLIENTS);
    const [owner, ...others] = indexes.map((i) => users[i]!);
    const id = await api.conversation(owner!.token, ...others.map((u) => u.id));
    membersOf.set(id, indexes);
    for (const i of indexes) conversationOf[i] = id;
  }));
  clients = [];
  for (let i = 0; i < CLIENTS; i += 25) clients.push(...(await Promise.all(users.slice(i, i + 25).map((u) => WsClient.connect(stack.wsUrl, u.token)))));
}, 300_000);
afterAll(async () => {
  await Promise.all((clients ?? []).map((c) => c.close()));
  await stack?.stop();
});

async function allHistory(conversationId: number, token: string): Promise<Array<{ id: number; sender_id: number; clientMessageId?: string }>> {
  const messages: Array<{ id: number; sender_id: number; clientMessageId?: string }> = [];
  let after = 0;
  for (;;) {
    const page = await api.get(`/message/history/${conversationId}?limit=100&after_seq=${after}`, token);
    expect(page.status).toBe(200);
    messages.push(...page.body.messages);
    if (page.body.next_seq === null) return messages;
    after = page.body.next_seq;
  }
}

/** How long a client waits for the answer to a send before resending it. */
const ANSWER_TIMEOUT_MS = 30_000;

async function until(done: () => boolean, maxMs: number): Promise<void> {
  const deadline = Date.now() + maxMs;
  while (!done() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
}

/** Waits until no client has received a frame for `quietMs` (or `maxMs` passed). */
async function settle(quietMs: number, maxMs: number): Promise<void> {
  const started = Date.now();
  let last = -1;
  for (;;) {
    const total = clients.reduce((sum, c) => sum + c.frames.length, 0);
    if (total === last || Date.now() - started > maxMs) return;
    last = total;
    await new Promise((resolve) => setTimeout(resolve, quietMs));
  }
}

describe(`load with accounting (${CLIENTS} WebSocket clients, ${CONVERSATIONS} conversations, ${SECONDS} s)`, () => {
  it('loses nothing, duplicates nothing, delivers each message once to each online member', { timeout: SECONDS * 1000 + 300_000 }, async () => {
    const { listConnections } = await import('../../shared/data/connections.ts');
    const sent = new Map<string, { client: number; frame: object; at: number }>();
    // Each send's latest answer (ack or error frame), correlated by clientMessageId as a client does.
    const answers = new Map<string, 'ack' | 'error'>();
    const ackLatencies: number[] = []; // first sends only
    const retried = new Set<string>();
    clients.forEach((client) => client.socket.on('message', (data) => {
      const frame = JSON.parse(data.toString()) as Frame;
      if ((frame.event !== 'ack' && frame.event !== 'error') || typeof frame.clientMessageId !== 'string') return;
      const send = sent.get(frame.clientMessageId);
      if (frame.event === 'ack' && send && !retried.has(frame.clientMessageId)) ackLatencies.push(Date.now() - send.at);
      answers.set(frame.clientMessageId, frame.event);
    }));
    const deadline = Date.now() + SECONDS * 1000;
    await Promise.all(clients.map(async (client, i) => {
      let seq = 0;
      await new Promise((resolve) => setTimeout(resolve, Math.random() * SEND_INTERVAL_MS));
      while (Date.now() < deadline) {
        const clientMessageId = `c${i}-m${seq++}`;
        const frame = { action: 'sendMessage', conversationId: conversationOf[i], content: `load ${clientMessageId}`, clientMessageId };
        sent.set(clientMessageId, { client: i, frame, at: Date.now() });
        client.send(frame);
        await new Promise((resolve) => setTimeout(resolve, SEND_INTERVAL_MS * (0.5 + Math.random())));
      }
    }));
    const unanswered = () => [...sent.keys()].filter((id) => !answers.has(id));
    await until(() => unanswered().length === 0, ANSWER_TIMEOUT_MS);

    // A client resends, with the same clientMessageId, what was answered 503 SERVICE_UNAVAILABLE or not answered
    // at all (stored once whatever happens), as clients backing off would: spread over a second.
    for (let round = 0; round < 5; round++) {
      const pending = [...sent].filter(([id]) => answers.get(id) !== 'ack');
      if (pending.length === 0) break;
      for (const [id] of pending) answers.delete(id);
      await Promise.all(pending.map(async ([id, { client, frame }]) => {
        retried.add(id);
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 1000));
        clients[client]!.send(frame);
      }));
      await until(() => unanswered().length === 0, ANSWER_TIMEOUT_MS);
    }
    await settle(2000, 60_000); // the last pushes to the other members

    // What the clients saw.
    const acks = new Map<string, number>(); // clientMessageId → message id
    let ackDuplicates = 0;
    let internalErrorFrames = 0;
    let unavailableFrames = 0;
    let otherErrorFrames = 0;
    const deliveries = new Map<string, number>(); // `${clientIndex}:${messageId}` → times received
    clients.forEach((client, i) => {
      for (const frame of client.frames as Frame[]) {
        if (frame.event === 'ack') {
          if (acks.has(frame.clientMessageId) && !retried.has(frame.clientMessageId)) ackDuplicates++;
          acks.set(frame.clientMessageId, frame.message.id);
        } else if (frame.event === 'message') {
          const key = `${i}:${frame.message.id}`;
          deliveries.set(key, (deliveries.get(key) ?? 0) + 1);
        } else if (frame.event === 'error') {
          if (frame.code === 'INTERNAL_ERROR') internalErrorFrames++;
          else if (frame.code === 'SERVICE_UNAVAILABLE') unavailableFrames++;
          else otherErrorFrames++;
        }
      }
    });

    // What history holds, per conversation.
    let stored = 0;
    let lost = 0;
    let duplicates = 0;
    let missedDeliveries = 0;
    let missedAfterRetry = 0; // stored, then 503 before the pushes: the resend is acked only (members catch up from history)
    let repeatedDeliveries = 0;
    for (const [conversationId, members] of membersOf) {
      const history = await allHistory(conversationId, users[members[0]!]!.token);
      stored += history.length;
      const byClientId = new Map<string, number>();
      for (const m of history) if (m.clientMessageId) byClientId.set(m.clientMessageId, (byClientId.get(m.clientMessageId) ?? 0) + 1);
      duplicates += [...byClientId.values()].reduce((sum, n) => sum + (n - 1), 0) + history.filter((m) => !m.clientMessageId).length;
      const ids = new Set(history.map((m) => m.id));
      for (const [clientMessageId, messageId] of acks) {
        const sender = Number(clientMessageId.slice(1, clientMessageId.indexOf('-')));
        if (conversationOf[sender] === conversationId && !ids.has(messageId)) lost++;
      }
      for (const message of history) {
        for (const member of members) {
          if (users[member]!.id === message.sender_id) continue;
          const times = deliveries.get(`${member}:${message.id}`) ?? 0;
          if (times === 0 && retried.has(message.clientMessageId ?? '')) missedAfterRetry++;
          else if (times === 0) missedDeliveries++;
          if (times > 1) repeatedDeliveries++;
        }
      }
    }

    // Connection records against open sockets: one live record per connected user.
    const live = await listConnections(users.map((u) => u.id));
    const recordsPerUser = new Map<number, number>();
    for (const connection of live) recordsPerUser.set(connection.userId, (recordsPerUser.get(connection.userId) ?? 0) + 1);
    const mismatchedConnections = users.filter((u) => recordsPerUser.get(u.id) !== 1).length;

    ackLatencies.sort((a, b) => a - b);
    const percentile = (p: number) => ackLatencies[Math.min(ackLatencies.length - 1, Math.floor(ackLatencies.length * p))] ?? 0;
    console.log(
      `[load] offered=${(CLIENTS / (SEND_INTERVAL_MS / 1000)).toFixed(0)} msg/s ackLatencyMs p50=${percentile(0.5)} p95=${percentile(0.95)} p99=${percentile(0.99)} max=${percentile(1)}`,
    );
    console.log(
      `[load] clients=${CLIENTS} conversations=${CONVERSATIONS} seconds=${SECONDS} sent=${sent.size} acked=${acks.size} stored=${stored} ` +
        `lost=${lost} duplicates=${duplicates} ackDuplicates=${ackDuplicates} missedDeliveries=${missedDeliveries} repeatedDeliveries=${repeatedDeliveries} ` +
        `resent=${retried.size} missedAfterRetry=${missedAfterRetry} internalErrorFrames=${internalErrorFrames} unavailableFrames(503)=${unavailableFrames} otherErrorFrames=${otherErrorFrames} openSockets=${clients.length} connectionRecords=${live.length} mismatchedConnections=${mismatchedConnections}`,
    );
    // A resend's ack repeats the original's: count an ack twice only for a message that was never resent.
    expect(ackDuplicates).toBe(0);
    expect({ lost, duplicates, missedDeliveries, missedAfterRetry, repeatedDeliveries, internalErrorFrames, unavailableFrames, mismatchedConnections }).toEqual({
      lost: 0, duplicates: 0, missedDeliveries: 0, missedAfterRetry: 0, repeatedDeliveries: 0, internalErrorFrames: 0, unavailableFrames: 0, mismatchedConnections: 0,
    });
    expect(acks.size).toBe(sent.size);
    expect(stored).toBe(sent.size);

    // And once the clients leave, their records go with them.
    await Promise.all(clients.map((c) => c.close()));
    await settle(500, 10_000);
    const deadlineGone = Date.now() + 15_000;
    let remaining = live.length;
    while (remaining > 0 && Date.now() < deadlineGone) {
      remaining = (await listConnections(users.map((u) => u.id))).length;
      if (remaining > 0) await new Promise((resolve) => setTimeout(resolve, 200));
    }
    console.log(`[load] after closing every socket: connectionRecords=${remaining}`);
    expect(remaining).toBe(0);
  });
});
