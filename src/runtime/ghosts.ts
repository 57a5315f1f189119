/**
 * Ghosts: the local stand-ins of processes this runtime talks to in another thread or OS
 * process (see remote.ts for what crosses). A ghost is a record that runs no code; its
 * messages and exit signals go to its `RemoteEndpoint` (delivery.ts, exits.ts), and it dies,
 * with the real process's reason, when the endpoint learns that the real one died. Links and
 * monitors on a ghost are ordinary local ones, so they fire exactly as for a local process.
 *
 * A ghost is not one of this runtime's processes (not listed, not counted, not ended by
 * `killAll`) unless it is adopted: a child this runtime hosts in a thread or process is.
 */
import { RUNNING, type Core, type ProcessRecord } from './core.ts';
import { terminate } from './exits.ts';
import type { Pid } from './pid.ts';
import type { RemoteEndpoint } from './remote.ts';
import type { ExitReason } from './terms.ts';

/** Turn a fresh record (not in the live list) into the ghost of a process on `node`, reached through `endpoint`. */
export function makeGhost(record: ProcessRecord, node: string, endpoint: RemoteEndpoint): void {
  const extras = record.ensureExtras();
  extras.remote = endpoint;
  extras.remoteNode = node;
}

/** Count a ghost as one of this runtime's processes: listed, counted, and ended by `killAll`. */
export function listGhost(core: Core, ghost: Pid): void {
  const proc = core.recordOf(ghost);
  if (proc?.isGhost && proc.status === RUNNING && !core.isListed(proc)) core.attach(proc);
}

/** The real process behind a ghost died: the ghost dies with the same reason. */
export function endGhost(core: Core, ghost: Pid, reason: ExitReason): void {
  const proc = core.recordOf(ghost);
  if (proc?.isGhost) terminate(core, proc, reason);
}
