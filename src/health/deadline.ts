/**
 * Run one check under a deadline on the injected clock: the work gets a signal that aborts at
 * the deadline, and the verdict is given at the deadline even if the work ignores its signal
 * (a hung check must not hang the health endpoint). Errors become messages for the report.
 */
import type { Clock } from '../runtime/index.ts';

export type Timed<T> =
  | { readonly ok: true; readonly value: T; readonly durationMs: number }
  | { readonly ok: false; readonly timedOut: boolean; readonly error: string; readonly durationMs: number };

export class DeadlineError extends Error {
  readonly timeoutMs: number;
  constructor(timeoutMs: number) {
    super(`no answer within ${timeoutMs} ms`);
    this.timeoutMs = timeoutMs;
    this.name = 'DeadlineError';
  }
}

/** `work(signal)` with a verdict by `timeoutMs` (on `clock`); `outer` aborting ends it too. */
export async function withDeadline<T>(
  clock: Clock,
  timeoutMs: number,
  work: (signal: AbortSignal) => PromiseLike<T> | T,
  outer?: AbortSignal,
): Promise<Timed<T>> {
  const started = clock.now();
  const controller = new AbortController();
  const onOuter = (): void => controller.abort(outer?.reason);
  outer?.addEventListener('abort', onOuter, { once: true });
  let timer: { cancel(): void } | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = clock.setTimer(timeoutMs, () => {
      const error = new DeadlineError(timeoutMs);
      controller.abort(error);
      reject(error);
    });
  });
  try {
    const value = await Promise.race([Promise.resolve().then(() => work(controller.signal)), deadline]);
    return { ok: true, value, durationMs: clock.now() - started };
  } catch (error) {
    return { ok: false, timedOut: error instanceof DeadlineError, error: messageOf(error), durationMs: clock.now() - started };
  } finally {
    timer?.cancel();
    outer?.removeEventListener('abort', onOuter);
  }
}

export function messageOf(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return typeof code === 'string' ? `${code}: ${error.message}` : error.message;
  }
  return String(error);
}
