import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { startTestStack } from '../support/stack.ts';
import { Api, type TestUser } from '../support/client.ts';
import { fieldsOf, jsonSchemaOf, requestFor, type Where } from '../support/route-requests.ts';
import { anyJson, deeplyNested, malformedJson, objectFor, valueFor } from '../support/fuzz-arbitraries.ts';
import { httpRoutes, type HttpRoute } from '../../shared/routes.ts';
import type { LocalStack } from '../../infra/local/stack.ts';

/**
 * Fuzzing every HTTP route from its zod schemas with fast-check: seeded (FUZZ_SEED to reproduce or vary), at least
 * CASES_PER_ROUTE cases per route. Expected: no response ≥ 500, no hang, every answer the JSON envelope, and no
 * change to another user's data (the fuzzer knows the victim's ids and aims at them).
 */
const SEED = Number(process.env.FUZZ_SEED ?? 20261126);
const CASES_PER_ROUTE = Number(process.env.FUZZ_CASES ?? 200);
const CONCURRENCY = 6;
const HANG_MS = 15_000;

let stack: LocalStack;
let api: Api;
let fuzzer: TestUser;
let victim: TestUser;
let knownIds: number[];
let victimToken: string;

type Snapshot = Record<string, unknown>;
let victimConversationId: number;

async function victimSnapshot(): Promise<Snapshot> {
  const paths = ['/user/profile', '/contacts/list', '/conversation/getlist', `/message/history/${victimConversationId}?limit=100`, `/conversation/members?conversationId=${victimConversationId}`];
  const responses = await Promise.all(paths.map((path) => api.get(path, victimToken)));
  return Object.fromEntries(paths.map((path, i) => [path, { status: responses[i]!.status, body: responses[i]!.body }]));
}

beforeAll(async () => {
  stack = await startTestStack({ BCRYPT_COST: '4', LIMIT_LOGIN_FAILURES_PER_ACCOUNT_MAX: '1000000' });
  api = new Api(stack.httpUrl);
  const [f, v, friend] = await Promise.all([api.newUser('fuzzer'), api.newUser('victim'), api.newUser('friend')]);
  fuzzer = f!;
  victim = v!;
  victimToken = victim.token;
  victimConversationId = await api.conversation(victim.token, friend!.id);
  const fuzzerConversationId = await api.conversation(fuzzer.token, friend!.id);
  await api.post('/message/send', { conversationId: victimConversationId, content: 'private to victim and friend' }, victim.token);
  await api.post('/contacts/add', { id: friend!.id }, victim.token);
  // The victim blocks the fuzzer, so nothing the fuzzer may legitimately do reaches the victim's data.
  expect((await api.post(`/user/ban/${fuzzer.id}`, undefined, victim.token)).status).toBe(200);
  knownIds = [victim.id, friend!.id, fuzzer.id, victimConversationId, fuzzerConversationId];
});
afterAll(() => stack?.stop());

type Body = { kind: 'json'; value: unknown } | { kind: 'raw'; text: string } | { kind: 'none' };
type FuzzCase = { values: Record<Where, Record<string, unknown>>; body: Body; token: 'valid' | 'none' | string; rawQuery: string };

function caseArbitrary(route: HttpRoute): fc.Arbitrary<FuzzCase> {
  const fields = fieldsOf(route);
  const part = (where: Where) => {
    const model = Object.fromEntries(fields.filter((f) => f.where === where).map((f) => [f.name, valueFor(f.schema, knownIds)]));
    // Path parameters are always present (the route would not match otherwise); query fields come and go.
    return fc.record(model, where === 'params' ? {} : { requiredKeys: [] });
  };
  const bodySchema = route.request?.body ? jsonSchemaOf(route.request.body) : { properties: {} };
  const body: fc.Arbitrary<Body> =
    route.method === 'GET'
      ? fc.constant({ kind: 'none' })
      : fc.oneof(
          { weight: 8, arbitrary: objectFor(bodySchema, knownIds).map((value): Body => ({ kind: 'json', value })) },
          { weight: 1, arbitrary: anyJson.map((value): Body => ({ kind: 'json', value })) },
          { weight: 1, arbitrary: malformedJson.map((text): Body => ({ kind: 'raw', text })) },
          { weight: 1, arbitrary: deeplyNested.map((text): Body => ({ kind: 'raw', text })) },
          { weight: 1, arbitrary: fc.integer({ min: 60 * 1024, max: 2 * 1024 * 1024 }).map((size): Body => ({ kind: 'raw', text: `{"content":"${'a'.repeat(size)}"}` })) },
          { weight: 1, arbitrary: fc.constant<Body>({ kind: 'none' }) },
        );
  const token = fc.oneof({ weight: 17, arbitrary: fc.constant('valid') }, { weight: 1, arbitrary: fc.constant('none') }, { weight: 2, arbitrary: fc.string({ maxLength: 300 }) });
  const rawQuery = fc.oneof({ weight: 9, arbitrary: fc.constant('') }, { weight: 1, arbitrary: fc.constantFrom('&%ZZ=1', '&a[]=1&a[]=2', '&contactId=1&contactId=2', '&=', '&limit=1e400', '&__proto__=x') });
  return fc.record({ values: fc.record({ params: part('params'), query: part('query'), body: fc.constant({}) }), body, token, rawQuery });
}

/** Refused by the gateway before any Lambda ran (no envelope there, as on API Gateway): no route, URL too long. */
type Outcome = { status: number; envelope: boolean; hung: boolean; gateway: boolean };

async function send(route: HttpRoute, testCase: FuzzCase, token: string): Promise<Outcome> {
  const params = Object.fromEntries(Object.entries(testCase.values.params).map(([k, v]) => [k, typeof v === 'string' && v === '' ? ' ' : String(v)]));
  const { path } = requestFor(route, { params, query: testCase.values.query });
  const url = stack.httpUrl + path + (testCase.rawQuery ? (path.includes('?') ? testCase.rawQuery : `?${testCase.rawQuery.slice(1)}`) : '');
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (testCase.token === 'valid') headers.token = token;
  else if (testCase.token !== 'none') headers.authorization = `Bearer ${testCase.token}`;
  const body = testCase.body.kind === 'json' ? JSON.stringify(testCase.body.value) ?? 'null' : testCase.body.kind === 'raw' ? testCase.body.text : undefined;
  try {
    const res = await fetch(url, { method: route.method, headers, body, signal: AbortSignal.timeout(HANG_MS) });
    const text = await res.text();
    let parsed: any;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    // The gateway's own answers: "no such route" (a path segment URL normalisation removed, like ".."), or a URL
    // longer than the HTTP server accepts (431/414). Everything a handler answers must be the envelope.
    const gateway = (res.status === 404 && parsed && !('success' in parsed)) || res.status === 431 || res.status === 414;
    const envelope = gateway || (typeof parsed?.success === 'boolean' && (parsed.success || typeof parsed.code === 'string'));
    return { status: res.status, envelope, hung: false, gateway };
  } catch (error) {
    if ((error as Error).name === 'TimeoutError' || (error as Error).name === 'AbortError') return { status: 0, envelope: false, hung: true, gateway: false };
    if (error instanceof TypeError) return { status: -1, envelope: true, hung: false, gateway: true }; // the client refused to send it (invalid header)
    throw error;
  }
}

async function pool<T, R>(items: readonly T[], size: number, work: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(Array.from({ length: size }, async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index]!, index);
    }
  }));
  return results;
}

describe('fuzzing every HTTP route from its schemas', () => {
  it(`survives ${CASES_PER_ROUTE} seeded cases per route (seed ${SEED}) with no 5xx, no hang, no harm to others`, async () => {
    const before = await victimSnapshot();
    const rows: Record<string, { cases: number; '2xx': number; '4xx': number; gateway: number; '>=500': number; hangs: number; noEnvelope: number }> = {};
    const failures: string[] = [];
    for (const [routeIndex, route] of httpRoutes.entries()) {
      const cases = fc.sample(caseArbitrary(route), { numRuns: CASES_PER_ROUTE, seed: SEED + routeIndex });
      // A fresh token per route: the logout and password routes revoke it when a case happens to succeed.
      const token = (await api.post('/user/login', { username: fuzzer.username, password: fuzzer.password })).body.token as string;
      const outcomes = await pool(cases, CONCURRENCY, (testCase) => send(route, testCase, token));
      const row = { cases: outcomes.length, '2xx': 0, '4xx': 0, gateway: 0, '>=500': 0, hangs: 0, noEnvelope: 0 };
      outcomes.forEach((outcome, i) => {
        if (outcome.status >= 200 && outcome.status < 300) row['2xx']++;
        if (outcome.gateway) row.gateway++;
        else if (outcome.status >= 400 && outcome.status < 500) row['4xx']++;
        if (outcome.status >= 500) row['>=500']++;
        if (outcome.hung) row.hangs++;
        if (!outcome.envelope) row.noEnvelope++;
        if (outcome.status >= 500 || outcome.hung || !outcome.envelope) {
          failures.push(`${route.name} case ${i} (seed ${SEED + routeIndex}): ${outcome.hung ? 'hung' : outcome.status} ${JSON.stringify(cases[i]).slice(0, 200)}`);
        }
      });
      rows[route.name] = row;
    }
    const after = await victimSnapshot();
    const total = Object.values(rows).reduce((sum, row) => ({ cases: sum.cases + row.cases, errors: sum.errors + row['>=500'], hangs: sum.hangs + row.hangs }), { cases: 0, errors: 0, hangs: 0 });
    const victimChanged = JSON.stringify(before) !== JSON.stringify(after);
    console.table(rows);
    console.log(`[fuzz] seed=${SEED} routes=${httpRoutes.length} cases=${total.cases} responses>=500=${total.errors} hangs=${total.hangs} otherUsersDataChanged=${victimChanged ? 1 : 0}`);
    for (const failure of failures.slice(0, 20)) console.log(`[fuzz] FAILURE ${failure}`);
    expect(failures).toEqual([]);
    expect(after).toEqual(before);
    expect(Math.min(...Object.values(rows).map((r) => r.cases))).toBeGreaterThanOrEqual(200);
  });
});
