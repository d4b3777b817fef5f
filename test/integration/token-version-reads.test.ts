import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestStack } from '../support/stack.ts';
import { Api } from '../support/client.ts';
import { roundTripCounter } from '../support/round-trips.ts';
import { WsClient } from '../support/ws-client.ts';
import type { LocalStack } from '../../infra/local/stack.ts';

/**
 * Every frame is served only while its connection's token generation is current (shared/auth/sessions.ts). A
 * burst of frames that finds the cached generation expired reads it once, not once per frame: a hot group's
 * burst sent 500 GetItems of 50 users' versions at once, in front of the sends themselves.
 */
const CACHE_MS = 300;
const FRAMES = 20;

let stack: LocalStack;
let api: Api;
beforeAll(async () => {
  stack = await startTestStack({ BCRYPT_COST: '4', TOKEN_VERSION_CACHE_MS: String(CACHE_MS) });
  api = new Api(stack.httpUrl);
});
afterAll(() => stack?.stop());

it(`${FRAMES} frames at once, once the cached token generation expired: one read of it`, async () => {
  const counter = await roundTripCounter();
  const user = await api.newUser('burst');
  const client = await WsClient.connect(stack.wsUrl, user.token);
  await new Promise((resolve) => setTimeout(resolve, CACHE_MS * 2)); // the $connect authorizer's read has expired
  counter.reset();
  for (let i = 0; i < FRAMES; i++) client.send({ action: 'ping' });
  await client.waitFor((frame) => frame.event === 'pong', { count: FRAMES });
  expect(counter.read().operations.filter((op) => op === 'GetItem')).toHaveLength(1);
  await client.close();
});
