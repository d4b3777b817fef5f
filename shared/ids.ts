/**
 * Time-ordered integer ids that stay below 2^53 (JavaScript clients round anything larger).
 * Layout: milliseconds since 2024-01-01 (41 bits, good until ~2093) * 4096 + a 12-bit sequence.
 * Each millisecond's sequence starts at a random point in the lower half, so concurrent Lambdas rarely collide;
 * every id is written with a conditional put, so a collision is retried, never overwritten.
 */
const EPOCH_MS = Date.UTC(2024, 0, 1);
/** Ids per millisecond: the low 12 bits (message ids put their seq's low bits here, shared/data/messages.ts). */
export const ID_SEQUENCE_SPACE = 4096;

/** A generator whose ids strictly increase, even if the clock steps back or one millisecond runs out. */
export function createIdGenerator() {
  let lastMs = -1;
  let sequence = 0;
  return (now = Date.now()): number => {
    const ms = now - EPOCH_MS;
    if (ms > lastMs) {
      lastMs = ms;
      sequence = Math.floor(Math.random() * (ID_SEQUENCE_SPACE / 2));
    } else if (++sequence === ID_SEQUENCE_SPACE) {
      lastMs += 1; // this millisecond is used up (or the clock went back): borrow the next one
      sequence = Math.floor(Math.random() * (ID_SEQUENCE_SPACE / 2));
    }
    return lastMs * ID_SEQUENCE_SPACE + sequence;
  };
}

export const newId = createIdGenerator();

/** The creation time encoded in an id. */
export function idTime(id: number): Date {
  return new Date(Math.floor(id / ID_SEQUENCE_SPACE) + EPOCH_MS);
}

/**
 * A message's id: its draft id's millisecond with the seq's low 12 bits in place of the draft's counter. Still
 * time-ordered and below 2^53, unique within the conversation, and its seq comes back from one Get
 * (getMessageById in shared/data/messages.ts): markRead by id and the seed's id cursors need no index.
 */
export function messageIdFor(draftId: number, seq: number): number {
  return Math.floor(draftId / ID_SEQUENCE_SPACE) * ID_SEQUENCE_SPACE + (seq % ID_SEQUENCE_SPACE);
}
