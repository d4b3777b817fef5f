import { expect, it } from 'vitest';
import { useSockets, useStack } from '../support/context.ts';
import { isEvent } from '../support/ws-client.ts';

/**
 * Issue 12's budget for the send path, measured with DynamoDB's own ReturnConsumedCapacity (test/bench/capacity.ts,
 * the meter the bench uses): a text message under 1 KB with a clientMessageId costs at most 4 write units and 3
 * sequential round trips, the same at 2, 100, 500 and 2,000 members. Groups are built through the data layer.
 */
const ctx = useStack({ BCRYPT_COST: '4' });
const connect = useSockets(ctx);

it('a WebSocket text send with a clientMessageId: ≤ 4 write units (AWS rules) and 3 sequential round trips at 2, 100, 500 and 2,000 members', { timeout: 180_000 }, async () => {
  const { capacityMeter } = await import('../bench/capacity.ts');
  const { seedUsers, seedGroup, seedSingle } = await import('../bench/fixtures.ts');
  const { newId } = await import('../../shared/ids.ts');
  const meter = await capacityMeter();
  const [owner, peer] = await seedUsers(2, 'cost');
  // The send never reads the other members' user records: ids are enough for their membership items.
  const crowd = [peer!, ...Array.from({ length: 1998 }, () => ({ id: newId() }))];
  // Over the WebSocket: an HTTP send also re-reads the caller's token version once its 5 s cache has expired.
  const socket = await connect(owner!);
  const rows = [];
  for (const members of [2, 100, 500, 2000]) {
    const conversationId = members === 2 ? await seedSingle(owner!, peer!) : await seedGroup([owner!.id, ...crowd.slice(0, members - 1).map((u) => u.id)]);
    const send = async (n: number) => (await socket.request({ action: 'sendMessage', conversationId, content: `cost ${n}`, clientMessageId: `cost-${members}-${n}` }, isEvent('ack'))).message;
    await send(0);
    // The token-version read (once per 5 s per user and container, before any action) is not the send's: a ping
    // right before keeps it cached, however long seeding and the first send took on a loaded machine.
    await socket.request({ action: 'ping' }, isEvent('pong'));
    let seq = 0;
    const cost = await meter.measure(async () => void ({ seq } = await send(1)));
    expect(seq).toBe(2);
    rows.push({ members, calls: cost.calls, sequential: cost.sequential, writeUnitsAws: cost.writeUnitsAws, readUnits: cost.readUnits, operations: cost.operations.join(',') });
  }
  console.table(rows);
  for (const row of rows) {
    expect(row.writeUnitsAws, `${row.members} members`).toBeLessThanOrEqual(4);
    expect(row.sequential, `${row.members} members`).toBe(3);
    expect(row.operations).not.toContain('TransactWriteItems');
  }
  expect(new Set(rows.map((row) => row.writeUnitsAws)).size).toBe(1); // the same at every size
});
