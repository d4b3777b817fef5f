import { describe, expect, it } from 'vitest';
import { createIdGenerator, idTime } from '../../shared/ids.ts';

describe('ids', () => {
  it('are safe integers, strictly increasing, even across a burst larger than one millisecond holds', () => {
    const next = createIdGenerator();
    const at = Date.UTC(2026, 0, 1);
    let previous = 0;
    for (let i = 0; i < 20_000; i++) {
      const id = next(at); // all in the same millisecond: forces borrowing
      expect(Number.isSafeInteger(id)).toBe(true);
      expect(id).toBeGreaterThan(previous);
      previous = id;
    }
  });

  it('keep increasing when the clock steps back', () => {
    const next = createIdGenerator();
    const first = next(Date.UTC(2026, 0, 1, 0, 0, 1));
    expect(next(Date.UTC(2026, 0, 1, 0, 0, 0))).toBeGreaterThan(first);
  });

  it('encode their creation time', () => {
    const at = Date.UTC(2026, 5, 1, 12, 0, 0);
    expect(idTime(createIdGenerator()(at)).getTime()).toBe(at);
  });

  it('stay below 2^53 until past 2090', () => {
    expect(createIdGenerator()(Date.UTC(2090, 0, 1))).toBeLessThan(Number.MAX_SAFE_INTEGER);
  });

  it('order by time across containers (a later millisecond always sorts after)', () => {
    expect(createIdGenerator()(Date.UTC(2026, 0, 1, 0, 0, 0, 1))).toBeGreaterThan(createIdGenerator()(Date.UTC(2026, 0, 1)));
  });
});
