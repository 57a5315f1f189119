/**
 * Exit signals and what a death does, with Erlang's rules.
 *
 * - A signal to a process that traps exits becomes an `ExitMessage`; one that does not dies
 *   with the same reason, except that `normal` is ignored (unless it is its own) and `kill`
 *   (sent with `sendExit`) cannot be trapped and becomes `killed`. A `kill` reason travelling
 *   over a link is an ordinary, trappable reason, as in OTP.
 * - A death is delivered synchronously: when `terminate` returns, the `process.exited` event
 *   has been emitted (before anything the death causes), the pending receive, calls and
 *   waiting sends are cancelled, the name and topics released, linked processes signalled
 *   (newest link first, as the BEAM does) and monitors told. Deaths that cause deaths are
 *   queued and delivered in a loop (the cascade), so a long chain of links cannot overflow
 *   the stack.
 * - A remote process's signals go to its endpoint, except over a link: links are mirrored on
 *   both sides, so the other side delivers that death itself.
 */
import { releaseBlockedSends } from './backpressure.ts';
import { EXITED, RUNNING, type Core, type ProcessRecord } from './core.ts';
import { deliver } from './delivery.ts';
import { ProcessExitedError, WardenError } from './errors.ts';
import { ExitMessage } from './messages.ts';
import type { Pid } from './pid.ts';
import { releaseName } from './registry.ts';
import type { ExitReason } from './terms.ts';
import { releaseTopics } from './topics.ts';

/** Thrown by `ctx.exit()` to unwind the body; the scheduler recognises and swallows it. */
export class ExitUnwind extends WardenError<'PROCESS_EXIT_UNWIND'> {
  readonly pid: Pid;

  constructor(pid: Pid) {
    super('PROCESS_EXIT_UNWIND', `process ${String(pid)} exited`);
    this.pid = pid;
  }
}

/** Deliver an exit signal from `from` (undefined: from outside any process) to `target`. */
export function signalExit(core: Core, target: ProcessRecord, from: Pid | undefined, reason: ExitReason, viaLink: boolean): void {
  if (target.status !== RUNNING) return;
  const remote = target.extras?.remote;
  if (remote !== undefined) {
    // Links are mirrored on both sides: the other side delivers this death itself.
    if (viaLink) return;
    if (reason === 'kill') remote.kill(target, 'killed');
    else remote.exitSignal(target, from, reason);
    return;
  }
  if (reason === 'kill' && !viaLink) {
    terminate(core, target, 'killed');
  } else if (target.trapping) {
    deliver(core, target, new ExitMessage(from, reason));
  } else if (reason === 'normal') {
    if (from === target) terminate(core, target, 'normal');
  } else {
    terminate(core, target, reason);
  }
}

/** End `proc` now with `reason`, whatever it is doing (a remote process is killed by its endpoint). */
export function killNow(core: Core, proc: ProcessRecord, reason: ExitReason): void {
  if (proc.status !== RUNNING) return;
  const remote = proc.extras?.remote;
  if (remote !== undefined) remote.kill(proc, reason);
  else terminate(core, proc, reason);
}

/** The process dies now with `reason`; returns once its death and every death it caused are delivered. */
export function terminate(core: Core, proc: ProcessRecord, reason: ExitReason): void {
  if (proc.status !== RUNNING) return;
  proc.status = EXITED;
  proc.exitReason = reason;
  const dying = core.dying;
  dying.push(proc);
  if (core.cascading) return;
  core.cascading = true;
  try {
    for (let i = 0; i < dying.length; i++) finish(core, dying[i] as ProcessRecord);
  } finally {
    dying.length = 0;
    core.cascading = false;
  }
}

/** Everything a death does, in order. */
function finish(core: Core, proc: ProcessRecord): void {
  const reason = proc.exitReason;
  if (!proc.isRemote || core.isListed(proc)) core.detach(proc);
  const resume = proc.waitResolve;
  if (resume !== null) {
    proc.endWait();
    resume(cancelledReceive(core));
  }
  const extras = proc.extras;
  if (extras !== null) {
    extras.abort?.abort(proc.exitedError('signal'));
    if (extras.calls !== undefined) for (const c of [...extras.calls]) c.cancel(reason);
    releaseBlockedSends(proc, extras);
    const watch = extras.startWatch;
    if (watch !== undefined) {
      extras.startWatch = undefined;
      watch.onExitBeforeAck(reason);
    }
    releaseName(core, proc);
    releaseTopics(core, proc);
  }
  if (core.events.wants('process.exited')) {
    core.events.emit({ type: 'process.exited', pid: proc, reason, label: proc.label });
  }
  const links = proc.links;
  if (links !== null) {
    proc.links = null;
    // Newest link first, the order the BEAM delivers them in (Erlang leaves it unspecified):
    // a killed supervisor's youngest children react first, its parent last.
    const linked = [...links];
    for (let i = linked.length - 1; i >= 0; i--) {
      const other = linked[i] as ProcessRecord;
      other.links?.delete(proc);
      signalExit(core, other, proc, reason, true);
    }
  }
  const monitors = proc.monitors;
  if (monitors !== null) {
    proc.monitors = null;
    for (const [ref, watcher] of monitors) watcher.onDown(ref, proc, reason);
  }
  const held = proc.extras;
  if (held !== null && held.watching !== undefined) {
    const watching = held.watching;
    held.watching = undefined;
    for (const [ref, target] of watching) target.monitors?.delete(ref);
  }
  proc.mailbox = null;
  proc.handler = null;
}

/** `ctx.signal`: aborted (with a `ProcessExitedError`) when the process exits. */
export function abortSignalOf(proc: ProcessRecord): AbortSignal {
  const extras = proc.ensureExtras();
  if (extras.abort === undefined) {
    extras.abort = new AbortController();
    if (proc.status !== RUNNING) extras.abort.abort(proc.exitedError('signal'));
  }
  return extras.abort.signal;
}

/**
 * What a killed process's pending receive is resolved with: one shared rejection, already
 * handled, so a kill costs no error construction and no unhandled-rejection bookkeeping.
 * The dead body's `await` throws it (its `finally` blocks run).
 */
function cancelledReceive(core: Core): Promise<never> {
  if (core.cancelledReceive === undefined) {
    core.cancelledReceive = Promise.reject(new ProcessExitedError('this process', 'exited', 'receive'));
    core.cancelledReceive.catch(() => {});
  }
  return core.cancelledReceive;
}
