import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { startTestStack } from '../support/stack.ts';
import { Api, type TestUser } from '../support/client.ts';
import { WsClient } from '../support/ws-client.ts';
import { jsonSchemaOf } from '../support/route-requests.ts';
import { anyJson, malformedJson, objectFor } from '../support/fuzz-arbitraries.ts';
import { wsRoutes } from '../../shared/routes.ts';
import type { LocalStack } from '../../infra/local/stack.ts';

/**
 * Fuzzing every WebSocket action from its zod schema (seeded like the HTTP fuzzer): frames shaped by the schema,
 * wrong actions, wrong types, malformed and deeply nested JSON. Expected: every frame handled, no INTERNAL_ERROR
 * frame, the connection kept open, and no change to another user's data.
 */
const SEED = Number(process.env.FUZZ_SEED ?? 20261126);
const CASES_PER_ACTION = Number(process.env.FUZZ_CASES ?? 200);

let stack: LocalStack;
let api: Api;
let fuzzer: TestUser;
let victim: TestUser;
let victimConversationId: number;
let knownIds: number[];

beforeAll(async () => {
  stack = await startTestStack({ BCRYPT_COST: '4' });
  api = new Api(stack.httpUrl);
  const [f, v, friend] = (await Promise.all([api.newUser('fuzzer'), api.newUser('victim'), api.newUser('friend')])) as TestUser[];
  fuzzer = f!;
  victim = v!;
  victimConversationId = await api.conversation(victim.token, friend!.id);
  const own = await api.conversation(fuzzer.token, friend!.id);
  const sent = await api.post('/message/send', { conversationId: victimConversationId, content: 'private' }, victim.token);
  expect((await api.post(`/user/ban/${fuzzer.id}`, undefined, victim.token)).status).toBe(200);
  knownIds = [victim.id, friend!.id, fuzzer.id, victimConversationId, own, sent.body.data.id];
});
afterAll(() => stack?.stop());

const victimView = async () => JSON.stringify(await Promise.all(['/conversation/getlist', `/message/history/${victimConversationId}?limit=100`].map(async (path) => (await api.get(path, victim.token)).body)));

/** Nested deep enough to stress a parser, small enough to stay under the 128 KB frame limit. */
const nested = fc.integer({ min: 1000, max: 20_000 }).map((depth) => '['.repeat(depth) + ']'.repeat(depth));

describe('fuzzing every WebSocket action from its schema', () => {
  it(`survives ${CASES_PER_ACTION} seeded frames per action with no server error and the connection kept`, async () => {
    const before = await victimView();
    const client = await WsClient.connect(stack.wsUrl, fuzzer.token);
    let handled = 0;
    const onHandled = () => void handled++;
    stack.ws.on('handled', onHandled);
    const actions = wsRoutes.filter((r) => !r.routeKey.startsWith('$'));
    const rows: Record<string, { frames: number }> = {};
    let frames = 0;
    for (const [index, route] of actions.entries()) {
      const schema = route.request?.body ? jsonSchemaOf(route.request.body) : { properties: {} };
      const frame = fc.oneof(
        { weight: 8, arbitrary: objectFor(schema, knownIds).map((body) => JSON.stringify({ ...body, action: route.routeKey })) },
        { weight: 1, arbitrary: fc.tuple(anyJson, fc.constantFrom(route.routeKey, '', 'SENDMESSAGE', '$connect', '__proto__')).map(([body, action]) => JSON.stringify(typeof body === 'object' && body !== null && !Array.isArray(body) ? { ...body, action } : body) ?? 'null') },
        { weight: 1, arbitrary: malformedJson },
        { weight: 1, arbitrary: nested },
      );
      const cases = fc.sample(frame, { numRuns: CASES_PER_ACTION, seed: SEED + 100 + index });
      for (const text of cases) {
        client.send(text.length > 0 ? text : ' ');
        frames++;
        if (frames % 20 === 0) await new Promise((resolve) => setTimeout(resolve, 20)); // paced, like a busy client
      }
      rows[route.routeKey] = { frames: cases.length };
    }
    const deadline = Date.now() + 60_000;
    while (handled < frames && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    await new Promise((resolve) => setTimeout(resolve, 300));
    stack.ws.off('handled', onHandled);
    const internalErrors = client.frames.filter((f) => f.event === 'error' && (f.code === 'INTERNAL_ERROR' || f.code === 'SERVICE_UNAVAILABLE')).length;
    const open = client.socket.readyState === client.socket.OPEN;
    const after = await victimView();
    console.table(rows);
    console.log(`[fuzz-ws] seed=${SEED} actions=${actions.length} frames=${frames} handled=${handled} errorFrames=${client.frames.filter((f) => f.event === 'error').length} serverErrors=${internalErrors} connectionOpen=${open} otherUsersDataChanged=${before === after ? 0 : 1}`);
    expect(handled).toBe(frames);
    expect(internalErrors).toBe(0);
    expect(open).toBe(true);
    expect(after).toBe(before);
    await client.close();
  });
});
