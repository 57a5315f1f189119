/**
 * The base of every error Warden throws, and the runtime's own errors.
 *
 * Errors cross threads, processes and the journal, so they are identified by a stable `code`
 * (`isWardenError(e, 'CALL_TIMEOUT')`), never by `instanceof` alone: the brand is a global
 * symbol, so two copies of the package agree, and `toJSON()` keeps the code and the subject
 * fields when an error is serialised.
 *
 * A subclass names its code and its subject fields once, in the type arguments, and hands them
 * to the base, which makes each field a public read-only property and lists them, in the order
 * given, in `details()` (and so in `toJSON()`):
 *
 * ```ts
 * class FencedError extends WardenError<'FENCED', { owner: string; generation: number; operation: string }> {
 *   constructor(owner: string, generation: number, operation: string) {
 *     super('FENCED', `${owner} (generation ${generation}) is no longer current; ${operation} refused`, { owner, generation, operation });
 *   }
 * }
 * ```
 *
 * A field whose JSON form differs from its value (an exit reason shown as text) overrides
 * `details()` for that field only; data that is not part of the JSON at all (a pid, a long text)
 * is an ordinary class field. Each layer adds its classes to {@link WardenErrorMap}, so
 * `isWardenError(e, 'FENCED')` narrows `e` to `FencedError`.
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

/** What a Warden error takes besides its code, message and fields. */
export interface WardenErrorOptions {
  /** The error that led to this one (the standard `cause`). */
  readonly cause?: unknown;
  /** Whether trying the same thing again may succeed. @default false */
  readonly retryable?: boolean;
}

abstract class WardenErrorBase<C extends string = string> extends Error {
  /** Whether trying the same thing again may succeed. */
  readonly retryable: boolean;
  /** Stable identifier of the kind of failure, e.g. `'CALL_TIMEOUT'`. */
  declare readonly code: C;
  /** The names of the subject fields, in the order `details()` lists them. */
  readonly #fields: readonly string[];

  constructor(code: C, message: string, fields?: object, options?: WardenErrorOptions) {
    super(message, options);
    this.retryable = options?.retryable ?? false;
    this.name = new.target.name;
    (this as { code: C }).code = code;
    this.#fields = fields === undefined ? [] : Object.keys(fields);
    if (fields !== undefined) Object.assign(this, fields);
  }

  /** The subject fields as `toJSON()` shows them: each field given to the constructor, in order. */
  protected details(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const field of this.#fields) out[field] = (this as unknown as Record<string, unknown>)[field];
    return out;
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

Object.defineProperty(WardenErrorBase, 'name', { value: 'WardenError' });
Object.defineProperty(WardenErrorBase.prototype, BRAND, { value: true });

/** A Warden error; `C` is its code. */
export type WardenError<C extends string = string> = WardenErrorBase<C>;

/**
 * The base class. `extends WardenError<Code, Fields>` gives the subclass a `code` of type `Code`
 * and every field of `Fields` as a read-only property; the constructor takes the code, the
 * message, the fields and the options (`cause`, `retryable`).
 */
// biome-ignore lint/complexity/noBannedTypes: `{}` is the neutral element of `& Readonly<F>`: an error with no fields adds no properties
export const WardenError: (abstract new <C extends string = string, F extends object = {}>(
  code: C,
  message: string,
  fields?: F,
  options?: WardenErrorOptions,
) => WardenErrorBase<C> & Readonly<F>) & { readonly prototype: WardenErrorBase } = WardenErrorBase as never;

/**
 * Every Warden error class by its class name. Each layer adds its own by declaration merging
 * (as it adds events to `WardenEventMap`):
 *
 * ```ts
 * declare module '../runtime/index.ts' {
 *   interface WardenErrorMap { BrokenCircuitError: BrokenCircuitError }
 * }
 * ```
 *
 * Keyed by class rather than by code because two classes may share a code (`APPROVAL_DENIED` is
 * thrown by a durable run and by an ephemeral one, with different fields).
 */
export interface WardenErrorMap {
  InvalidSpecError: InvalidSpecError;
  CallTimeoutError: CallTimeoutError;
  CallTargetExitedError: CallTargetExitedError;
  MailboxFullError: MailboxFullError;
  ProcessExitedError: ProcessExitedError;
  NameTakenError: NameTakenError;
  NameNotRegisteredError: NameNotRegisteredError;
}

/** The code type a class declares (`string` for classes that carry another error's code). */
type CodeOf<E> = E extends { readonly code: infer C extends string } ? C : never;

/** Every code a registered class declares, e.g. `'FENCED' | 'BUDGET_EXCEEDED' | ...`. */
export type WardenErrorCode = {
  [K in keyof WardenErrorMap]: string extends CodeOf<WardenErrorMap[K]> ? never : CodeOf<WardenErrorMap[K]>;
}[keyof WardenErrorMap];

/** The error class (or classes) whose code is `C`; a class with several codes is narrowed to `C`. */
export type WardenErrorOf<C extends string> = {
  [K in keyof WardenErrorMap]: string extends CodeOf<WardenErrorMap[K]>
    ? never
    : C extends CodeOf<WardenErrorMap[K]>
      ? [CodeOf<WardenErrorMap[K]>] extends [C]
        ? WardenErrorMap[K]
        : WardenErrorMap[K] & { readonly code: C }
      : never;
}[keyof WardenErrorMap];

/**
 * True if `e` is a Warden error (optionally of the given code), even from another copy of the
 * package. A known code narrows `e` to its class: after `isWardenError(e, 'FENCED')`, `e.owner`
 * is there. An error rebuilt on the other side of a thread or process boundary passes too, with
 * its fields in their JSON form.
 */
export function isWardenError<C extends WardenErrorCode>(e: unknown, code: C): e is WardenErrorOf<C>;
export function isWardenError(e: unknown, code?: string): e is WardenError;
export function isWardenError(e: unknown, code?: string): boolean {
  if (typeof e !== 'object' || e === null) return false;
  if (!(BRAND in e)) return false;
  return code === undefined || (e as { code?: unknown }).code === code;
}

/** A spec, option or argument is invalid. `path` names the field (`children[2].shutdown`). */
export class InvalidSpecError extends WardenError<
  'INVALID_SPEC',
  {
    subject: string;
    path: string;
    value: unknown;
    /** What is wrong with the value, e.g. `must be an integer >= 0`. */
    why: string;
  }
> {
  /**
   * The problem as a plain term, in OTP's words where OTP has them (e.g.
   * `{ bad_combination: [{ restart: 'permanent' }, { significant: true }] }`), for when it
   * must travel as an exit reason or a call result.
   */
  readonly term: Term;

  constructor(subject: string, path: string, value: unknown, why: string, term?: Term) {
    super('INVALID_SPEC', `${subject}: ${path === '' ? '' : `${path} `}${why} (got ${showValue(value)})`, { subject, path, value, why });
    this.term = term ?? { invalid: `${path} ${why}`.trim() };
  }

  protected override details(): Record<string, unknown> {
    return { ...super.details(), value: showValue(this.value) };
  }
}

/** A call got no reply within its timeout. The request may still be processed. */
export class CallTimeoutError extends WardenError<'CALL_TIMEOUT', { target: string; timeoutMs: number }> {
  constructor(target: Pid | string, timeoutMs: number) {
    super('CALL_TIMEOUT', `call to ${String(target)} got no reply within ${timeoutMs} ms`, { target: String(target), timeoutMs }, { retryable: true });
  }
}

/** The target of a call was not running, or exited before replying (`reason` says why; `noproc` if it never ran). */
export class CallTargetExitedError extends WardenError<'CALL_TARGET_EXITED', { target: string; reason: ExitReason }> {
  constructor(target: Pid | string, reason: ExitReason) {
    super(
      'CALL_TARGET_EXITED',
      reason === 'noproc'
        ? `call to ${String(target)} failed: no such process`
        : `call to ${String(target)} failed: the process exited with ${formatReason(reason)}`,
      { target: String(target), reason },
    );
  }

  protected override details(): Record<string, unknown> {
    return { ...super.details(), reason: formatReason(this.reason) };
  }
}

/** A message was refused because the target's mailbox is at capacity. */
export class MailboxFullError extends WardenError<'MAILBOX_FULL', { target: string; capacity: number; overflow: string }> {
  constructor(target: Pid, capacity: number, overflow: string) {
    super(
      'MAILBOX_FULL',
      `mailbox of ${String(target)} is full (capacity ${capacity}, overflow '${overflow}')` + (overflow === 'block' ? '; use sendWait() to wait for room' : ''),
      { target: String(target), capacity, overflow },
      { retryable: true },
    );
  }
}

/**
 * The process has exited: a stale handle (an old incarnation, or code still running after
 * its process was killed) tried to act. Nothing was done.
 */
export class ProcessExitedError extends WardenError<'PROCESS_EXITED', { pid: string; reason: ExitReason; operation: string }> {
  constructor(pid: Pid | string, reason: ExitReason, operation: string) {
    super('PROCESS_EXITED', `process ${String(pid)} has exited (${formatReason(reason)}); ${operation} refused`, { pid: String(pid), reason, operation });
  }

  protected override details(): Record<string, unknown> {
    return { ...super.details(), reason: formatReason(this.reason) };
  }
}

/** A name is already registered to another live process. */
export class NameTakenError extends WardenError<'NAME_TAKEN', { processName: string; holder: string }> {
  constructor(name: string, holder: Pid) {
    super('NAME_TAKEN', `name "${name}" is already registered to ${String(holder)}`, { processName: name, holder: String(holder) });
  }
}

/** A message was sent to a name that no process holds. */
export class NameNotRegisteredError extends WardenError<'NAME_NOT_REGISTERED', { processName: string }> {
  constructor(name: string) {
    super('NAME_NOT_REGISTERED', `no process is registered as "${name}"`, { processName: name });
  }
}
