/**
 * Backpressure: `sendWait` to a full mailbox waits for room instead of failing. Waiting
 * senders queue on the target, first come first served: a sender is admitted (its message
 * delivered, its promise resolved) as soon as the target takes a message and there is room,
 * and while anyone waits, a new `sendWait` queues behind them even if there is room. A wait
 * fails with `MailboxFullError` after its timeout. Under `drop_oldest` nobody waits: the
 * message goes in and the oldest is dropped.
 *
 * When the target dies, its waiting senders succeed (as any send to a dead pid does); when a
 * waiting sender dies, its wait is cancelled and rejected.
 */
import { MailboxFullError, InvalidSpecError } from './errors.ts';
import type { BlockedSend, Core, ProcessExtras, ProcessRecord } from './core.ts';
import { deliver, resolveDest } from './delivery.ts';
import type { Dest, SendWaitOptions } from './options.ts';

/** Default timeout of `sendWait`. */
const DEFAULT_SEND_WAIT_TIMEOUT_MS = 5000;

/** `sendWait` from `sender` (undefined: from outside any process). */
export function sendWaitFrom(core: Core, sender: ProcessRecord | undefined, to: Dest, message: unknown, options: SendWaitOptions | undefined): Promise<void> {
  if (message === undefined) {
    return Promise.reject(new InvalidSpecError('sendWait', 'message', message, 'must not be undefined'));
  }
  let target: ProcessRecord | undefined;
  try {
    target = resolveDest(core, to, true);
  } catch (e) {
    return Promise.reject(e);
  }
  if (target === undefined) return Promise.resolve();
  const mb = target.mailboxOptions;
  const queued = target.extras?.blocked;
  if ((queued === undefined || queued.length === 0) && (target.mailbox?.userCount ?? 0) < mb.capacity) {
    deliver(core, target, message);
    return Promise.resolve();
  }
  if (mb.overflow === 'drop_oldest') {
    deliver(core, target, message);
    return Promise.resolve();
  }
  const timeoutMs = options?.timeoutMs ?? DEFAULT_SEND_WAIT_TIMEOUT_MS;
  const dest = target;
  return new Promise<void>((resolve, reject) => {
    const blocked: BlockedSend = { target: dest, sender, message, resolve, reject, timer: null };
    (dest.ensureExtras().blocked ??= []).push(blocked);
    if (sender !== undefined) (sender.ensureExtras().sending ??= new Set()).add(blocked);
    if (timeoutMs !== Infinity) {
      blocked.timer = core.clock.setTimer(timeoutMs, () => {
        unblock(blocked);
        reject(new MailboxFullError(dest, mb.capacity, mb.overflow));
      });
    }
  });
}

/** Move waiting senders into `target`'s mailbox while it has room. */
export function admitBlocked(core: Core, target: ProcessRecord): void {
  const blocked = target.extras?.blocked;
  if (blocked === undefined) return;
  const capacity = target.mailboxOptions.capacity;
  while (blocked.length > 0 && (target.mailbox?.userCount ?? 0) < capacity) {
    const b = blocked.shift() as BlockedSend;
    b.timer?.cancel();
    b.sender?.extras?.sending?.delete(b);
    deliver(core, target, b.message);
    b.resolve();
  }
}

/**
 * `proc` exited: its own waiting sends are cancelled and rejected, and the senders waiting
 * on it succeed.
 */
export function releaseBlockedSends(proc: ProcessRecord, extras: ProcessExtras): void {
  if (extras.sending !== undefined) {
    for (const b of [...extras.sending]) {
      unblock(b);
      b.reject(proc.exitedError('sendWait'));
    }
  }
  if (extras.blocked !== undefined) {
    // Senders waiting on a dead process: as with any send to a dead pid, they just succeed.
    for (const b of extras.blocked.splice(0)) {
      b.timer?.cancel();
      b.sender?.extras?.sending?.delete(b);
      b.resolve();
    }
  }
}

function unblock(b: BlockedSend): void {
  b.timer?.cancel();
  const list = b.target.extras?.blocked;
  if (list !== undefined) {
    const i = list.indexOf(b);
    if (i >= 0) list.splice(i, 1);
  }
  b.sender?.extras?.sending?.delete(b);
}
