import type { LimitPolicy } from '../config.ts';
import { RateLimitedError } from '../errors.ts';
import { countIfBelow, currentWindow, uncount, type Window } from '../data/rate-limits.ts';

/** A counted event that can be given back (a login attempt whose password turned out right). */
export type Reservation = { giveBack: () => Promise<void> };

/**
 * Counts one event for `subject` under `policy`, or throws 429 RATE_LIMITED with the seconds until the window ends.
 * Callers start it in parallel with their own reads, so it costs no extra round trip of latency.
 */
export async function consume(policy: LimitPolicy, subject: string): Promise<Reservation> {
  const window = currentWindow(`${policy.name}#${subject}`, policy.windowSeconds, Date.now());
  if (!(await countIfBelow(window, policy.max))) throw new RateLimitedError(secondsLeft(window));
  return { giveBack: () => uncount(window) };
}

function secondsLeft(window: Window): number {
  return Math.max(1, Math.ceil(window.start + window.seconds - Date.now() / 1000));
}
