import type { Machine } from './machine.ts';
import { DYNAMO_WARMUP_PAIRS, type DynamoFloor, type RelayFloor } from './floor.ts';
import type { Sections } from './sections.ts';
import { PRICES } from './cost.ts';
import { renderGroupOps } from './group-ops.ts';
import { fmt, type Summary } from './stats.ts';
import { renderFrameCosts } from './frames-report.ts';

export type BenchResults = {
  mode: 'quick' | 'full';
  startedAt: string;
  durationSeconds: number;
  /** 1-minute load average when the run finished (the machine's at the start is in `machine`). */
  loadAtEnd: number;
  machine: Machine;
  floor: { relay: RelayFloor[]; dynamo: DynamoFloor };
  /** FAN_OUT_THRESHOLD of the run: above it a send's pushes went through the queue. */
  fanOutThreshold: number;
} & Sections;

/** Goals from the issue; the report says where each stands, it does not tune anything to them. */
const GOALS = { sendVsFloor: 1.5, oneToOneVsFloor: 2, largeGroup: { members: 500, vsRelayFloor: 5 }, roundTrips: 3, overFloorKb: 100, loadVsFloor: 1.3, flatRatio: 1.5 };

function table(headers: string[], rows: Array<Array<string | number>>): string {
  return [`| ${headers.join(' | ')} |`, `|${headers.map(() => '---').join('|')}|`, ...rows.map((row) => `| ${row.join(' | ')} |`)].join('\n');
}

const summaryCells = (s: Summary) => [fmt(s.p50), fmt(s.p95), fmt(s.p99)];
const kb = (bytes: number) => (bytes / 1024).toFixed(1);
const money = (usd: number) => `$${usd < 1 ? usd.toFixed(3) : usd.toFixed(2)}`;
const mark = (ok: boolean) => (ok ? '✅ met' : '❌ not met');

export function renderReport(r: BenchResults): string {
  const m = r.machine;
  /** What a send to this many sockets cannot beat: the bare relay plus DynamoDB Local's minimal work. */
  const relayFloor = (recipients: number) => r.floor.relay.find((f) => f.recipients === recipients)?.p50 ?? Number.NaN;
  const floorSend = (recipients: number) => relayFloor(recipients) + r.floor.dynamo.putThenQuery.p50;
  const out: string[] = [];
  out.push(`# Benchmark report (${r.mode} run)`);
  out.push(`Made by \`npm run bench${r.mode === 'quick' ? ' -- --quick' : ''}\` on ${r.startedAt} in ${r.durationSeconds} s. Every number below was measured in this one run on this one machine, against the local stack (the real handlers behind the local gateway, DynamoDB Local's jar); absolute numbers on AWS differ, the ratios and the shapes are the point.`);

  out.push('## Machine');
  out.push(table(['cpu', 'cores', 'memory', 'os', 'node', 'java', 'load avg (1 min) start → end'], [[m.cpu, m.cores, `${m.memoryGb} GB`, m.os, m.node, m.java, `${m.loadAtStart} → ${r.loadAtEnd}`]]));
  if (Math.max(m.loadAtStart, r.loadAtEnd) > m.cores) out.push(`**Caution:** the load average exceeded the ${m.cores} cores during this run: other work shared the machine, so latencies are inflated and noisier than on an idle machine.`);
  out.push(`Packages: ${Object.entries(m.packages).map(([name, version]) => `${name} ${version}`).join(', ')}.`);
  out.push(`Fixtures (written through the data layer with BatchWrite, not HTTP, in ${fmt(r.fixtures.seconds)} s): ${r.fixtures.users} users, a user with ${r.fixtures.conversations} conversations (each with a last message) and ${r.fixtures.contacts} contacts, a conversation of ${r.fixtures.historyMessages} messages. bcrypt cost factor: **${r.fixtures.bcryptCost}** (the deployed default). Handlers log at WARN; abuse limits raised so nothing is throttled.`);

  out.push('## 1. The floor');
  out.push('A bare `ws` server in this process relaying one ~200-byte frame to N sockets (no database, no Lambda), time until every socket has it:');
  out.push(table(['recipients', 'p50 ms', 'p95 ms', 'p99 ms'], r.floor.relay.map((f) => [f.recipients, ...summaryCells(f)])));
  out.push(`DynamoDB Local's own latency for the least a send must do, called directly with the SDK, after ${DYNAMO_WARMUP_PAIRS.toLocaleString('en-US')} warm-up calls of each (its JVM compiles its hot paths over the first thousands of requests; the sections below run against a warm one):`);
  const d = r.floor.dynamo;
  out.push(table(['operation', 'p50 ms', 'p95 ms', 'p99 ms'], [
    ['conditional PutItem', ...summaryCells(d.put)],
    ['Query (newest 50)', ...summaryCells(d.query)],
    ['PutItem then Query', ...summaryCells(d.putThenQuery)],
    ['3 Queries at once (one round trip of 3 calls)', ...summaryCells(d.parallelQueries)],
  ]));

  out.push('## 2. Live delivery (send → every recipient socket)');
  out.push(`Full local stack: \`sendMessage\` over the sender's WebSocket through the local WebSocket gateway, the handler (store + connection lookup, then PostToConnection through the gateway's @connections API), until the last recipient socket has the frame. Members hold two connections each up to 10 members, one each above; the sender's other connection counts as a recipient. p50/p95/p99 of sequential sends; msgs/s from a burst sent at once. Floor = the relay floor for the same number of sockets + DynamoDB Local's PutItem-then-Query p50.`);
  out.push(`Above ${r.fanOutThreshold} recipient connections the sender acks and queues the others in shards for the fan-out function (SQS; locally infra/local/sqs-local.ts), so its handler returns before the last push. msgs/s (burst) is the hot-group throughput: messages sent at once into one conversation with every member online, until every recipient socket has every one. Ack = the frame leaving the sender until its ack arrives. Relay floor = the bare relay to the same number of sockets.`);
  out.push(table(['members', 'recipient sockets', 'path', 'p50 ms', 'p95 ms', 'p99 ms', 'ack p50 ms', 'ack p99 ms', 'msgs/s (burst)', 'burst msgs', 'pushes/msg', 'handler p50 ms', 'floor p50 ms', 'p50 / floor', 'p50 / relay floor'], r.delivery.map((p) => {
    const floor = floorSend(p.recipientSockets);
    return [p.members, p.recipientSockets, p.recipientSockets > r.fanOutThreshold ? 'queued' : 'inline', ...summaryCells(p), fmt(p.ack.p50), fmt(p.ack.p99), fmt(p.messagesPerSecond), p.burst, fmt(p.pushesPerMessage), fmt(p.handler.p50), fmt(floor), `${(p.p50 / floor).toFixed(2)}×`, `${(p.p50 / relayFloor(p.recipientSockets)).toFixed(2)}×`];
  })));

  out.push('## 3. HTTP endpoints (autocannon)');
  out.push(`Each row runs for a fixed time; autocannon in a worker thread, the gateway and handlers in the main thread, DynamoDB Local in its JVM, all on the same ${m.cores} cores. Latencies in ms (autocannon resolution: 1 ms).`);
  const names = [...new Set(r.http.map((h) => h.name))];
  out.push(table(['endpoint', 'c=1 p50', 'c=1 p99', 'c=1 req/s', 'c=32 p50', 'c=32 p99', 'c=32 req/s', 'non-2xx'], names.map((name) => {
    const one = r.http.find((h) => h.name === name && h.connections === 1)!;
    const many = r.http.find((h) => h.name === name && h.connections === 32)!;
    return [name, fmt(one.p50), fmt(one.p99), fmt(one.requestsPerSecond), fmt(many.p50), fmt(many.p99), fmt(many.requestsPerSecond), one.non2xx + many.non2xx + one.errors + many.errors];
  })));
  const login = r.http.find((h) => h.name.includes('login') && h.connections === 1);
  out.push(`Login vs bcrypt: one bcrypt compare at cost ${r.fixtures.bcryptCost} takes p50 ${fmt(r.bcrypt.p50)} ms here; login p50 at c=1 is ${fmt(login?.p50)} ms, so bcrypt is ${login ? Math.round((100 * r.bcrypt.p50) / login.p50) : '—'}% of it.`);

  out.push('## 4. Round trips and consumed capacity per operation');
  out.push('Counted by SDK middleware on the handlers\' own DynamoDB client (one request each, through the gateway, warm): `calls` is every request, `sequential` the longest chain that had to wait for the one before; units from ReturnConsumedCapacity.');
  out.push(table(['operation', 'status', 'calls', 'sequential', 'read units', 'write units (Local)', 'write units (AWS rules)', 'DynamoDB operations'], r.capacity.map((c) => [c.name, c.status, c.calls, c.sequential, fmt(c.readUnits), fmt(c.writeUnits), fmt(c.writeUnitsAws), c.operations.join(', ')])));
  out.push('One text `POST /message/send` with a `clientMessageId`, nobody online, as the group grows (issue 12: at most 4 write units and 3 sequential round trips before the first push, at every size). The units: the rate-limit counter, the seq allocation (conversation item), the message, the sender\'s membership (own seq, client id):');
  out.push(table(['members', 'calls', 'sequential', 'read units', 'write units (Local)', 'write units (AWS rules)', 'DynamoDB operations'], r.sendCost.map((c) => [c.members, c.calls, c.sequential, fmt(c.readUnits), fmt(c.writeUnits), fmt(c.writeUnitsAws), c.operations.join(', ')])));
  out.push('One WebSocket `sendMessage` with every member online (from the delivery run):');
  out.push(table(['operation', 'calls', 'sequential', 'read units', 'write units (Local)', 'write units (AWS rules)', 'DynamoDB operations'], r.delivery.map((p) => [`ws sendMessage, ${p.members} members online`, p.cost.calls, p.cost.sequential, fmt(p.cost.readUnits), fmt(p.cost.writeUnits), fmt(p.cost.writeUnitsAws), p.cost.operations.join(', ')])));
  out.push('DynamoDB Local reports a transaction as 2 units per KB of all its items together; AWS bills 2 units per KB of each item, rounded up per item. "AWS rules" adds 2 units per extra item of each transaction: exact for items under 1 KB, an upper bound otherwise. The cost estimate uses it.');
  out.push('HTTP handler durations (direct invocation of the warm handler, no gateway), which the Lambda cost of HTTP sends uses:');
  out.push(table(['handler', 'p50 ms', 'p95 ms', 'p99 ms'], Object.entries(r.handlerMs).map(([name, s]) => [name, ...summaryCells(s)])));
  out.push('### Estimated AWS cost per million messages (us-east-1 list prices)');
  out.push(`Prices: WebSocket $${PRICES.wsMessagePerMillion}/M messages (32 KB steps, each PostToConnection one message), $${PRICES.wsConnectionMinutePerMillion}/M connection-minutes; HTTP API $${PRICES.httpRequestPerMillion}/M requests; Lambda arm64 $${PRICES.lambdaRequestPerMillion}/M requests + $${PRICES.lambdaGbSecond}/GB-s; DynamoDB on-demand $${PRICES.writeUnitPerMillion}/M write units, $${PRICES.readUnitPerMillion}/M read units.`);
  out.push(table(['scenario', 'HTTP req', 'WS msgs', 'Lambda ms', 'RRU', 'WRU', 'API $', 'Lambda $', 'DynamoDB $', 'total $/M msgs'], r.cost.map((c) => [c.name, c.work.httpRequests, c.work.wsMessages, Math.ceil(c.work.lambdaMs), fmt(c.work.readUnits), fmt(c.work.writeUnits), money(c.perMillion.api), money(c.perMillion.lambda), money(c.perMillion.dynamodb), `**${money(c.perMillion.total)}**`])));
  out.push(`Assumptions: ${[...new Set(r.cost.flatMap((c) => c.assumptions))].join('; ')}. Connection-minutes: a user online 8 h a day is 14,400 connection-minutes a month, $${((14_400 * PRICES.wsConnectionMinutePerMillion) / 1e6).toFixed(4)} per user-month whatever they send. Not included: data transfer, CloudWatch logs, the $connect/$disconnect invocations, Secrets Manager.`);

  out.push('## 5. Cold start per function');
  out.push(`Each function bundled exactly as the CDK stack bundles it (\`infra/cdk/bundling.ts\`: esbuild, ESM, minified, target node22, AWS SDK included, source map beside it and not counted); then, per run, a fresh \`node\` process (without --enable-source-maps, as the stack runs them; Node ${m.node} here, 22 on Lambda) imports the bundle and answers one real event against DynamoDB Local (WebSocket functions: a frame from a connection the local gateway does not know, so their pushes get 410). Next to it, its SDK floor: a bundle of only the SDK clients the function uses, made through the same lazily imported tracer (\`shared/tracing.ts\`; tracing is off here, as locally), built and imported the same way (\`test/bench/sdk-floor.ts\`), its imports in alternation with the function's cold processes so both see the same load. p50 of the runs; "process" includes starting node itself.`);
  out.push(table(['function', 'bundle KB', 'floor KB', 'over KB', 'load ms', 'floor load ms', 'load ÷ floor', 'first answer ms', 'load + answer ms', 'process ms', 'status', 'runs'], r.coldStarts.map((c) => [c.name, kb(c.bytes), kb(c.floorBytes), kb(c.bytes - c.floorBytes), fmt(c.loadMs), fmt(c.floorLoadMs), `${(c.loadMs / c.floorLoadMs).toFixed(2)}×`, fmt(c.firstInvokeMs), fmt(c.loadAndAnswerMs), fmt(c.processMs), String(c.status), c.runs])));

  out.push('## 6. Scale of work');
  out.push('Send (POST /message/send, sequential, recipients offline) as the group grows:');
  out.push(table(['members', 'p50 ms', 'p95 ms', 'p99 ms'], r.scale.send.map((p) => [p.members, ...summaryCells(p)])));
  out.push('History as one conversation grows (sequential GETs; deep page = just after the oldest 50 messages):');
  out.push(table(['messages', 'newest p50', 'newest p99', 'deep p50', 'deep p99'], r.scale.history.map((p) => [p.messages, fmt(p.first.p50), fmt(p.first.p99), fmt(p.deep.p50), fmt(p.deep.p99)])));
  out.push('getlist as the user\'s conversations grow:');
  out.push(table(['conversations', 'p50 ms', 'p95 ms', 'p99 ms'], r.scale.getlist.map((p) => [p.conversations, ...summaryCells(p)])));

  out.push(...renderFrameCosts(r.frames));
  out.push(renderGroupOps(r.groupOps));

  out.push('## Goals');
  const history = r.scale.history;
  const historyRatio = Math.max(history.at(-1)!.first.p50 / history[0]!.first.p50, history.at(-1)!.deep.p50 / history[0]!.deep.p50);
  const getlist = r.scale.getlist;
  const getlistRatio = getlist.at(-1)!.p50 / getlist[0]!.p50;
  const getlistTrips = r.capacity.find((c) => c.name === 'conversationGetlist')?.sequential ?? '—';
  const worstTrips = r.capacity.reduce((worst, c) => (c.sequential > worst.sequential ? c : worst));
  const biggest = r.coldStarts.reduce((a, b) => (b.bytes - b.floorBytes > a.bytes - a.floorBytes ? b : a));
  const slowest = r.coldStarts.reduce((a, b) => (b.loadMs / b.floorLoadMs > a.loadMs / a.floorLoadMs ? b : a));
  const loginShare = login ? r.bcrypt.p50 / login.p50 : Number.NaN;
  const deliveryRatio = (p: BenchResults['delivery'][number]) => p.p50 / floorSend(p.recipientSockets);
  const worstDelivery = r.delivery.length ? r.delivery.reduce((a, b) => (deliveryRatio(b) > deliveryRatio(a) ? b : a)) : undefined;
  const oneToOne = r.delivery.find((p) => p.members === 2);
  const large = r.delivery.find((p) => p.members === GOALS.largeGroup.members);
  out.push(table(['goal', 'measured', 'status'], [
    [`1:1 delivery p50 ≤ ${GOALS.oneToOneVsFloor}× the floor`, oneToOne ? `p50 ${fmt(oneToOne.p50)} ms vs floor ${fmt(floorSend(oneToOne.recipientSockets))} ms (${deliveryRatio(oneToOne).toFixed(2)}×)` : 'not measured', mark(!!oneToOne && deliveryRatio(oneToOne) <= GOALS.oneToOneVsFloor)],
    [`${GOALS.largeGroup.members} members: p50 to the last recipient ≤ ${GOALS.largeGroup.vsRelayFloor}× the relay floor`, large ? `p50 ${fmt(large.p50)} ms vs relay floor ${fmt(relayFloor(large.recipientSockets))} ms (${(large.p50 / relayFloor(large.recipientSockets)).toFixed(2)}×)` : 'not measured', mark(!!large && large.p50 / relayFloor(large.recipientSockets) <= GOALS.largeGroup.vsRelayFloor)],
    [`full-path send p50 ≤ ${GOALS.sendVsFloor}× the floor`, worstDelivery ? `worst: ${worstDelivery.members} members, p50 ${fmt(worstDelivery.p50)} ms vs floor ${fmt(floorSend(worstDelivery.recipientSockets))} ms (${deliveryRatio(worstDelivery).toFixed(2)}×)` : 'not measured', mark(!!worstDelivery && deliveryRatio(worstDelivery) <= GOALS.sendVsFloor)],
    [`history flat as messages grow (${history[0]!.messages} → ${history.at(-1)!.messages})`, `p50 grows ×${historyRatio.toFixed(2)} at worst (newest or deep page)`, mark(historyRatio <= GOALS.flatRatio)],
    [`getlist flat as conversations grow (${getlist[0]!.conversations} → ${getlist.at(-1)!.conversations})`, `p50 grows ×${getlistRatio.toFixed(2)}; round trips stay at ${getlistTrips} sequential (table 4), the items read grow with the conversations`, mark(getlistRatio <= GOALS.flatRatio)],
    [`≤ ${GOALS.roundTrips} sequential round trips per HTTP endpoint`, `worst: ${worstTrips.name} with ${worstTrips.sequential}`, mark(worstTrips.sequential <= GOALS.roundTrips)],
    [`every bundle ≤ ${GOALS.overFloorKb} KB over its SDK floor`, `worst: ${biggest.name} ${kb(biggest.bytes)} KB, ${kb(biggest.bytes - biggest.floorBytes)} KB over`, mark(biggest.bytes - biggest.floorBytes <= GOALS.overFloorKb * 1024)],
    [`every bundle imports in ≤ ${GOALS.loadVsFloor}× its floor's time`, `worst: ${slowest.name} ${fmt(slowest.loadMs)} ms vs ${fmt(slowest.floorLoadMs)} ms (${(slowest.loadMs / slowest.floorLoadMs).toFixed(2)}×)`, mark(slowest.loadMs / slowest.floorLoadMs <= GOALS.loadVsFloor)],
    [`login dominated by bcrypt (cost ${r.fixtures.bcryptCost})`, `bcrypt ${fmt(r.bcrypt.p50)} ms of ${fmt(login?.p50)} ms login p50 (${Math.round(loginShare * 100)}%)`, mark(loginShare >= 0.5)],
  ]));
  return out.join('\n\n') + '\n';
}
