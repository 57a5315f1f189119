/**
 * The runtime's side of remote processes: processes of another runtime, in another worker thread
 * or OS process (Erlang would say: on another node). Such a process is represented here by a
 * local record, its pid, that is not in the live list and runs no code, whose messages and exit
 * signals are handed to a `RemoteEndpoint`, and which dies, with the real process's reason, when
 * the endpoint learns that the real one died. Links and monitors on it are ordinary local ones,
 * so they fire exactly as for a local process; links are mirrored on both sides, so an exit
 * signal arriving at it over a link is not forwarded (the other side delivers the same death
 * itself).
 */
import type { CallFrom } from './messages.ts';
import type { Pid } from './pid.ts';
import type { ExitReason } from './terms.ts';

export interface RemoteEndpoint {
  /** Send `message` to the real process (throws a typed error if it cannot cross). */
  forward(remote: Pid, message: unknown): void;
  /** An exit signal sent with `sendExit` (not over a link) to the real process. */
  exitSignal(remote: Pid, from: Pid | undefined, reason: ExitReason): void;
  /** End the real process now, whatever it is doing, with `reason` (untrappable). */
  kill(remote: Pid, reason: ExitReason): void;
}

/** A call's `from` that belongs to a caller elsewhere: a reply to it travels back. */
export interface RemoteCallFrom extends CallFrom {
  deliverReply(value: unknown): void;
}

export function isRemoteCallFrom(from: CallFrom): from is RemoteCallFrom {
  return typeof (from as { deliverReply?: unknown }).deliverReply === 'function';
}
