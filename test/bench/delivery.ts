import WebSocket from 'ws';
import { openSockets } from './floor.ts';
import { summarize, type Summary } from './stats.ts';
import type { Cost } from './capacity.ts';

/**
 * Live delivery through the full local stack: a member sends `sendMessage` over their WebSocket; the time until every
 * other connection of every member (the sender's other devices too) has the message. Small groups hold two
 * connections per member (phone and laptop), large ones one each.
 */
export type DeliveryPoint = {
  members: number;
  recipientSockets: number;
  /** Burst throughput: messages per second, each reaching every recipient socket. */
  messagesPerSecond: number;
  /** Messages in the burst (see burstSize). */
  burst: number;
  /** PostToConnection calls per message (the sender's ack included), as the gateway counted them. */
  pushesPerMessage: number;
  /** From the frame leaving the sender to the sendMessage handler returning (what Lambda would bill). */
  handler: Summary;
  /** From the frame leaving the sender to its ack arriving back. */
  ack: Summary;
  /** DynamoDB calls and capacity of one send. */
  cost: Cost;
} & Summary;

export const connectionsPerMember = (members: number) => (members <= 10 ? 2 : 1);
/** Sockets that must receive each message: every connection but the sending one. */
export const recipientSockets = (members: number) => members * connectionsPerMember(members) - 1;

/**
 * The burst's size: `burst` messages, but at most BURST_PUSHES_MAX pushes in all. 20 messages at 2,000 members
 * were 40,000 pushes and 400 BatchGets of connections at once: DynamoDB Local (same 2 cores) timed the connection
 * lookups out (3 attempts of 3 s), so those messages were stored and acked but never pushed (a client would fetch
 * them from history; the bench, waiting for pushes, gave up after 60 s). That measured overload, not throughput.
 */
const BURST_PUSHES_MAX = 10_000;
export const burstSize = (burst: number, recipients: number) => Math.max(2, Math.min(burst, Math.floor(BURST_PUSHES_MAX / recipients)));

/** What the bench can see of the stack: pushes counted, handler completions, DynamoDB cost of a piece of work. */
export type DeliveryProbe = {
  pushes(): number;
  /** Resolves when the gateway's next invocation of this route key has returned. */
  handled(routeKey: string): Promise<void>;
  measure(fn: () => Promise<unknown>): Promise<Cost>;
};

/**
 * A push given up (its budget spent) never arrives, and a client would fetch it from history instead: the bench
 * stops waiting for it after this long and fails the run with that said, rather than hanging.
 */
const DELIVERY_WAIT_MS = 60_000;

/** Resolves when every socket has an `event` frame (a `message` by default) with this content (other frames are ignored). */
function everyoneGets(sockets: readonly WebSocket[], content: string, event = 'message'): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const gaveUp = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`"${content}": not every socket got its ${event} within ${DELIVERY_WAIT_MS / 1000} s (a push was given up)`)), DELIVERY_WAIT_MS);
  });
  return Promise.race([gaveUp, everySocket(sockets, content, event)]).finally(() => clearTimeout(timer));
}

function everySocket(sockets: readonly WebSocket[], content: string, event: string): Promise<void> {
  return Promise.all(sockets.map((socket) => new Promise<void>((resolve) => {
    const onFrame = (data: WebSocket.RawData) => {
      const frame = JSON.parse(data.toString()) as { event?: string; message?: { content?: string } };
      if (frame.event === event && frame.message?.content === content) {
        socket.off('message', onFrame);
        resolve();
      }
    };
    socket.on('message', onFrame);
  }))).then(() => undefined);
}

/** `iterations` sends one after another (latency), one more under the DynamoDB meter, then a burst of `burst` at once. */
export async function measureDelivery(wsUrl: string, conversationId: number, members: ReadonlyArray<{ token: string }>, iterations: number, burst: number, probe: DeliveryProbe): Promise<DeliveryPoint> {
  const perMember = connectionsPerMember(members.length);
  const sockets: WebSocket[] = [];
  for (const member of members) sockets.push(...(await openSockets(`${wsUrl}?token=${encodeURIComponent(member.token)}`, perMember)));
  const [sender, ...recipients] = sockets as [WebSocket, ...WebSocket[]];
  const send = (content: string) => sender.send(JSON.stringify({ action: 'sendMessage', conversationId, content, type: 'text' }));
  /** One send, timed to the last recipient and to the handler's return. */
  const sendOnce = async (content: string) => {
    const delivered = everyoneGets(recipients, content);
    const acked = everyoneGets([sender], content, 'ack');
    const handled = probe.handled('sendMessage');
    const started = performance.now();
    send(content);
    const since = (done: Promise<void>) => done.then(() => performance.now() - started);
    const [deliveredMs, handledMs, ackMs] = await Promise.all([since(delivered), since(handled), since(acked)]);
    return { deliveredMs, handledMs, ackMs };
  };
  try {
    const warmup = Math.min(3, iterations);
    const pushesBefore = probe.pushes();
    const runs = [];
    for (let i = 0; i < warmup + iterations; i++) runs.push(await sendOnce(`delivery ${members.length} #${i}`));
    const pushesPerMessage = (probe.pushes() - pushesBefore) / runs.length;
    const measured = runs.slice(warmup);
    const cost = await probe.measure(() => sendOnce(`metered ${members.length}`));

    const contents = Array.from({ length: burstSize(burst, recipients.length) }, (_, i) => `burst ${members.length} #${i}`);
    const allDelivered = Promise.all(contents.map((content) => everyoneGets(recipients, content)));
    const started = performance.now();
    for (const content of contents) send(content);
    await allDelivered;
    const messagesPerSecond = contents.length / ((performance.now() - started) / 1000);

    return {
      members: members.length,
      recipientSockets: recipients.length,
      messagesPerSecond,
      burst: contents.length,
      pushesPerMessage,
      handler: summarize(measured.map((r) => r.handledMs)),
      ack: summarize(measured.map((r) => r.ackMs)),
      cost,
      ...summarize(measured.map((r) => r.deliveredMs)),
    };
  } finally {
    await Promise.all(sockets.map((socket) => new Promise((resolve) => {
      socket.once('close', resolve);
      socket.close();
    })));
  }
}
