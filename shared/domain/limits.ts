import type { LimitPolicy } from '../config.ts';
import { RateLimitedError } from '../errors.ts';
import { countIfBelow, currentWindow, uncount, type Window } from '../data/rate-limits.ts';

/** A counted event that can be given back (a login attempt whose password turned out right). */
export type Reservation = { giveBack: () => Promise<void> };

/**
 * What this container itself counted in each current window. Every event it counts here is also counted in the
 * table, so this is a lower bound of the shared count: once it reaches the limit the answer is certain, and a burst
 * (a hot group's members all sending at once) is refused without a single DynamoDB call, before it piles up there.
 */
const counted = new Map<string, { start: number; hits: number }>();
/** Bounds the map: windows of conversations gone quiet are dropped wholesale now and then. */
const COUNTED_MAX_ENTRIES = 10_000;

function countHere(window: Window): { start: number; hits: number } {
  if (counted.size > COUNTED_MAX_ENTRIES) counted.clear();
  const entry = counted.get(window.scope);
  if (entry && entry.start === window.start) return entry;
  const fresh = { start: window.start, hits: 0 };
  counted.set(window.scope, fresh);
  return fresh;
}

const windowOf = (policy: LimitPolicy, subject: string) => currentWindow(`${policy.name}#${subject}`, policy.windowSeconds, Date.now());

/**
 * Throws 429 RATE_LIMITED at once, with no I/O, when this container already knows the window is full. A caller
 * runs it before starting any work, so a refused request costs nothing downstream; consume() still decides.
 */
export function admit(policy: LimitPolicy, subject: string): void {
  const window = windowOf(policy, subject);
  if (countHere(window).hits >= policy.max) throw new RateLimitedError(secondsLeft(window));
}

/**
 * Counts one event for `subject` under `policy`, or throws 429 RATE_LIMITED with the seconds until the window ends.
 * Callers start it in parallel with their own reads, so it costs no extra round trip of latency.
 */
export async function consume(policy: LimitPolicy, subject: string): Promise<Reservation> {
  const window = windowOf(policy, subject);
  const here = countHere(window);
  if (here.hits >= policy.max) throw new RateLimitedError(secondsLeft(window));
  here.hits++;
  if (!(await countIfBelow(window, policy.max))) {
    here.hits = Math.max(here.hits, policy.max); // other containers filled it: later requests here need not ask
    throw new RateLimitedError(secondsLeft(window));
  }
  return {
    giveBack: () => {
      here.hits--;
      return uncount(window);
    },
  };
}

function secondsLeft(window: Window): number {
  return Math.max(1, Math.ceil(window.start + window.seconds - Date.now() / 1000));
}
