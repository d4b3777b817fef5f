import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { startTestStack } from '../support/stack.ts';
import { Api } from '../support/client.ts';
import { roundTripCounter, type RoundTrips } from '../support/round-trips.ts';
import { WsClient, isEvent, routeHandled } from '../support/ws-client.ts';
import type { LocalStack } from '../../infra/local/stack.ts';

/**
 * What one WebSocket send costs in DynamoDB calls, for groups of 2, 100 and 250 members: a fixed number plus one
 * BatchGet per 100 members (the connection look-up), never a Scan, and 3 sequential round trips from the frame
 * arriving to the first push (membership ∥ roster ∥ blockers ∥ rate-limit counter, then seq ∥ connections, then
 * message ∥ the sender's membership).
 */
let stack: LocalStack;
let api: Api;
let counter: Awaited<ReturnType<typeof roundTripCounter>>;
const open: WsClient[] = [];

beforeAll(async () => {
  stack = await startTestStack({ BCRYPT_COST: '4' });
  api = new Api(stack.httpUrl);
  counter = await roundTripCounter();
});
afterAll(async () => {
  await Promise.all(open.map((client) => client.close()));
  await stack?.stop();
});

/** Members beyond the two online ones are written through the data layer: registering 300 users over HTTP is slow. */
async function silentMembers(count: number): Promise<number[]> {
  const { putNewUser } = await import('../../shared/data/users.ts');
  const { newId } = await import('../../shared/ids.ts');
  const ids = Array.from({ length: count }, () => newId());
  for (let i = 0; i < ids.length; i += 25) {
    await Promise.all(ids.slice(i, i + 25).map((id) => putNewUser({ id, username: `fill_${randomBytes(6).toString('hex')}`, nickname: 'fill', authority: 'user', passwordHash: 'x', createdAt: new Date().toISOString(), tokenVersion: 0 })));
  }
  return ids;
}

describe.each([2, 100, 250])('one send to a group of %i members', (members) => {
  it('costs a fixed number of calls plus one per 100 members, and 3 sequential round trips to the first push', async () => {
    const [sender, receiver] = await Promise.all([api.newUser('sender'), api.newUser('receiver')]);
    const others = await silentMembers(members - 2);
    const conversationId = await api.conversation(sender.token, receiver.id, ...others);
    const [senderWs, receiverWs] = await Promise.all([WsClient.connect(stack.wsUrl, sender.token), WsClient.connect(stack.wsUrl, receiver.token)]);
    open.push(senderWs, receiverWs);

    let atFirstPush: RoundTrips | undefined;
    const onPush = () => (atFirstPush ??= counter.read());
    stack.ws.on('push', onPush);
    counter.reset();
    const done = routeHandled(stack, 'sendMessage');
    senderWs.send({ action: 'sendMessage', conversationId, content: `to ${members}` });
    await done;
    const total = counter.read();
    stack.ws.off('push', onPush);

    await receiverWs.waitFor(isEvent('message'));
    await senderWs.waitFor(isEvent('ack'));
    const batchGets = Math.ceil(members / 100);
    // Get the sender's membership, Query the roster and the blockers, the rate-limit counter; the seq UpdateItem;
    // the message Put and the membership UpdateItem: the same at every size. A group also Queries its roster again
    // after the seq (who the message may reach, in the same round trip as the writes).
    const fixed = members === 2 ? 7 : 8;
    console.log(`send to ${members} members: ${total.calls} calls (${total.operations.join(', ')}), ${atFirstPush?.sequential} sequential to the first push`);
    expect(total.operations).not.toContain('Scan');
    expect(total.operations.filter((op) => op === 'BatchGetItem')).toHaveLength(batchGets);
    expect(total.calls).toBeLessThanOrEqual(fixed + batchGets);
    expect(atFirstPush?.sequential).toBe(3);
  });
});
