/**
 * Inspection: what a runtime reports about its processes (`processes()`, `info(pid)`), read
 * straight from their records. A snapshot: it does not change when the process does.
 */
import { RUNNING, type Core } from './core.ts';
import type { Pid } from './pid.ts';

/** What `info(pid)` reports about a live process. */
export interface ProcessInfo {
  readonly pid: Pid;
  readonly label: string | undefined;
  readonly name: string | undefined;
  readonly parent: Pid | undefined;
  readonly trapExits: boolean;
  readonly messageQueueLength: number;
  readonly links: readonly Pid[];
  readonly monitoredBy: number;
}

/** Live processes, in spawn order. */
export function liveProcesses(core: Core): Pid[] {
  const out: Pid[] = [];
  for (let p = core.first; p !== null; p = p.next) out.push(p);
  return out;
}

/** A snapshot of a live process, or `undefined` if it is not running. */
export function processInfo(core: Core, pid: Pid): ProcessInfo | undefined {
  const proc = core.recordOf(pid);
  if (proc === undefined || proc.status !== RUNNING) return undefined;
  return {
    pid: proc,
    label: proc.label,
    name: proc.extras?.name,
    parent: proc.parent,
    trapExits: proc.trapping,
    messageQueueLength: proc.mailbox?.length ?? 0,
    links: [...(proc.links ?? [])],
    monitoredBy: proc.monitors?.size ?? 0,
  };
}
