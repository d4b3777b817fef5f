import type { ConsumedCapacity } from '@aws-sdk/client-dynamodb';
import { dynamo } from '../../shared/data/client.ts';
import { roundTripCounter, type RoundTrips } from '../support/round-trips.ts';

/**
 * DynamoDB cost of one operation: the round trips (test/support/round-trips.ts, the same counter the tests use) and
 * the capacity units DynamoDB reports when asked with ReturnConsumedCapacity, summed by read and write.
 */
export type Cost = RoundTrips & {
  readUnits: number;
  /** Write units as DynamoDB Local reports them. */
  writeUnits: number;
  /**
   * Write units under AWS's rules, for the cost estimate. DynamoDB Local reports a transaction as 2 units per KB of
   * all its items together (3 small items: 2 units); AWS charges 2 per KB of each item, rounded up per item
   * (3 small items: 6). Rounding per item adds at most one KB per extra item, so a transaction of n items is
   * counted as reported + 2(n - 1): exact for items under 1 KB, an upper bound otherwise.
   */
  writeUnitsAws: number;
};

const READS = new Set(['GetItem', 'Query', 'BatchGetItem', 'TransactGetItems', 'Scan']);
const MIDDLEWARE = 'benchConsumedCapacity';

export type Meter = { measure(fn: () => Promise<unknown>): Promise<Cost> };

export async function capacityMeter(): Promise<Meter> {
  const counter = await roundTripCounter();
  let readUnits = 0;
  let writeUnits = 0;
  let perItemRounding = 0;
  const askForCapacity = () => dynamo.middlewareStack.add((next, context) => async (args) => {
    (args.input as { ReturnConsumedCapacity?: string }).ReturnConsumedCapacity = 'TOTAL';
    const result = await next(args);
    const reported = (result.output as { ConsumedCapacity?: ConsumedCapacity | ConsumedCapacity[] }).ConsumedCapacity;
    const units = [reported ?? []].flat().reduce((sum, c) => sum + (c.CapacityUnits ?? 0), 0);
    // Reads and writes are priced differently; the operation says which kind of unit it consumed.
    const operation = String(context.commandName).replace(/Command$/, '');
    if (READS.has(operation)) readUnits += units;
    else writeUnits += units;
    if (operation === 'TransactWriteItems') perItemRounding += 2 * (((args.input as { TransactItems?: unknown[] }).TransactItems?.length ?? 1) - 1);
    return result;
  }, { step: 'initialize', name: MIDDLEWARE });
  return {
    /** Asks for capacity only while fn runs: the latency sections run without it. */
    async measure(fn) {
      readUnits = 0;
      writeUnits = 0;
      perItemRounding = 0;
      askForCapacity();
      try {
        const trips = await counter.measure(fn);
        return { ...trips, readUnits, writeUnits, writeUnitsAws: writeUnits + perItemRounding };
      } finally {
        dynamo.middlewareStack.remove(MIDDLEWARE);
      }
    },
  };
}
