/**
 * Progress, for watchdogs (the isolation layer's): a process reports it with `ctx.beat()` (a
 * beat relayed from another thread lands on its pid here, a remote process), and a process that
 * stopped making progress is first asked to wind down (`softStop`: its `ctx.stopSignal` aborts
 * and it gets a `SoftStopRequest`), then killed (`killWith`, exits.ts).
 */
import { RUNNING, type Core, type ProcessRecord } from './core.ts';
import { deliver } from './delivery.ts';
import { SoftStopRequest } from './messages.ts';
import type { Pid } from './pid.ts';
import type { ExitReason } from './terms.ts';

/** Record a progress beat of `pid` (its own `ctx.beat()`, or one relayed from elsewhere). */
export function noteBeat(core: Core, pid: Pid): void {
  const proc = core.recordOf(pid);
  if (proc === undefined) return;
  proc.ensureExtras().lastBeatAt = core.clock.now();
  if (core.events.wants('process.beat')) core.events.emit({ type: 'process.beat', pid: proc });
}

/** When `pid` last reported progress (undefined if it never did). */
export function lastBeatOf(core: Core, pid: Pid): number | undefined {
  return core.recordOf(pid)?.extras?.lastBeatAt;
}

/** Ask `pid` to stop cooperatively. (For a remote process, the endpoint carries the request over.) */
export function requestSoftStop(core: Core, pid: Pid, reason: ExitReason): void {
  const proc = core.recordOf(pid);
  if (proc === undefined || proc.status !== RUNNING) return;
  const remote = proc.extras?.remote;
  if (remote !== undefined) {
    remote.forward(proc, new SoftStopRequest(reason));
    return;
  }
  const extras = proc.ensureExtras();
  (extras.stop ??= new AbortController()).abort(reason);
  deliver(core, proc, new SoftStopRequest(reason));
}

/** `ctx.stopSignal`: aborted by a soft stop. */
export function stopSignalOf(proc: ProcessRecord): AbortSignal {
  const extras = proc.ensureExtras();
  extras.stop ??= new AbortController();
  return extras.stop.signal;
}
