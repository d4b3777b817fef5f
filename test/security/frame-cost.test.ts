import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestStack } from '../support/stack.ts';
import { Api } from '../support/client.ts';
import type { Cost, Meter } from '../bench/capacity.ts';
import { WsClient, routeHandled } from '../support/ws-client.ts';
import type { LocalStack } from '../../infra/local/stack.ts';

/**
 * What one typing or markRead frame costs in DynamoDB (calls, sequential round trips, capacity units), served and
 * refused by its per-user limit: a refused frame of a flood costs at most one counter write and no reads, and once
 * the container knows the window is full, no DynamoDB call at all.
 */
const LIMIT = 3;
let stack: LocalStack;
let api: Api;
let meter: Meter;
beforeAll(async () => {
  stack = await startTestStack({ LIMIT_TYPING_MAX: String(LIMIT), LIMIT_TYPING_WINDOW_SECONDS: '1000000000', LIMIT_MARK_READ_MAX: String(LIMIT), LIMIT_MARK_READ_WINDOW_SECONDS: '1000000000' });
  api = new Api(stack.httpUrl);
  // Loaded once the stack has set the handlers' configuration (the data layer reads it at import).
  meter = await (await import('../bench/capacity.ts')).capacityMeter();
});
afterAll(() => stack?.stop());

describe.each(['typing', 'markRead'] as const)('one %s frame', (action) => {
  it('costs a few calls when served, no DynamoDB call when refused', async () => {
    const [user, peer] = await Promise.all([api.newUser('framer'), api.newUser('peer')]);
    const conversationId = await api.conversation(user.token, peer.id);
    const messageIds: number[] = [];
    for (let i = 0; i < 50; i++) messageIds.push((await api.post('/message/send', { conversationId, content: `m${i}` }, peer.token)).body.data.id);
    const [client] = await Promise.all([WsClient.connect(stack.wsUrl, user.token), WsClient.connect(stack.wsUrl, peer.token)]);
    const frame = (i: number) => ({ action, conversationId, ...(action === 'markRead' ? { messageId: messageIds[i % messageIds.length] } : {}) });
    const costs: Cost[] = [];
    for (let i = 0; i < LIMIT + 2; i++) {
      const handled = routeHandled(stack, action);
      costs.push(await meter.measure(async () => {
        client.send(frame(i));
        await handled;
      }));
    }
    const row = (c: Cost) => `${c.calls} calls (${c.operations.join(', ')}), ${c.sequential} sequential, ${c.readUnits} RCU, ${c.writeUnits} WCU`;
    console.log(`[frame-cost] ${action} served: ${row(costs[0]!)} | refused: ${row(costs[LIMIT]!)}`);
    expect(costs[0]!.operations).not.toContain('Scan');
    // This container counted the window's maximum itself, so it refuses without asking the table. (A container
    // that did not asks once, one conditional write, and then knows.)
    for (const refused of costs.slice(LIMIT)) expect([refused.calls, refused.readUnits]).toEqual([0, 0]);
    await client.close();
  });
});
