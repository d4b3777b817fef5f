import { describe, expect, it } from 'vitest';
import { createIdGenerator, idTime, messageIdFor, ID_SEQUENCE_SPACE } from '../../shared/ids.ts';

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

describe('message ids', () => {
  it('keep the draft id\'s time and carry the seq\'s low 12 bits', () => {
    const draft = createIdGenerator()(Date.UTC(2026, 5, 1, 12, 0, 0, 123));
    for (const seq of [1, 2, 4095, 4096, 4097, 123_456]) {
      const id = messageIdFor(draft, seq);
      expect(idTime(id)).toEqual(idTime(draft));
      expect(id % ID_SEQUENCE_SPACE).toBe(seq % ID_SEQUENCE_SPACE);
      expect(Number.isSafeInteger(id)).toBe(true);
    }
    // A resend that stores under an id it was given keeps that id.
    expect(messageIdFor(messageIdFor(draft, 7), 7)).toBe(messageIdFor(draft, 7));
    // Later drafts give later ids, whatever the seqs.
    expect(messageIdFor(draft + ID_SEQUENCE_SPACE, 1)).toBeGreaterThan(messageIdFor(draft, 4095));
  });
});
