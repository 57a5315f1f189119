/**
 * The messages the runtime itself puts in mailboxes. They are class instances, not plain
 * objects, so a user message that happens to have `type: 'EXIT'` can never be mistaken for
 * one; test with the guards (`isExit(m)`, `isDown(m)`, `isCall(m)`, `isCast(m)`).
 *
 * EXIT and DOWN are *system* messages: they do not count toward a mailbox's capacity and are
 * never dropped, because losing one would lose a death.
 */
import type { Pid } from './pid.ts';
import type { ExitReason } from './terms.ts';

/** Base of messages that bypass mailbox capacity and overflow policy. */
export abstract class SystemMessage {}

/** An exit signal turned into a message because the receiver traps exits. */
export class ExitMessage extends SystemMessage {
  readonly type = 'EXIT';
  /** The process the signal came from; `undefined` when sent from outside any process. */
  readonly from: Pid | undefined;
  readonly reason: ExitReason;

  constructor(from: Pid | undefined, reason: ExitReason) {
    super();
    this.from = from;
    this.reason = reason;
  }
}

/** A monitored process is gone (`reason` is `'noproc'` if it was already gone when monitored). */
export class DownMessage extends SystemMessage {
  readonly type = 'DOWN';
  readonly ref: number;
  readonly pid: Pid;
  readonly reason: ExitReason;

  constructor(ref: number, pid: Pid, reason: ExitReason) {
    super();
    this.ref = ref;
    this.pid = pid;
    this.reason = reason;
  }
}

/** Who is waiting for a reply: pass it to `reply(from, value)`. */
export interface CallFrom {
  readonly pid: Pid | undefined;
  readonly ref: number;
}

/** A request made with `call`; answer it with `reply(message.from, value)`. */
export class CallRequest<Req = unknown> {
  readonly type = 'CALL';
  readonly from: CallFrom;
  readonly request: Req;

  constructor(from: CallFrom, request: Req) {
    this.from = from;
    this.request = request;
  }
}

/** A message sent with `cast` (a server routes it to `handleCast`, not `handleInfo`). */
export class CastMessage<Msg = unknown> {
  readonly type = 'CAST';
  readonly message: Msg;

  constructor(message: Msg) {
    this.message = message;
  }
}

export function isExit(m: unknown): m is ExitMessage {
  return m instanceof ExitMessage;
}

export function isDown(m: unknown): m is DownMessage {
  return m instanceof DownMessage;
}

export function isCall(m: unknown): m is CallRequest {
  return m instanceof CallRequest;
}

export function isCast(m: unknown): m is CastMessage {
  return m instanceof CastMessage;
}

/** Ask a server or supervisor to terminate (run its cleanup) and exit with `reason`. */
export class StopRequest extends SystemMessage {
  readonly type = 'STOP';
  readonly reason: ExitReason;

  constructor(reason: ExitReason) {
    super();
    this.reason = reason;
  }
}

export function isStopRequest(m: unknown): m is StopRequest {
  return m instanceof StopRequest;
}

/**
 * Stop cooperatively: a watchdog saw no progress. The process's `ctx.stopSignal` is aborted
 * too; it has a grace period before it is killed.
 */
export class SoftStopRequest extends SystemMessage {
  readonly type = 'SOFT_STOP';
  readonly reason: ExitReason;

  constructor(reason: ExitReason) {
    super();
    this.reason = reason;
  }
}

export function isSoftStopRequest(m: unknown): m is SoftStopRequest {
  return m instanceof SoftStopRequest;
}
