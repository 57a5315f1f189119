/**
 * Exponential backoff with full jitter, as pure functions of (attempt, options, random).
 *
 * The cap for retry n (1-based) is `min(maxDelayMs, baseDelayMs * factor^(n-1))`, and the delay
 * is drawn uniformly from [0, cap] ("full jitter": spreads a herd of clients that failed together
 * over the whole window instead of bunching them at its edge). The draw comes from the injected
 * `Random`, so a seeded run replays exactly. A few lines of arithmetic: no library needed.
 */
import type { Random } from '../runtime/index.ts';

export interface BackoffOptions {
  /** Cap of the first retry's delay, in ms. */
  readonly baseDelayMs: number;
  /** Largest delay ever returned, in ms. */
  readonly maxDelayMs: number;
  /** Growth of the cap per retry. */
  readonly factor: number;
}

/** The upper bound of the delay before retry `retry` (1 = the first retry). */
export function backoffCap(retry: number, options: BackoffOptions): number {
  const grown = options.baseDelayMs * options.factor ** Math.max(0, retry - 1);
  // `grown` can overflow to Infinity (or NaN for 0 * Infinity): the cap still holds.
  return Number.isFinite(grown) ? Math.min(options.maxDelayMs, grown) : options.maxDelayMs;
}

/** A full-jitter delay in [0, cap] for retry `retry` (1-based). */
export function fullJitterDelay(retry: number, options: BackoffOptions, random: Random): number {
  const cap = backoffCap(retry, options);
  const r = random();
  // A broken random source must not produce a delay outside [0, cap].
  const u = r >= 0 && r <= 1 ? r : 0;
  return u * cap;
}
