/**
 * Receiving: a process takes the oldest queued message (or the oldest that matches, Erlang's
 * selective receive, leaving the others queued in order), or waits for one. A wait is one
 * `resolve` on the record, plus its matcher and timer in the extras; `deliver` resumes it
 * directly, so a message a process is waiting for never touches the mailbox. A process has at
 * most one pending receive. Taking a message from a full mailbox admits a blocked sender.
 */
import { admitBlocked } from './backpressure.ts';
import { RUNNING, type ProcessRecord } from './core.ts';
import { NOTHING } from './mailbox.ts';
import type { ReceiveOptions } from './options.ts';

/**
 * `ctx.receive`: resolves with the message, or `undefined` once `timeoutMs` passes; rejects
 * if the process is killed meanwhile (exits.ts resolves the wait with a rejection).
 */
export function receiveMessage(proc: ProcessRecord, match: ((message: unknown) => boolean) | undefined, options: ReceiveOptions | undefined): Promise<never> {
  if (proc.status !== RUNNING) return Promise.reject(proc.refused('receive'));
  if (proc.waitResolve !== null) {
    return Promise.reject(new Error(`process ${String(proc)}: receive() called while another receive is pending`));
  }
  const found = takeQueued(proc, match);
  if (found !== NOTHING) return Promise.resolve(found as never);
  const timeoutMs = options?.timeoutMs;
  if (timeoutMs !== undefined && timeoutMs <= 0) return Promise.resolve(undefined as never);
  return new Promise<never>((resolve) => {
    const resume = resolve as (m: unknown) => void;
    proc.waitResolve = resume;
    if (match !== undefined) proc.ensureExtras().waitMatch = match;
    if (timeoutMs !== undefined && timeoutMs !== Infinity) {
      proc.ensureExtras().waitTimer = proc.core.clock.setTimer(timeoutMs, () => {
        if (proc.waitResolve === resume) {
          proc.endWait();
          resume(undefined);
        }
      });
    }
  });
}

/** Remove and return the oldest queued message that matches (or NOTHING), admitting a blocked sender if room was made. */
export function takeQueued(proc: ProcessRecord, match: ((message: unknown) => boolean) | undefined): unknown {
  const mb = proc.mailbox;
  if (mb === null || mb.length === 0) return NOTHING;
  const before = mb.userCount;
  const found = match === undefined ? mb.shift() : mb.take(match);
  if (mb.userCount < before && proc.extras?.blocked !== undefined) admitBlocked(proc.core, proc);
  return found;
}
