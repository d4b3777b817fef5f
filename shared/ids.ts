/**
 * Time-ordered integer ids that stay below 2^53 (JavaScript clients round anything larger).
 * Layout: milliseconds since 2024-01-01 (41 bits, good until ~2093) * 4096 + a 12-bit sequence.
 * The sequence starts at a random point per container so concurrent Lambdas rarely collide; every id is
 * written with a conditional put, so a collision is retried, never overwritten.
 */
const EPOCH_MS = Date.UTC(2024, 0, 1);
const SEQUENCE_SPACE = 4096;

let lastMs = 0;
let sequence = Math.floor(Math.random() * SEQUENCE_SPACE);
let sequenceStart = sequence;

export function newId(now = Date.now()): number {
  let ms = Math.max(now - EPOCH_MS, lastMs);
  if (ms === lastMs) {
    sequence = (sequence + 1) % SEQUENCE_SPACE;
    if (sequence === sequenceStart) ms += 1; // 4096 ids in one millisecond: borrow the next one
  }
  if (ms !== lastMs) {
    sequenceStart = sequence = Math.floor(Math.random() * SEQUENCE_SPACE);
    lastMs = ms;
  }
  return ms * SEQUENCE_SPACE + sequence;
}

/** The creation time encoded in an id. */
export function idTime(id: number): Date {
  return new Date(Math.floor(id / SEQUENCE_SPACE) + EPOCH_MS);
}

export const MAX_ID = Number.MAX_SAFE_INTEGER;
