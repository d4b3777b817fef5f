import type { Api } from '../support/client.ts';
import type { Meter, Cost } from './capacity.ts';
import type { BenchUser } from './fixtures.ts';
import { fmt, summarize, type Summary } from './stats.ts';

/**
 * Issue 13's rows: members/add (10 and 500 users at once), message/recall, and getlist pages (the first and a
 * following one over 250 conversations). Each is timed over sequential HTTP requests through the local gateway,
 * and one more request of each is counted by the DynamoDB meter (round trips, units). Nobody is online: the
 * pushes these send are the delivery table's subject.
 */
export type GroupOpPoint = { name: string; cost: Cost } & Summary;

type Op = { name: string; runs: number; prepare: (i: number) => Promise<() => Promise<unknown>> };

export async function measureGroupOps(api: Api, meter: Meter, owner: BenchUser, crowd: readonly BenchUser[], sizes: { samples: number; groupAdds: readonly number[]; getlistPages: number }): Promise<GroupOpPoint[]> {
  const { samples, getlistPages: getlistConversations } = sizes;
  // The data layer reads its configuration at import: loaded here, once the stack has set it (report.ts imports
  // this module for renderGroupOps before any stack runs).
  const { seedGroup, seedMessages, seedUsers } = await import('./fixtures.ts');
  const ok = async (request: Promise<{ status: number; body: any }>) => {
    const res = await request;
    if (res.status >= 300) throw new Error(`bench request failed: ${res.status} ${JSON.stringify(res.body).slice(0, 300)}`);
    return res.body;
  };
  const post = (path: string, body: unknown) => ok(api.post(path, body, owner.token));
  /** A fresh group of the owner alone (plus one member), then `count` of the crowd added in one call. */
  const add = (count: number): Op => ({
    name: `POST /conversation/members/add (${count} users)`,
    // 500 at once writes 1,000 items in batches: fewer runs keep the full bench in time.
    runs: count > 100 ? Math.max(3, Math.ceil(samples / 10)) : samples,
    prepare: async () => {
      const conversationId = await seedGroup([owner.id, crowd[0]!.id]);
      const userIds = crowd.slice(1, 1 + count).map((u) => u.id);
      return () => post('/conversation/members/add', { conversationId, userIds });
    },
  });
  const recallGroup = await seedGroup([owner.id, ...crowd.slice(0, 99).map((u) => u.id)]);
  const recall: Op = {
    name: 'POST /message/recall (own message, group of 100)',
    runs: samples,
    prepare: async (i) => {
      const { data: message } = await post('/message/send', { conversationId: recallGroup, content: `to recall ${i}`, type: 'text' });
      return () => post('/message/recall', { conversationId: recallGroup, messageId: message.id });
    },
  };
  // getlist pages: a reader in this many conversations, each with a last message.
  const [reader] = await seedUsers(1, 'pages');
  const ids = await Promise.all(Array.from({ length: getlistConversations }, () => seedGroup([reader!.id, owner.id])));
  await Promise.all(ids.map((id) => seedMessages(id, owner.id, 1)));
  const firstPage = () => ok(api.get('/conversation/getlist?limit=100', reader!.token));
  const { next_cursor: cursor } = await firstPage();
  const pages: Op[] = [
    { name: `GET /conversation/getlist (first page of 100, ${getlistConversations} conversations)`, runs: samples, prepare: async () => firstPage },
    { name: `GET /conversation/getlist (following page, cursor)`, runs: samples, prepare: async () => () => ok(api.get(`/conversation/getlist?limit=100&cursor=${encodeURIComponent(cursor)}`, reader!.token)) },
  ];

  const points: GroupOpPoint[] = [];
  for (const op of [...sizes.groupAdds.map(add), recall, ...pages]) {
    const latencies: number[] = [];
    for (let i = 0; i < op.runs; i++) {
      const run = await op.prepare(i);
      const started = performance.now();
      await run();
      latencies.push(performance.now() - started);
    }
    const metered = await op.prepare(op.runs);
    points.push({ name: op.name, cost: await meter.measure(metered), ...summarize(latencies) });
  }
  return points;
}

export function renderGroupOps(points: readonly GroupOpPoint[]): string {
  const head = ['operation', 'runs', 'p50 ms', 'p99 ms', 'calls', 'sequential', 'read units', 'write units (AWS rules)', 'DynamoDB operations'];
  const rows = points.map((p) => [p.name, p.n, fmt(p.p50), fmt(p.p99), p.cost.calls, p.cost.sequential, fmt(p.cost.readUnits), fmt(p.cost.writeUnitsAws), [...new Set(p.cost.operations)].join(', ')]);
  return [
    '## 8. Groups, recall and paged getlist (issue 13)',
    'Sequential HTTP requests through the local gateway, nobody online; calls and units from one more request of each under the DynamoDB meter (`sequential` is the longest chain of calls that waited for each other; adding users adds batched writes of their items, 2 per user, 16 BatchWrites in flight).',
    [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((row) => `| ${row.join(' | ')} |`)].join('\n'),
  ].join('\n\n');
}
