/**
 * Links and monitors, made and unmade; what they do on a death is in exits.ts.
 *
 * - A link is symmetric (a set on each side). Linking to a dead or unknown process signals
 *   `noproc` to the linker at once, as in Erlang; linking to oneself does nothing.
 * - A monitor is one-way, named by a ref: the watched process holds ref → watcher, the
 *   watching process holds ref → watched (so a dying watcher drops its monitors). Monitoring a
 *   dead or unknown process delivers a DOWN with `noproc` at once. `demonitor` with `flush`
 *   also removes a DOWN for the ref that is already queued.
 */
import { RUNNING, type Core, type DownWatcher, type ProcessRecord } from './core.ts';
import { deliver } from './delivery.ts';
import { signalExit } from './exits.ts';
import { DownMessage } from './messages.ts';
import { isPid, type Pid } from './pid.ts';
import type { ExitReason } from './terms.ts';

export function addLink(core: Core, proc: ProcessRecord, pid: Pid): void {
  const other = core.recordOf(pid);
  if (other === proc) return;
  if (other === undefined || other.status !== RUNNING) {
    signalExit(core, proc, isPid(pid) ? pid : undefined, 'noproc', true);
    return;
  }
  (proc.links ??= new Set()).add(other);
  (other.links ??= new Set()).add(proc);
}

export function removeLink(core: Core, proc: ProcessRecord, pid: Pid): void {
  const other = core.recordOf(pid);
  if (other === undefined) return;
  proc.links?.delete(other);
  other.links?.delete(proc);
}

/** `watcher` monitors `pid`; returns the ref its DOWN message will carry. */
export function addMonitor(core: Core, watcher: ProcessRecord, pid: Pid): number {
  const ref = core.nextRef++;
  const target = core.recordOf(pid);
  if (target === undefined || target.status !== RUNNING) {
    deliver(core, watcher, new DownMessage(ref, pid as ProcessRecord, 'noproc'));
    return ref;
  }
  (target.monitors ??= new Map()).set(ref, watcher);
  (watcher.ensureExtras().watching ??= new Map()).set(ref, target);
  return ref;
}

export function removeMonitor(watcher: ProcessRecord, ref: number, flush: boolean): void {
  const watching = watcher.extras?.watching;
  const target = watching?.get(ref);
  if (target !== undefined) {
    watching?.delete(ref);
    target.monitors?.delete(ref);
  }
  if (flush) watcher.mailbox?.take((m) => m instanceof DownMessage && m.ref === ref);
}

/** A process's monitor `ref` fired: its DOWN message (unless it demonitored meanwhile). */
export function deliverDown(watcher: ProcessRecord, ref: number, pid: ProcessRecord, reason: ExitReason): void {
  if (watcher.extras?.watching?.delete(ref) !== true) return;
  deliver(watcher.core, watcher, new DownMessage(ref, pid, reason));
}

/** Resolve with the exit reason once `pid` exits (at once if it already has, `noproc` if unknown). */
export function onceExited(core: Core, pid: Pid): Promise<ExitReason> {
  const target = core.recordOf(pid);
  if (target === undefined) return Promise.resolve('noproc');
  if (target.status !== RUNNING) return Promise.resolve(target.exitReason);
  return new Promise((resolve) => {
    const watcher: DownWatcher = { onDown: (_ref, _pid, reason) => resolve(reason) };
    (target.monitors ??= new Map()).set(core.nextRef++, watcher);
  });
}
