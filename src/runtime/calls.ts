/**
 * Calls: send a request and wait for the reply. The request travels as a `CallRequest` whose
 * `from` is the `PendingCall` itself, so a reply finds its caller with no lookup. A call
 * fails with `CallTimeoutError` after its timeout, with `CallTargetExitedError` if the target
 * dies first (the pending call is a monitor on it) or is already gone (`noproc`), and with
 * `ProcessExitedError` if the caller dies while it waits. A reply that comes too late, or to
 * a caller that is gone, is dropped; a reply to a caller elsewhere travels back (remote.ts).
 */
import type { Timer } from './clock.ts';
import type { CallWaiter, Core, DownWatcher, ProcessRecord } from './core.ts';
import { deliver, resolveDest } from './delivery.ts';
import { CallTargetExitedError, CallTimeoutError, ProcessExitedError } from './errors.ts';
import { CallRequest, type CallFrom } from './messages.ts';
import type { CallOptions, Dest } from './options.ts';
import type { Pid } from './pid.ts';
import { isRemoteCallFrom } from './remote.ts';
import type { ExitReason } from './terms.ts';

/** Default timeout of `call`. */
export const DEFAULT_CALL_TIMEOUT_MS = 5000;

/** `call` from `caller` (undefined: from outside any process). */
export function callFrom(core: Core, caller: ProcessRecord | undefined, to: Dest, request: unknown, options: CallOptions | undefined): Promise<unknown> {
  const timeoutMs = options?.timeoutMs ?? DEFAULT_CALL_TIMEOUT_MS;
  let target: ProcessRecord | undefined;
  try {
    target = resolveDest(core, to, false);
  } catch (e) {
    return Promise.reject(e);
  }
  if (target === undefined) return Promise.reject(new CallTargetExitedError(to, 'noproc'));
  const dest = target;
  return new Promise((resolve, reject) => {
    const ref = core.nextRef++;
    const pending = new PendingCall(ref, dest, caller, to, resolve, reject);
    (dest.monitors ??= new Map()).set(ref, pending);
    if (caller !== undefined) (caller.ensureExtras().calls ??= new Set()).add(pending);
    if (timeoutMs !== Infinity) {
      pending.timer = core.clock.setTimer(timeoutMs, () => pending.fail(new CallTimeoutError(to, timeoutMs)));
    }
    try {
      deliver(core, dest, new CallRequest(pending, request));
    } catch (error) {
      pending.fail(error);
    }
  });
}

/** Answer a call; a reply nobody waits for any more is dropped. */
export function replyTo(from: CallFrom, value: unknown): void {
  if (from instanceof PendingCall) from.succeed(value);
  else if (isRemoteCallFrom(from)) from.deliverReply(value);
}

/**
 * A call waiting for its reply. It is also the `from` the callee answers with (so a reply
 * finds it without a lookup) and a monitor on the callee (so the callee's death fails it).
 */
export class PendingCall implements DownWatcher, CallFrom, CallWaiter {
  readonly ref: number;
  readonly caller: ProcessRecord | undefined;
  timer: Timer | null = null;
  private readonly target: ProcessRecord;
  private readonly dest: Dest;
  private readonly resolveFn: (value: unknown) => void;
  private readonly rejectFn: (error: unknown) => void;
  private settled = false;

  constructor(
    ref: number,
    target: ProcessRecord,
    caller: ProcessRecord | undefined,
    dest: Dest,
    resolve: (value: unknown) => void,
    reject: (error: unknown) => void,
  ) {
    this.ref = ref;
    this.target = target;
    this.caller = caller;
    this.dest = dest;
    this.resolveFn = resolve;
    this.rejectFn = reject;
  }

  /** The caller's pid (`undefined` for a call made from outside any process). */
  get pid(): Pid | undefined {
    return this.caller;
  }

  succeed(value: unknown): void {
    if (this.cleanup()) this.resolveFn(value);
  }

  fail(error: unknown): void {
    if (this.cleanup()) this.rejectFn(error);
  }

  onDown(_ref: number, _pid: ProcessRecord, reason: ExitReason): void {
    this.fail(new CallTargetExitedError(this.dest, reason));
  }

  /** The caller exited: nobody will read the reply. */
  cancel(reason: ExitReason): void {
    if (this.caller !== undefined) this.fail(new ProcessExitedError(this.caller, reason, 'call'));
  }

  private cleanup(): boolean {
    if (this.settled) return false;
    this.settled = true;
    this.timer?.cancel();
    this.target.monitors?.delete(this.ref);
    this.caller?.extras?.calls?.delete(this);
    return true;
  }
}
