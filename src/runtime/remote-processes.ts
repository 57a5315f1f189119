/**
 * Remote processes: processes of another runtime, in another worker thread or OS process, that
 * this runtime talks to (remote.ts says what crosses). A remote process is represented here by a
 * local record, its pid, that runs no code; its messages and exit signals go to its
 * `RemoteEndpoint` (delivery.ts, exits.ts), and it dies, with the real process's reason, when the
 * endpoint learns that the real one died. Links and monitors on it are ordinary local ones, so
 * they fire exactly as for a local process.
 *
 * A remote process is not one of this runtime's processes (not listed, not counted, not ended by
 * `killAll`) unless it is adopted: a remote child this runtime started in a thread or process is.
 */
import { RUNNING, type Core, type ProcessRecord } from './core.ts';
import { terminate } from './exits.ts';
import type { Pid } from './pid.ts';
import type { RemoteEndpoint } from './remote.ts';
import type { ExitReason } from './terms.ts';

/** Turn a fresh record (not in the live list) into that of a remote process on `node`, reached through `endpoint`. */
export function makeRemote(record: ProcessRecord, node: string, endpoint: RemoteEndpoint): void {
  const extras = record.ensureExtras();
  extras.remote = endpoint;
  extras.remoteNode = node;
}

/** Count a remote process as one of this runtime's processes: listed, counted, and ended by `killAll`. */
export function listRemote(core: Core, remote: Pid): void {
  const proc = core.recordOf(remote);
  if (proc?.isRemote && proc.status === RUNNING && !core.isListed(proc)) core.attach(proc);
}

/** The real process died: its local record dies with the same reason. */
export function endRemote(core: Core, remote: Pid, reason: ExitReason): void {
  const proc = core.recordOf(remote);
  if (proc?.isRemote) terminate(core, proc, reason);
}
