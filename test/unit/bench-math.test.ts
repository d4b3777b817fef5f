import { describe, expect, it } from 'vitest';
import { percentile, summarize } from '../bench/stats.ts';
import { costPerMillion, PRICES } from '../bench/cost.ts';

describe('bench statistics', () => {
  it('uses nearest-rank percentiles', () => {
    const sorted = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(sorted, 50)).toBe(50);
    expect(percentile(sorted, 99)).toBe(99);
    expect(percentile([7], 99)).toBe(7);
    expect(percentile([], 50)).toBeNaN();
  });

  it('summarizes unsorted samples', () => {
    expect(summarize([3, 1, 2, 10])).toMatchObject({ n: 4, p50: 2, max: 10, mean: 4 });
  });
});

describe('bench cost model', () => {
  it('prices one message from its billable quantities', () => {
    const cost = costPerMillion({ httpRequests: 1, wsMessages: 2, lambdaInvocations: 1, lambdaMs: 99.2, memoryMb: 1024, readUnits: 1, writeUnits: 4 });
    expect(cost.api).toBeCloseTo(PRICES.httpRequestPerMillion + 2 * PRICES.wsMessagePerMillion);
    // 100 ms billed (rounded up) at 1 GB: 0.1 GB-s per message.
    expect(cost.lambda).toBeCloseTo(PRICES.lambdaRequestPerMillion + 0.1 * 1e6 * PRICES.lambdaGbSecond);
    expect(cost.dynamodb).toBeCloseTo(PRICES.readUnitPerMillion + 4 * PRICES.writeUnitPerMillion);
    expect(cost.total).toBeCloseTo(cost.api + cost.lambda + cost.dynamodb);
  });

  it('scales Lambda compute with memory size', () => {
    const at = (memoryMb: number) => costPerMillion({ httpRequests: 0, wsMessages: 0, lambdaInvocations: 1, lambdaMs: 10, memoryMb, readUnits: 0, writeUnits: 0 }).lambda - PRICES.lambdaRequestPerMillion;
    expect(at(2048)).toBeCloseTo(2 * at(1024));
  });
});
