import bcrypt from 'bcryptjs';
import { config } from '../../shared/config.ts';
import { httpRoutes } from '../../shared/routes.ts';
import { invoke, loadHandler } from '../../infra/local/lambda.ts';
import type { LocalStack } from '../../infra/local/stack.ts';
import { Api } from '../support/client.ts';
import { buildWorld, extraSamples, httpCases, routeSamples } from './cases.ts';
import { capacityMeter, type Cost } from './capacity.ts';
import { ASSUMED_MEMORY_MB, messageScenario, type CostScenario } from './cost.ts';
import { httpEvent, type BenchRequest } from './events.ts';
import { describeHttp, loadTest, type HttpResult } from './http.ts';
import { getlistScale, historyScale, sendScale, type GetlistScalePoint, type HistoryScalePoint, type SendScalePoint } from './scale.ts';
import { measureColdStarts, type ColdStart, type ColdStartCase } from './coldstart.ts';
import { summarize, timeEach, type Summary } from './stats.ts';
import type { Log, Sizes } from './main.ts';

/** Everything measured against the running stack (the floor is measured before, without it). */
export type Sections = {
  fixtures: { users: number; conversations: number; contacts: number; historyMessages: number; seconds: number; bcryptCost: number };
  capacity: Array<{ name: string; status: number } & Cost>;
  handlerMs: Record<string, Summary>;
  bcrypt: Summary;
  cost: CostScenario[];
  http: HttpResult[];
  scale: { send: SendScalePoint[]; history: HistoryScalePoint[]; getlist: GetlistScalePoint[] };
  coldStarts: ColdStart[];
};

export async function runSections(stack: LocalStack, sizes: Sizes, log: Log, tmpDir: string): Promise<Sections> {
  const api = new Api(stack.httpUrl);
  const maxMembers = Math.max(100, ...sizes.sendMembers);

  log('fixtures: users, contacts, conversations and messages through the data layer (BatchWrite)');
  const seeding = Date.now();
  const world = await buildWorld({ conversations: sizes.conversations, contacts: sizes.contacts, historyMessages: sizes.historyMessages, crowd: maxMembers });
  const fixtures = { users: 3 + world.crowd.length, conversations: world.conversations, contacts: world.contacts, historyMessages: world.history.messages, seconds: (Date.now() - seeding) / 1000, bcryptCost: config.bcryptCost };
  const samples = { ...routeSamples(world), ...extraSamples(world) } as Record<string, () => BenchRequest>;
  // Every handler answers a few requests first: the tables measure warm containers (cold starts have their own).
  for (const sample of Object.values(samples)) await call(api, sample());

  log('round trips and consumed capacity per operation');
  const capacity = await measureCapacity(api, samples);

  log('handler durations (direct invocation, for the Lambda cost estimate)');
  const handlerMs: Record<string, Summary> = {};
  for (const name of ['messageSend', `message/send (group of ${world.groupSize})`, 'messageHistory', 'conversationGetlist']) {
    const handler = await loadHandler(samples[name]!().route.entry);
    handlerMs[name] = summarize(await timeEach(sizes.durationRuns, () => invoke(handler, name, httpEvent(samples[name]!()), 30_000), 3));
  }
  const hash = await bcrypt.hash('bench-password-1', config.bcryptCost);
  const bcryptMs = summarize(await timeEach(sizes.durationRuns, () => bcrypt.compare('bench-password-1', hash)));
  const cost = estimateCosts(world.groupSize, capacity, handlerMs);

  log('HTTP endpoints with autocannon, concurrency 1 and 32');
  const http: HttpResult[] = [];
  for (const test of httpCases(world)) {
    for (const connections of [1, 32]) {
      const result = await loadTest(stack.httpUrl, test, connections, sizes.httpSeconds);
      log(`  ${describeHttp(result)}`);
      http.push(result);
    }
  }

  log(`scale: send latency for ${sizes.sendMembers.join(', ')} members`);
  const send = await sendScale(api, world.owner, world.crowd, sizes.sendMembers, sizes.samples);
  log(`scale: history latency at ${sizes.historySizes.join(', ')} messages`);
  const history = await historyScale(api, world.owner, sizes.historySizes, sizes.samples);
  log(`scale: getlist latency at ${sizes.getlistSizes.join(', ')} conversations`);
  const getlist = await getlistScale(api, world.peer, sizes.getlistSizes, sizes.samples);

  log('cold starts: bundle each function, answer a first event in a fresh node process');
  const coldStarts = await measureColdStarts(coldStartCases(samples), `${tmpDir}/bundles`, sizes.coldRuns);

  return { fixtures, capacity, handlerMs, bcrypt: bcryptMs, cost, http, scale: { send, history, getlist }, coldStarts };
}

async function call(api: Api, request: BenchRequest) {
  return api.request(request.route.method, request.path, { token: request.token, ...(request.body === undefined ? {} : { body: request.body }) });
}

async function measureCapacity(api: Api, samples: Record<string, () => BenchRequest>) {
  const meter = await capacityMeter();
  const rows: Sections['capacity'] = [];
  try {
    for (const [name, sample] of Object.entries(samples)) {
      let status = 0;
      const cost = await meter.measure(async () => void (status = (await call(api, sample())).status));
      rows.push({ name, status, ...cost });
    }
  } finally {
    meter.detach();
  }
  return rows;
}

/** Every function, answering its representative request; a route without one answers an unauthenticated request. */
function coldStartCases(samples: Record<string, () => BenchRequest>): ColdStartCase[] {
  return httpRoutes.map((route) => {
    const sample = samples[route.name];
    return { name: route.name, entry: route.entry, event: () => httpEvent(sample ? sample() : { route, path: route.path.replace(/\{\w+\}/g, '1') }) };
  });
}

/** Dollars per million messages for a 1:1 chat and a group, from the measured units and handler durations. */
function estimateCosts(groupSize: number, capacity: Sections['capacity'], handlerMs: Record<string, Summary>): CostScenario[] {
  const row = (name: string) => {
    const found = capacity.find((r) => r.name === name);
    if (!found) throw new Error(`no capacity measurement for ${name}`);
    return found;
  };
  const common = [
    `Lambda arm64 at ${ASSUMED_MEMORY_MB} MB, billed for the p50 handler duration measured here (direct invocation, warm), rounded up to 1 ms`,
    'DynamoDB units as DynamoDB Local reported them (ReturnConsumedCapacity TOTAL) for one send, transactions recounted per item as AWS bills them (2 units per KB of each item; see the table above)',
    'every recipient online with one connection: one PostToConnection (one WebSocket message, < 32 KB) each',
    'connection-minutes are billed per connected user, not per message: see the note below the table',
  ];
  const groupName = `message/send (group of ${groupSize})`;
  return [
    messageScenario('1:1 chat (POST /message/send)', { cost: row('messageSend'), handlerMs: handlerMs.messageSend!.p50, httpRequests: 1, wsMessages: 1, assumptions: common }),
    messageScenario(`group of ${groupSize} (POST /message/send)`, { cost: row(groupName), handlerMs: handlerMs[groupName]!.p50, httpRequests: 1, wsMessages: groupSize - 1, assumptions: common }),
  ];
}
