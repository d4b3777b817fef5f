import WebSocket from 'ws';
import { everyoneReceives, openSockets } from './floor.ts';
import { summarize, type Summary } from './stats.ts';

/**
 * Live delivery through the full local stack: a member sends `sendMessage` over their WebSocket; the time until every
 * other connection of every member (the sender's other devices too) has the message. Small groups hold two
 * connections per member (phone and laptop), large ones one each.
 */
export type DeliveryPoint = { members: number; recipientSockets: number; messagesPerSecond: number; pushesPerMessage: number } & Summary;

export const connectionsPerMember = (members: number) => (members <= 10 ? 2 : 1);
/** Sockets that must receive each message: every connection but the sending one. */
export const recipientSockets = (members: number) => members * connectionsPerMember(members) - 1;

type Member = { token: string };

/** Resolves when every socket has a `message` frame with this content (frames for other messages are ignored). */
function everyoneGets(sockets: readonly WebSocket[], content: string): Promise<void> {
  return Promise.all(sockets.map((socket) => new Promise<void>((resolve) => {
    const onFrame = (data: WebSocket.RawData) => {
      const frame = JSON.parse(data.toString()) as { event?: string; message?: { content?: string } };
      if (frame.event === 'message' && frame.message?.content === content) {
        socket.off('message', onFrame);
        resolve();
      }
    };
    socket.on('message', onFrame);
  }))).then(() => undefined);
}

/**
 * `iterations` sends one after another (latency), then a burst of `burst` sends at once (throughput: messages per
 * second, each reaching every recipient socket). `countPushes` reads how many PostToConnection calls were made.
 */
export async function measureDelivery(
  wsUrl: string,
  conversationId: number,
  members: readonly Member[],
  iterations: number,
  burst: number,
  countPushes: () => number,
): Promise<DeliveryPoint> {
  const perMember = connectionsPerMember(members.length);
  const sockets: WebSocket[] = [];
  for (const member of members) sockets.push(...(await openSockets(`${wsUrl}?token=${encodeURIComponent(member.token)}`, perMember)));
  const [sender, ...recipients] = sockets as [WebSocket, ...WebSocket[]];
  const send = (content: string) => sender.send(JSON.stringify({ action: 'sendMessage', conversationId, content, type: 'text' }));
  try {
    const latencies: number[] = [];
    const pushesBefore = countPushes();
    const warmup = Math.min(3, iterations);
    for (let i = 0; i < warmup + iterations; i++) {
      const content = `delivery ${members.length} #${i}`;
      const delivered = everyoneGets(recipients, content);
      const acked = everyoneReceives([sender]);
      const started = performance.now();
      send(content);
      await delivered;
      if (i >= warmup) latencies.push(performance.now() - started);
      await acked;
    }
    const pushesPerMessage = (countPushes() - pushesBefore) / (warmup + iterations);

    const contents = Array.from({ length: burst }, (_, i) => `burst ${members.length} #${i}`);
    const allDelivered = Promise.all(contents.map((content) => everyoneGets(recipients, content)));
    const started = performance.now();
    for (const content of contents) send(content);
    await allDelivered;
    const messagesPerSecond = burst / ((performance.now() - started) / 1000);

    return { members: members.length, recipientSockets: recipients.length, messagesPerSecond, pushesPerMessage, ...summarize(latencies) };
  } finally {
    await Promise.all(sockets.map((socket) => new Promise((resolve) => {
      socket.once('close', resolve);
      socket.close();
    })));
  }
}
