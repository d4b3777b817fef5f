import bcrypt from 'bcryptjs';
import { config } from '../../shared/config.ts';
import { HTTP, HTTP_DEFAULT, httpRoutes, WS, type WsRoute } from '../../shared/routes.ts';
import { sdkClientsOf } from './sdk-floor.ts';
import { invoke, loadHandler } from '../../infra/local/lambda.ts';
import type { LocalStack } from '../../infra/local/stack.ts';
import { Api } from '../support/client.ts';
import { buildWorld, extraSamples, httpCases, routeSamples, type World } from './cases.ts';
import { capacityMeter, type Cost, type Meter } from './capacity.ts';
import { LAMBDA_MEMORY_MB, messageScenario, type CostScenario } from './cost.ts';
import { httpEvent, wsEvent, type BenchRequest } from './events.ts';
import { measureDelivery, type DeliveryPoint, type DeliveryProbe } from './delivery.ts';
import { BENCH_PASSWORD, seedGroup } from './fixtures.ts';
import { describeHttp, loadTest, type HttpResult } from './http.ts';
import { getlistScale, historyScale, sendScale, type GetlistScalePoint, type HistoryScalePoint, type SendScalePoint } from './scale.ts';
import { measureColdStarts, type ColdStart, type ColdStartCase } from './coldstart.ts';
import { measureGroupOps, type GroupOpPoint } from './group-ops.ts';
import { summarize, timeEach, type Summary } from './stats.ts';
import { measureFrameCosts, type FrameCosts } from './frames.ts';
import type { Log, Sizes } from './main.ts';

/** Everything measured against the running stack (the floor is measured before, without it). */
export type Sections = {
  fixtures: { users: number; conversations: number; contacts: number; historyMessages: number; seconds: number; bcryptCost: number };
  capacity: Array<{ name: string; status: number } & Cost>;
  delivery: DeliveryPoint[];
  handlerMs: Record<string, Summary>;
  bcrypt: Summary;
  cost: CostScenario[];
  http: HttpResult[];
  scale: { send: SendScalePoint[]; history: HistoryScalePoint[]; getlist: GetlistScalePoint[] };
  /** One text send with a clientMessageId (nobody online) at each group size: what the send path itself costs. */
  sendCost: Array<{ members: number } & Cost>;
  coldStarts: ColdStart[];
  frames: FrameCosts;
  groupOps: GroupOpPoint[];
};

export async function runSections(stack: LocalStack, sizes: Sizes, log: Log, tmpDir: string): Promise<Sections> {
  const api = new Api(stack.httpUrl);
  const maxMembers = Math.max(100, ...sizes.sendMembers, ...sizes.deliveryMembers, ...SEND_COST_MEMBERS);

  log('fixtures: users, contacts, conversations and messages through the data layer (BatchWrite)');
  const seeding = Date.now();
  const world = await buildWorld({ conversations: sizes.conversations, contacts: sizes.contacts, historyMessages: sizes.historyMessages, crowd: maxMembers });
  const fixtures = { users: 3 + world.crowd.length, conversations: world.conversations, contacts: world.contacts, historyMessages: world.history.messages, seconds: (Date.now() - seeding) / 1000, bcryptCost: config.bcryptCost };
  const samples = { ...routeSamples(world), ...extraSamples(world) } as Record<string, () => BenchRequest>;
  // Every handler answers one request first: the tables measure warm containers (cold starts have their own table).
  for (const sample of Object.values(samples)) await call(api, sample());

  log('round trips and consumed capacity per operation');
  const meter = await capacityMeter();
  const capacity = await measureCapacity(meter, api, samples);
  log(`send cost at ${SEND_COST_MEMBERS.join(', ')} members`);
  const sendCost = await measureSendCost(meter, api, world);

  const frames = await measureFrameCosts(stack, meter, sizes.frames, log);

  log(`live delivery over WebSocket to ${sizes.deliveryMembers.join(', ')} online members`);
  const delivery: DeliveryPoint[] = [];
  const probe = deliveryProbe(stack, meter);
  for (const members of sizes.deliveryMembers) {
    const { conversationId, users } = await deliveryConversation(world, members);
    // 2,000 sockets per send: fewer sequential sends keep the full run under 10 minutes.
    const point = await measureDelivery(stack.wsUrl, conversationId, users, members > 500 ? Math.ceil(sizes.deliveryIterations / 5) : sizes.deliveryIterations, sizes.burst, probe);
    log(`  ${members} members (${point.recipientSockets} sockets): p50 ${point.p50.toFixed(1)} ms, ack p50 ${point.ack.p50.toFixed(1)} ms, ${point.messagesPerSecond.toFixed(1)} msg/s`);
    delivery.push(point);
  }

  log('handler durations (direct invocation, for the Lambda cost estimate)');
  const handlerMs: Record<string, Summary> = {};
  for (const name of ['messageSend', `message/send (group of ${world.groupSize})`, 'messageHistory', 'conversationGetlist']) {
    const handler = await loadHandler(samples[name]!().route.entry);
    handlerMs[name] = summarize(await timeEach(sizes.durationRuns, () => invoke(handler, name, httpEvent(samples[name]!()), 30_000), 3));
  }
  // What a login cannot avoid: one bcrypt compare at the configured cost.
  const hash = await bcrypt.hash(BENCH_PASSWORD, config.bcryptCost);
  const bcryptMs = summarize(await timeEach(sizes.durationRuns, () => bcrypt.compare(BENCH_PASSWORD, hash)));
  const cost = estimateCosts(world.groupSize, capacity, handlerMs, delivery);

  log('HTTP endpoints with autocannon, concurrency 1 and 32');
  const http: HttpResult[] = [];
  for (const test of httpCases(world).filter((c) => !sizes.only || sizes.only.http.includes(c.name))) {
    for (const connections of [1, 32]) {
      const result = await loadTest(stack.httpUrl, test, connections, sizes.httpSeconds);
      log(`  ${describeHttp(result)}`);
      http.push(result);
      await drained(api, samples.userProfile!());
    }
  }

  log(`scale: send latency for ${sizes.sendMembers.join(', ')} members`);
  const send = await sendScale(api, world.owner, world.crowd, sizes.sendMembers, sizes.samples);
  log(`scale: history latency at ${sizes.historySizes.join(', ')} messages`);
  const history = await historyScale(api, world.owner, sizes.historySizes, sizes.samples);
  log(`scale: getlist latency at ${sizes.getlistSizes.join(', ')} conversations`);
  const getlist = await getlistScale(api, world.peer, sizes.getlistSizes, sizes.samples);

  log(`groups: members/add (${sizes.groupAdds.join(', ')} users), recall, getlist pages over ${sizes.getlistPages} conversations`);
  const groupOps = await measureGroupOps(api, meter, world.owner, world.crowd, sizes);

  log('cold starts: bundle each function, answer a first event in a fresh node process');
  const coldCases = coldStartCases(samples, world).filter((c) => !sizes.only || sizes.only.coldStarts.includes(c.name));
  const coldStarts = await measureColdStarts(coldCases, `${tmpDir}/bundles`, sizes.coldRuns);

  return { fixtures, capacity, sendCost, delivery, handlerMs, bcrypt: bcryptMs, cost, http, scale: { send, history, getlist }, coldStarts, frames, groupOps };
}

/**
 * Requests still in flight when autocannon stops (32 bcrypt logins, say) keep the CPU busy for seconds; the next row
 * starts only once a cheap request answers quickly again (or after 10 s), so it does not pay for the previous one.
 */
async function drained(api: Api, cheap: BenchRequest): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const started = performance.now();
    await call(api, cheap);
    if (performance.now() - started < 20) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

async function call(api: Api, request: BenchRequest) {
  return api.request(request.route.method, request.path, { token: request.token, ...(request.body === undefined ? {} : { body: request.body }) });
}

async function measureCapacity(meter: Meter, api: Api, samples: Record<string, () => BenchRequest>) {
  const rows: Sections['capacity'] = [];
  for (const [name, sample] of Object.entries(samples)) {
    let status = 0;
    const cost = await meter.measure(async () => void (status = (await call(api, sample())).status));
    rows.push({ name, status, ...cost });
  }
  return rows;
}

/** The send's cost must not grow with the group (issue 12): measured at these sizes, 2 being the 1:1 conversation. */
const SEND_COST_MEMBERS = [2, 100, 500, 2000];

async function measureSendCost(meter: Meter, api: Api, world: World): Promise<Sections['sendCost']> {
  const rows: Sections['sendCost'] = [];
  for (const members of SEND_COST_MEMBERS) {
    const conversationId = members === 2 ? world.single : await seedGroup([world.owner.id, ...world.crowd.slice(0, members - 1).map((u) => u.id)]);
    const send = (n: number) => call(api, { route: HTTP.messageSend, path: '/message/send', token: world.owner.token, body: { conversationId, content: `cost probe ${n}`, type: 'text', clientMessageId: `cost-${members}-${n}` } });
    await send(0); // the first send of a conversation writes its first last message: measure a steady one
    rows.push({ members, ...(await meter.measure(() => send(1))) });
  }
  return rows;
}

function deliveryProbe(stack: LocalStack, meter: Meter): DeliveryProbe {
  let pushes = 0;
  stack.ws.on('push', () => pushes++);
  return {
    pushes: () => pushes,
    handled: (routeKey) => new Promise((resolve) => {
      const onHandled = (key: string) => {
        if (key !== routeKey) return;
        stack.ws.off('handled', onHandled);
        resolve();
      };
      stack.ws.on('handled', onHandled);
    }),
    measure: (fn) => meter.measure(fn),
  };
}

/** Two members: the owner's single conversation; more: a fresh group of the owner and the first of the crowd. */
async function deliveryConversation(world: World, members: number) {
  if (members === 2) return { conversationId: world.single, users: [world.owner, world.peer] };
  const users = [world.owner, ...world.crowd.slice(0, members - 1)];
  return { conversationId: await seedGroup(users.map((u) => u.id)), users };
}

/**
 * Every function, answering its representative request: HTTP routes the samples (an unauthenticated request where
 * a route has none), WebSocket routes a frame from the owner's connection, the $connect authorizer the owner's token.
 */
function coldStartCases(samples: Record<string, () => BenchRequest>, world: World): ColdStartCase[] {
  const http = httpRoutes.map((route) => {
    const sample = samples[route.name];
    return { name: route.name, entry: route.entry, clients: sdkClientsOf(route), event: () => httpEvent(sample ? sample() : { route, path: route.path.replace(/\{\w+\}/g, '1') }) };
  });
  // The $default row answers a path no row has.
  const unmatched = { name: HTTP_DEFAULT.name, entry: HTTP_DEFAULT.entry, clients: sdkClientsOf(HTTP_DEFAULT), event: () => ({ ...httpEvent({ route: { ...HTTP.userProfile, path: '/nope' }, path: '/nope' }), routeKey: HTTP_DEFAULT.routeKey }) };
  const frames: Partial<Record<keyof typeof WS, Record<string, unknown>>> = {
    fallback: { action: 'unknown' },
    sendMessage: { action: 'sendMessage', conversationId: world.single, content: 'cold', type: 'text' },
    markRead: { action: 'markRead', conversationId: world.history.conversationId, messageId: world.history.deepCursor },
    typing: { action: 'typing', conversationId: world.single },
    ping: { action: 'ping' },
  };
  const caller = { userId: world.owner.id, token: world.owner.token };
  const ws = (Object.entries(WS) as Array<[keyof typeof WS, WsRoute]>).flatMap(([key, route]) => {
    const request = () => ({ route, ...caller, connectionId: `cold${Math.random().toString(36).slice(2, 10)}`, frame: frames[key] });
    const authorizer = route.authorizer;
    return [
      { name: route.name, entry: route.entry, clients: sdkClientsOf(route), event: () => wsEvent(request()) },
      ...(authorizer ? [{ name: authorizer.name, entry: authorizer.entry, clients: sdkClientsOf({ ...route, access: authorizer.access }), event: () => wsEvent(request(), true) }] : []),
    ];
  });
  return [...http, unmatched, ...ws];
}

/** Dollars per million messages for a 1:1 chat and a group, from the measured units and handler durations. */
function estimateCosts(groupSize: number, capacity: Sections['capacity'], handlerMs: Record<string, Summary>, delivery: DeliveryPoint[]): CostScenario[] {
  const row = (name: string) => {
    const found = capacity.find((r) => r.name === name);
    if (!found) throw new Error(`no capacity measurement for ${name}`);
    return found;
  };
  const common = [
    `Lambda arm64 at ${LAMBDA_MEMORY_MB} MB (the CDK stack's setting), billed for the p50 handler duration measured here (warm), rounded up to 1 ms`,
    'DynamoDB units as DynamoDB Local reported them (ReturnConsumedCapacity TOTAL) for one send, transactions recounted per item as AWS bills them (2 units per KB of each item; see the table above)',
    'every message < 32 KB, so one WebSocket message per frame in and per PostToConnection out',
  ];
  const overWs = delivery.flatMap((point) =>
    point.members === 2 || point.members === groupSize
      ? [messageScenario(`${point.members === 2 ? '1:1 chat' : `group of ${groupSize}`} over WebSocket (sendMessage)`, {
          cost: point.cost,
          handlerMs: point.handler.p50,
          httpRequests: 0,
          wsMessages: 1 + point.pushesPerMessage,
          assumptions: [...common, 'WebSocket: the frame in plus the PostToConnection calls counted in the delivery run (every member online: two connections each in a 1:1 chat, one each in the group, the ack to the sender included); handler duration from the frame leaving the sender to the handler returning'],
        })]
      : [],
  );
  const groupName = `message/send (group of ${groupSize})`;
  const overHttp = [
    messageScenario('1:1 chat (POST /message/send)', { cost: row('messageSend'), handlerMs: handlerMs.messageSend!.p50, httpRequests: 1, wsMessages: 1, assumptions: [...common, 'HTTP send: the request plus one PostToConnection per other member (one connection each, assumed: measured with nobody online); handler duration by direct invocation'] }),
    messageScenario(`group of ${groupSize} (POST /message/send)`, { cost: row(groupName), handlerMs: handlerMs[groupName]!.p50, httpRequests: 1, wsMessages: groupSize - 1, assumptions: [] }),
  ];
  return [...overWs, ...overHttp];
}
