/**
 * The base of every error Warden throws, and the runtime's own errors.
 *
 * Errors cross threads, processes and the journal, so they are identified by a stable `code`
 * (`isWardenError(e, 'CALL_TIMEOUT')`), never by `instanceof` alone: the brand is a global
 * symbol, so two copies of the package agree, and `toJSON()` keeps the code and the subject
 * fields when an error is serialised.
 */
import { formatReason, showValue, type ExitReason, type Term } from './terms.ts';
import type { Pid } from './pid.ts';

const BRAND = Symbol.for('warden.error');

/** JSON form of a Warden error: its name, code, message and subject fields. */
export interface WardenErrorJSON {
  readonly name: string;
  readonly code: string;
  readonly message: string;
  readonly retryable: boolean;
  readonly [field: string]: unknown;
}

export abstract class WardenError extends Error {
  /** Stable identifier of the kind of failure, e.g. `'CALL_TIMEOUT'`. */
  abstract readonly code: string;
  /** Whether trying the same thing again may succeed. */
  readonly retryable: boolean = false;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }

  /** Subject fields to include in `toJSON()`; subclasses override. */
  protected details(): Record<string, unknown> {
    return {};
  }

  toJSON(): WardenErrorJSON {
    return {
      ...this.details(),
      name: this.name,
      code: this.code,
      message: this.message,
      retryable: this.retryable,
    };
  }
}

Object.defineProperty(WardenError.prototype, BRAND, { value: true });

/** True if `e` is a Warden error (optionally of the given code), even from another copy of the package. */
export function isWardenError(e: unknown, code?: string): e is WardenError {
  if (typeof e !== 'object' || e === null) return false;
  if (!(BRAND in e)) return false;
  return code === undefined || (e as { code?: unknown }).code === code;
}

/** A spec, option or argument is invalid. `path` names the field (`children[2].shutdown`). */
export class InvalidSpecError extends WardenError {
  readonly code = 'INVALID_SPEC';
  readonly subject: string;
  readonly path: string;
  readonly value: unknown;
  /** What is wrong with the value, e.g. `must be an integer >= 0`. */
  readonly why: string;
  /**
   * The problem as a plain term, in OTP's words where OTP has them (e.g.
   * `{ bad_combination: [{ restart: 'permanent' }, { significant: true }] }`), for when it
   * must travel as an exit reason or a call result.
   */
  readonly term: Term;

  constructor(subject: string, path: string, value: unknown, why: string, term?: Term) {
    super(`${subject}: ${path === '' ? '' : `${path} `}${why} (got ${showValue(value)})`);
    this.subject = subject;
    this.path = path;
    this.value = value;
    this.why = why;
    this.term = term ?? { invalid: `${path} ${why}`.trim() };
  }

  protected override details(): Record<string, unknown> {
    return { subject: this.subject, path: this.path, value: showValue(this.value), why: this.why };
  }
}

/** A call got no reply within its timeout. The request may still be processed. */
export class CallTimeoutError extends WardenError {
  readonly code = 'CALL_TIMEOUT';
  override readonly retryable = true;
  readonly target: string;
  readonly timeoutMs: number;

  constructor(target: Pid | string, timeoutMs: number) {
    super(`call to ${String(target)} got no reply within ${timeoutMs} ms`);
    this.target = String(target);
    this.timeoutMs = timeoutMs;
  }

  protected override details(): Record<string, unknown> {
    return { target: this.target, timeoutMs: this.timeoutMs };
  }
}

/** The target of a call was not running, or exited before replying (`reason` says why; `noproc` if it never ran). */
export class CallTargetExitedError extends WardenError {
  readonly code = 'CALL_TARGET_EXITED';
  readonly target: string;
  readonly reason: ExitReason;

  constructor(target: Pid | string, reason: ExitReason) {
    super(
      reason === 'noproc'
        ? `call to ${String(target)} failed: no such process`
        : `call to ${String(target)} failed: the process exited with ${formatReason(reason)}`,
    );
    this.target = String(target);
    this.reason = reason;
  }

  protected override details(): Record<string, unknown> {
    return { target: this.target, reason: formatReason(this.reason) };
  }
}

/** A message was refused because the target's mailbox is at capacity. */
export class MailboxFullError extends WardenError {
  readonly code = 'MAILBOX_FULL';
  override readonly retryable = true;
  readonly target: string;
  readonly capacity: number;
  readonly overflow: string;

  constructor(target: Pid, capacity: number, overflow: string) {
    super(
      `mailbox of ${String(target)} is full (capacity ${capacity}, overflow '${overflow}')` +
        (overflow === 'block' ? '; use sendWait() to wait for room' : ''),
    );
    this.target = String(target);
    this.capacity = capacity;
    this.overflow = overflow;
  }

  protected override details(): Record<string, unknown> {
    return { target: this.target, capacity: this.capacity, overflow: this.overflow };
  }
}

/**
 * The process has exited: a stale handle (an old incarnation, or code still running after
 * its process was killed) tried to act. Nothing was done.
 */
export class ProcessExitedError extends WardenError {
  readonly code = 'PROCESS_EXITED';
  readonly pid: string;
  readonly reason: ExitReason;
  readonly operation: string;

  constructor(pid: Pid | string, reason: ExitReason, operation: string) {
    super(`process ${String(pid)} has exited (${formatReason(reason)}); ${operation} refused`);
    this.pid = String(pid);
    this.reason = reason;
    this.operation = operation;
  }

  protected override details(): Record<string, unknown> {
    return { pid: this.pid, reason: formatReason(this.reason), operation: this.operation };
  }
}

/** A name is already registered to another live process. */
export class NameTakenError extends WardenError {
  readonly code = 'NAME_TAKEN';
  readonly processName: string;
  readonly holder: string;

  constructor(name: string, holder: Pid) {
    super(`name "${name}" is already registered to ${String(holder)}`);
    this.processName = name;
    this.holder = String(holder);
  }

  protected override details(): Record<string, unknown> {
    return { processName: this.processName, holder: this.holder };
  }
}

/** A message was sent to a name that no process holds. */
export class NameNotRegisteredError extends WardenError {
  readonly code = 'NAME_NOT_REGISTERED';
  readonly processName: string;

  constructor(name: string) {
    super(`no process is registered as "${name}"`);
    this.processName = name;
  }

  protected override details(): Record<string, unknown> {
    return { processName: this.processName };
  }
}
