/**
 * `waitFor`: wait until something outside the test's control (store I/O, a socket, another
 * process) has made a condition true, with a deadline. It is for waiting on I/O; waiting on time
 * is the virtual clock's job (`clock.advance(ms)`), never this one's.
 *
 * The condition is checked at once, then after every turn of the event loop for the first
 * `spinTurns` turns (what an in-process store write needs), then every `pollMs` on the clock, so
 * a long wait on Postgres or a child process does not keep a core busy. A condition that throws
 * counts as "not yet"; the last error it threw becomes the `cause` of the timeout. Past the
 * deadline the wait fails with `WaitTimeoutError`, naming what it waited for.
 */
import { realClock, settle, WardenError, type Clock } from '../runtime/index.ts';

declare module '../runtime/index.ts' {
  interface WardenErrorMap {
    WaitTimeoutError: WaitTimeoutError;
  }
}

/** `waitFor`'s defaults. */
export const WAIT_FOR_DEFAULTS = {
  timeoutMs: 10_000,
  pollMs: 5,
  spinTurns: 100,
} as const;

export interface WaitForOptions {
  /** What is awaited, in words ("the run completes"): named by the error on timeout. @default the condition's source text */
  readonly what?: string;
  /** Give up after this long, ms, on `clock`. @default 10_000 */
  readonly timeoutMs?: number;
  /** Between checks once the first `spinTurns` event-loop turns have passed, ms. @default 5 */
  readonly pollMs?: number;
  /** Checks made one event-loop turn apart before polling every `pollMs`. @default 100 */
  readonly spinTurns?: number;
  /**
   * The clock the deadline and the polling run on. A `VirtualClock` makes the deadline virtual
   * too: the wait then ends only when the clock is advanced past it. @default realClock
   */
  readonly clock?: Clock;
}

/** The value a condition resolves to once it holds. */
export type Truthy<T> = Exclude<T, false | 0 | 0n | '' | null | undefined>;

/** A `waitFor` whose condition did not hold before its deadline. */
export class WaitTimeoutError extends WardenError<'WAIT_TIMEOUT', { what: string; timeoutMs: number }> {
  constructor(what: string, timeoutMs: number, lastError?: unknown) {
    const last = lastError === undefined ? '' : `; the condition last threw: ${lastError instanceof Error ? lastError.message : String(lastError)}`;
    super(
      'WAIT_TIMEOUT',
      `waitFor: ${what} did not happen within ${timeoutMs} ms${last}`,
      { what, timeoutMs },
      lastError === undefined ? {} : { cause: lastError },
    );
  }
}

/**
 * Resolve with the condition's first truthy value; reject with `WaitTimeoutError` once
 * `timeoutMs` has passed on the clock. `options` may be just the `what`.
 *
 * @example
 * ```ts
 * const done = await waitFor(() => events.find((e) => e.type === 'run.completed'), 'the run completes');
 * ```
 */
export async function waitFor<T>(condition: () => T | PromiseLike<T>, options: string | WaitForOptions = {}): Promise<Truthy<T>> {
  const o: WaitForOptions = typeof options === 'string' ? { what: options } : options;
  const timeoutMs = checked('timeoutMs', o.timeoutMs ?? WAIT_FOR_DEFAULTS.timeoutMs, 0);
  const pollMs = checked('pollMs', o.pollMs ?? WAIT_FOR_DEFAULTS.pollMs, 1);
  const spinTurns = checked('spinTurns', o.spinTurns ?? WAIT_FOR_DEFAULTS.spinTurns, 0);
  const clock = o.clock ?? realClock;
  const what = o.what ?? describeCondition(condition);
  const deadline = clock.now() + timeoutMs;
  let lastError: unknown;
  for (let turn = 0; ; turn++) {
    try {
      const value = await condition();
      if (value) return value as Truthy<T>;
      lastError = undefined;
    } catch (e) {
      lastError = e;
    }
    if (clock.now() >= deadline) throw new WaitTimeoutError(what, timeoutMs, lastError);
    if (turn < spinTurns) await settle();
    else await clock.sleep(Math.min(pollMs, Math.max(0, deadline - clock.now())));
  }
}

function checked(option: string, value: number, min: number): number {
  if (typeof value !== 'number' || !(value >= min) || !Number.isFinite(value)) {
    throw new RangeError(`waitFor: ${option} must be a finite number >= ${min} (got ${String(value)})`);
  }
  return value;
}

/** The condition's source, on one line and at most 120 characters: what to name when no `what` was given. */
function describeCondition(condition: () => unknown): string {
  const text = String(condition).replace(/\s+/g, ' ').trim();
  return text.length <= 120 ? text : `${text.slice(0, 117)}...`;
}
