import type { LimitPolicy } from '../config.ts';
import { RateLimitedError } from '../errors.ts';
import { countIfBelow, currentWindow, uncount, type Window } from '../data/rate-limits.ts';

/** A counted event that can be given back (a login attempt whose password turned out right). */
export type Reservation = { giveBack: () => Promise<void> };

/** A place held in this container's count of a window, kept once the event was counted where the limit lives. */
export type Admission = { keep: () => void; release: () => void };

/**
 * For a limit counted elsewhere (the conversation's send window rides on its seq UpdateItem): throws 429
 * RATE_LIMITED at once, with no I/O, when this container already has the window's `max` events counted or on their
 * way, or found it full. A caller runs it before any work and settles the place when it knows: keep() once the
 * event was counted, release() when it never got that far. So a burst that reaches one container at once (the
 * local stack, or a Lambda runtime serving invocations concurrently) sends only `max` of its events on to the
 * table, and refuses the rest before they pile up; one invocation at a time, it refuses what this container alone
 * already filled.
 */
export function admit(policy: LimitPolicy, subject: string): Admission {
  return takePlace(policy, subject).place;
}

/** A place in this container's count of the window, or 429 when it already has `max` counted or on their way, or found it full. */
function takePlace(policy: LimitPolicy, subject: string): { window: Window; local: LocalCount; place: Admission } {
  const window = currentWindow(`${policy.name}#${subject}`, policy.windowSeconds, Date.now());
  const local = localCount(window);
  if (local.full || local.counted >= policy.max) throw new RateLimitedError(secondsLeft(window));
  local.counted++;
  let settled = false;
  const settle = (kept: boolean) => {
    if (!settled && !kept) local.counted--;
    settled = true;
  };
  return { window, local, place: { keep: () => settle(true), release: () => settle(false) } };
}

/**
 * A limit counted elsewhere (the conversation's send window rides on its seq UpdateItem) was found full: this
 * container refuses the rest of that window with admit(), at no cost; returns the error to throw.
 */
export function windowFull(policy: LimitPolicy, subject: string): RateLimitedError {
  const window = currentWindow(`${policy.name}#${subject}`, policy.windowSeconds, Date.now());
  localCount(window).full = true;
  return new RateLimitedError(secondsLeft(window));
}

/** The current window of a limit counted elsewhere, as the table names it. */
export function windowOf(policy: LimitPolicy, subject: string): { start: number; seconds: number; max: number } {
  const window = currentWindow(`${policy.name}#${subject}`, policy.windowSeconds, Date.now());
  return { start: window.start, seconds: window.seconds, max: policy.max };
}

/**
 * Counts one event for `subject` under `policy`, or throws 429 RATE_LIMITED with the seconds until the window ends.
 * Callers start it in parallel with their own reads, so it costs no extra round trip of latency.
 *
 * The table holds the count (so a limit holds across containers), but a flood must not reach it: hundreds of
 * conditional updates of one counter item at once would queue on that item (DynamoDB takes about 1,000 writes/s per
 * key) and time out everyone else's. So each container also remembers what it has counted itself in the window: once
 * it has `max` events counted or on their way for a subject, the table could only refuse, and it refuses at once.
 */
export async function consume(policy: LimitPolicy, subject: string): Promise<Reservation> {
  const { window, local, place } = takePlace(policy, subject);
  let counted: boolean;
  try {
    counted = await countIfBelow(window, policy.max);
  } catch (error) {
    place.release();
    throw error;
  }
  if (!counted) {
    local.full = true; // counts only grow within a window (a give-back aside): it stays refused until the window ends
    place.release();
    throw new RateLimitedError(secondsLeft(window));
  }
  place.keep();
  return {
    giveBack: async () => {
      local.counted--;
      local.full = false;
      await uncount(window);
    },
  };
}

function secondsLeft(window: Window): number {
  return Math.max(1, Math.ceil(window.start + window.seconds - Date.now() / 1000));
}

/** What this container counted per subject and window. Bounded: cleared when large (the table stays the truth). */
type LocalCount = { counted: number; full: boolean };
const localCounts = new Map<string, LocalCount>();
const MAX_LOCAL_COUNTS = 50_000;

function localCount(window: Window): LocalCount {
  const key = `${window.scope}#${window.start}`;
  let entry = localCounts.get(key);
  if (!entry) {
    if (localCounts.size >= MAX_LOCAL_COUNTS) localCounts.clear();
    entry = { counted: 0, full: false };
    localCounts.set(key, entry);
  }
  return entry;
}
