import type { LocalStack } from '../../infra/local/stack.ts';
import { dynamo } from '../../shared/data/client.ts';
import { WsClient, routeHandled, type Frame } from '../support/ws-client.ts';
import type { Cost, Meter } from './capacity.ts';
import { seedGroup, seedMessages, seedSingle, seedUsers } from './fixtures.ts';
import { fmt, summarize, type Summary } from './stats.ts';

/**
 * What one `typing` or `markRead` frame costs, through the real local stack (issue 15): a typing flood from one
 * member of a group (how many pushes reach the others per frame sent, how many frames are refused, how many
 * counter writes the limit made), and markRead's DynamoDB units and latency per frame as the conversation grows
 * (it must not grow). The same code runs on the code before the limits (README, "Performance and cost").
 */
export type FrameSizes = { typingMembers: number; typingFrames: number; markReadLengths: number[]; markReadFrames: number };

export type TypingFlood = {
  members: number;
  framesSent: number;
  /**
   * `typing` frames that arrived on the other members' sockets (one socket each). A push retried after a timed-out
   * attempt can arrive twice, so on a loaded machine this can exceed served × (members − 1).
   */
  pushesToOthers: number;
  /** Frames the typing handler served (200) and refused with RATE_LIMITED (429), from the gateway's side. */
  served: number;
  refused: number;
  /** Any other handler status, by status (a 503 under load, say). */
  otherStatuses: Record<string, number>;
  /** Conditional UpdateItems on the typing counter (`LIMIT#typing#…`). */
  counterWrites: number;
  cost: Cost;
  /** PostToConnection calls the gateway took during the flood (answers to the flooder included). */
  pushes: number;
  /** First frame sent → the last one handled. */
  floodMs: number;
  /** A bystander member's `ping` sent right after the flood → its `pong`. */
  bystanderPingMs: number;
};

/** One kind of markRead frame at one conversation length: per-frame means of the units, latency to the handler's return. */
export type MarkReadCost = { frames: number; calls: number; sequential: number; readUnits: number; writeUnits: number; latency: Summary; errors: number };
export type MarkReadPoint = { messages: number; moving: MarkReadCost; replayed: MarkReadCost };
export type FrameCosts = { typing: TypingFlood; markRead: MarkReadPoint[] };

type Log = (line: string) => void;

export async function measureFrameCosts(stack: LocalStack, meter: Meter, sizes: FrameSizes, log: Log): Promise<FrameCosts> {
  log(`typing: ${sizes.typingFrames} frames at once from one member of a group of ${sizes.typingMembers}, every member online`);
  const typing = await typingFlood(stack, meter, sizes);
  log(`  ${typing.pushesToOthers} pushes reached the others (${fmt(typing.pushesToOthers / typing.framesSent)} per frame sent), ${typing.served} served, ${typing.refused} refused, ${typing.counterWrites} counter writes, bystander ping ${fmt(typing.bystanderPingMs)} ms`);
  const markRead: MarkReadPoint[] = [];
  for (const messages of sizes.markReadLengths) {
    log(`markRead: ${sizes.markReadFrames} moving and ${sizes.markReadFrames} replayed frames in a conversation of ${messages} messages`);
    const point = await markReadAt(stack, meter, messages, sizes.markReadFrames);
    log(`  moving: ${fmt(point.moving.readUnits)} RCU, ${fmt(point.moving.writeUnits)} WCU, p50 ${fmt(point.moving.latency.p50)} ms; replayed: ${fmt(point.replayed.readUnits)} RCU, p50 ${fmt(point.replayed.latency.p50)} ms`);
    markRead.push(point);
  }
  return { typing, markRead };
}

async function typingFlood(stack: LocalStack, meter: Meter, sizes: FrameSizes): Promise<TypingFlood> {
  const users = await seedUsers(sizes.typingMembers, 'typist');
  const conversationId = await seedGroup(users.map((u) => u.id));
  const sockets = await Promise.all(users.map((u) => WsClient.connect(stack.wsUrl, u.token)));
  const [flooder, bystander, ...rest] = sockets as [WsClient, WsClient, ...WsClient[]];
  const others = [bystander, ...rest];
  let pushes = 0;
  const onPush = () => void pushes++;
  const writes = counterWrites('LIMIT#typing#');
  stack.ws.on('push', onPush);
  try {
    let floodMs = 0;
    let bystanderPingMs = 0;
    const statuses: Record<string, number> = {};
    const cost = await meter.measure(async () => {
      const handled = withinMinutes(routeHandled(stack, 'typing', sizes.typingFrames), 'the typing flood');
      const started = performance.now();
      for (let i = 0; i < sizes.typingFrames; i++) flooder.send({ action: 'typing', conversationId });
      const pong = bystander.request({ action: 'ping' }, (f) => f.event === 'pong', 120_000).then(() => (bystanderPingMs = performance.now() - started));
      const [answered] = await Promise.all([handled.then((answers) => ((floodMs = performance.now() - started), answers)), pong]);
      for (const status of answered) statuses[String(status ?? 'threw')] = (statuses[String(status ?? 'threw')] ?? 0) + 1;
      await new Promise((resolve) => setTimeout(resolve, 300)); // pushes already made are on the wire
    });
    const { 200: served = 0, 429: refused = 0, ...otherStatuses } = statuses;
    return {
      members: sizes.typingMembers,
      framesSent: sizes.typingFrames,
      pushesToOthers: others.reduce((sum, socket) => sum + socket.received((f: Frame) => f.event === 'typing').length, 0),
      served,
      refused,
      otherStatuses,
      counterWrites: writes.count(),
      cost,
      pushes,
      floodMs,
      bystanderPingMs,
    };
  } finally {
    stack.ws.off('push', onPush);
    writes.stop();
    await Promise.all(sockets.map((socket) => socket.close()));
  }
}

/**
 * A reader marks the first `frames` messages one by one (the marker moves each time, with the most of the
 * conversation after it: what the old code counted), then sends the first one again `frames` times (the marker
 * does not move). A fresh reader per length, so the per-user limit (60 per 10 s) is not what is measured.
 */
async function markReadAt(stack: LocalStack, meter: Meter, messages: number, frames: number): Promise<MarkReadPoint> {
  const [reader, sender] = await seedUsers(2, 'reader');
  const conversationId = await seedSingle(reader!, sender!);
  const ids = await seedMessages(conversationId, sender!.id, messages);
  const [readerWs, senderWs] = await Promise.all([WsClient.connect(stack.wsUrl, reader!.token), WsClient.connect(stack.wsUrl, sender!.token)]);
  const markOne = async (messageId: number) => {
    const errorsBefore = readerWs.received((f) => f.event === 'error').length;
    const handled = withinMinutes(routeHandled(stack, 'markRead'), 'a markRead frame');
    let ms = 0;
    const cost = await meter.measure(async () => {
      const started = performance.now();
      readerWs.send({ action: 'markRead', conversationId, messageId });
      await handled;
      ms = performance.now() - started;
    });
    return { cost, ms, failed: readerWs.received((f) => f.event === 'error').length > errorsBefore };
  };
  try {
    const moving = [];
    for (let i = 0; i < frames; i++) moving.push(await markOne(ids[i]!));
    const replayed = [];
    for (let i = 0; i < frames; i++) replayed.push(await markOne(ids[0]!));
    return { messages, moving: perFrame(moving), replayed: perFrame(replayed) };
  } finally {
    await Promise.all([readerWs.close(), senderWs.close()]);
  }
}

function perFrame(runs: Array<{ cost: Cost; ms: number; failed: boolean }>): MarkReadCost {
  const mean = (pick: (c: Cost) => number) => runs.reduce((sum, r) => sum + pick(r.cost), 0) / runs.length;
  return {
    frames: runs.length,
    calls: mean((c) => c.calls),
    sequential: Math.max(...runs.map((r) => r.cost.sequential)),
    readUnits: mean((c) => c.readUnits),
    writeUnits: mean((c) => c.writeUnits),
    latency: summarize(runs.map((r) => r.ms)),
    errors: runs.filter((r) => r.failed).length,
  };
}

/** Counts UpdateItems on counter items whose key starts with `prefix`, on the handlers' DynamoDB client. */
function counterWrites(prefix: string) {
  let count = 0;
  const name = `benchCounterWrites${prefix}`;
  dynamo.middlewareStack.add((next, context) => async (args) => {
    const key = (args.input as { Key?: { PK?: unknown } }).Key;
    if (context.commandName === 'UpdateCommand' || context.commandName === 'UpdateItemCommand') {
      const pk = key?.PK;
      if ((typeof pk === 'string' ? pk : (pk as { S?: string } | undefined)?.S ?? '').startsWith(prefix)) count++;
    }
    return next(args);
  }, { step: 'initialize', name });
  return { count: () => count, stop: () => dynamo.middlewareStack.remove(name) };
}

/** A flood that never finishes handling fails the run after two minutes instead of hanging it. */
function withinMinutes<T>(done: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const gaveUp = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} was not handled within 2 minutes`)), 120_000)));
  return Promise.race([done, gaveUp]).finally(() => clearTimeout(timer));
}
