import { randomBytes } from 'node:crypto';
import WebSocket from 'ws';
import { Api } from '../support/client.ts';
import { openSockets } from './floor.ts';
import { summarize, fmt } from './stats.ts';

/**
 * Where a send's milliseconds go, on the local stack: sequential WebSocket sends into one conversation (two
 * connections per member, as the delivery table), each cut into its phases by an SDK middleware on the handlers'
 * DynamoDB client: frame out → first DynamoDB call (gateway, parsing, token check), each round trip (calls in flight
 * together), last call → ack and → last recipient (the pushes). Prints p50 per phase.
 *   npx tsx test/bench/profile-send.ts            # 1:1
 *   PROFILE_MEMBERS=500 npx tsx test/bench/profile-send.ts
 */
const MEMBERS = Number(process.env.PROFILE_MEMBERS ?? 2);
const SENDS = Number(process.env.PROFILE_SENDS ?? 40);
Object.assign(process.env, { BCRYPT_COST: '4', LOG_LEVEL: 'WARN', POWERTOOLS_METRICS_DISABLED: 'true', LIMIT_REGISTER_MAX: '1000000', LIMIT_MESSAGE_SEND_MAX: '1000000', LIMIT_CONVERSATION_SEND_MAX: '1000000', LIMIT_WS_CONNECT_MAX: '1000000' });
const { startLocalStack } = await import('../../infra/local/stack.ts');
const stack = await startLocalStack({ tableName: 'profile', jwtSecret: randomBytes(32).toString('hex') });
const { dynamo } = await import('../../shared/data/client.ts');
const { seedGroup, seedSingle, seedUsers } = await import('./fixtures.ts');

type Call = { name: string; start: number; end: number };
let calls: Call[] = [];
dynamo.middlewareStack.add((next, context) => async (args) => {
  const call = { name: String(context.commandName).replace(/Command$/, ''), start: performance.now(), end: 0 };
  calls.push(call);
  try {
    return await next(args);
  } finally {
    call.end = performance.now();
  }
}, { step: 'initialize', name: 'profileSend' });

const next = (socket: WebSocket, event: string, content: string) => new Promise<number>((resolve) => {
  const on = (data: WebSocket.RawData) => {
    const frame = JSON.parse(data.toString()) as { event?: string; message?: { content?: string } };
    if (frame.event === event && frame.message?.content === content) {
      socket.off('message', on);
      resolve(performance.now());
    }
  };
  socket.on('message', on);
});

/** Calls grouped into round trips: a call that started after another ended is in a later one. */
function roundTrips(list: Call[]): Call[][] {
  const trips: Call[][] = [];
  for (const call of [...list].sort((a, b) => a.start - b.start)) {
    const current = trips.at(-1);
    if (current && call.start < Math.max(...current.map((c) => c.end))) current.push(call);
    else trips.push([call]);
  }
  return trips;
}

try {
  const users = await seedUsers(MEMBERS, 'profile');
  const conversationId = MEMBERS === 2 ? await seedSingle(users[0]!, users[1]!) : await seedGroup(users.map((u) => u.id));
  const perMember = MEMBERS <= 10 ? 2 : 1;
  const sockets: WebSocket[] = [];
  for (const user of users) sockets.push(...(await openSockets(`${stack.wsUrl}?token=${encodeURIComponent(user.token)}`, perMember)));
  const [sender, ...recipients] = sockets as [WebSocket, ...WebSocket[]];
  const phases = new Map<string, number[]>();
  const add = (name: string, ms: number) => phases.set(name, [...(phases.get(name) ?? []), ms]);
  for (let i = 0; i < SENDS + 3; i++) {
    const content = `p${i}`;
    calls = [];
    const ack = next(sender, 'ack', content);
    const all = Promise.all(recipients.map((socket) => next(socket, 'message', content)));
    const started = performance.now();
    sender.send(JSON.stringify({ action: 'sendMessage', conversationId, content, type: 'text', clientMessageId: content }));
    const [ackAt, deliveredAt] = await Promise.all([ack, all.then((times) => Math.max(...times))]);
    await new Promise((resolve) => setTimeout(resolve, 20)); // the after-push writes, if any, land in this send
    if (i < 3) continue;
    const before = calls.filter((c) => c.start < ackAt);
    const trips = roundTrips(before);
    add('frame out → first DynamoDB call', before[0]!.start - started);
    trips.forEach((trip, n) => add(`round trip ${n + 1} (${trip.map((c) => c.name).join(' ‖ ')})`, Math.max(...trip.map((c) => c.end)) - Math.min(...trip.map((c) => c.start))));
    const lastEnd = Math.max(...before.map((c) => c.end));
    add('gaps between round trips (our code)', trips.slice(1).reduce((sum, trip, n) => sum + (Math.min(...trip.map((c) => c.start)) - Math.max(...trips[n]!.map((c) => c.end))), 0));
    add('last call → ack', ackAt - lastEnd);
    add('last call → last recipient', deliveredAt - lastEnd);
    add('total → ack', ackAt - started);
    add('total → last recipient', deliveredAt - started);
  }
  console.log(`[profile] ${MEMBERS} members, ${recipients.length} recipient sockets, ${SENDS} sends, p50 (p99) ms:`);
  for (const [name, samples] of phases) {
    const s = summarize(samples);
    console.log(`  ${name.padEnd(90)} ${fmt(s.p50).padStart(7)} (${fmt(s.p99)})${samples.length < SENDS ? `  [in ${samples.length} of ${SENDS}]` : ''}`);
  }
  for (const socket of sockets) socket.terminate();
} finally {
  await stack.stop();
  process.exit(0);
}
