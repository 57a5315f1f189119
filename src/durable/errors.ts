/**
 * The durable layer's errors. Each carries its subject (run id, step, sequence) as fields and
 * survives the journal: a step failure is stored as data and thrown again, identically, when
 * the run is replayed.
 */
import { WardenError } from '../runtime/index.ts';
import type { Attempt, StoredError } from '../store/index.ts';

/**
 * A resumed run asked for a different step than its journal holds at that position: the run's
 * code changed (or depends on something it did not journal). Nothing was executed; the run is
 * marked failed with this error. Fix the code (or version the run under a new name) and resume.
 */
export class NonDeterminismError extends WardenError {
  readonly code = 'NON_DETERMINISM';
  readonly runId: string;
  readonly seq: number;
  /** What the journal holds at `seq`, e.g. `step "fetch"`. */
  readonly expected: string;
  /** What the code asked for, e.g. `step "summarise"`. */
  readonly got: string;

  constructor(runId: string, seq: number, expected: string, got: string) {
    super(
      `run ${runId}: at position ${seq} the journal holds ${expected} but the code asked for ${got}; ` +
        'the run code changed since this run started. Restore the old code to finish it, or start the new code under a new run name',
    );
    this.runId = runId;
    this.seq = seq;
    this.expected = expected;
    this.got = got;
  }

  protected override details(): Record<string, unknown> {
    return { runId: this.runId, seq: this.seq, expected: this.expected, got: this.got };
  }
}

/** A step (or effect, or the run itself) returned something the journal cannot hold as JSON. */
export class NotSerializableError extends WardenError {
  readonly code = 'NOT_SERIALIZABLE';
  readonly runId: string;
  readonly step: string;
  /** Where in the value, e.g. `$.items[2].at`. */
  readonly path: string;
  readonly why: string;

  constructor(runId: string, step: string, path: string, why: string) {
    super(`run ${runId}: the result of ${step} is not JSON-serialisable: ${path} ${why}`);
    this.runId = runId;
    this.step = step;
    this.path = path;
    this.why = why;
  }

  protected override details(): Record<string, unknown> {
    return { runId: this.runId, step: this.step, path: this.path, why: this.why };
  }
}

/**
 * A step or effect failed (after any retries). Thrown to the run code the first time and,
 * identically, on every replay; `original` is the failure as stored, `attempts` its history.
 */
export class StepFailedError extends WardenError {
  readonly code = 'STEP_FAILED';
  readonly runId: string;
  readonly step: string;
  readonly seq: number;
  readonly original: StoredError;
  readonly attempts: readonly Attempt[];

  constructor(runId: string, step: string, seq: number, original: StoredError, attempts: readonly Attempt[], options?: { cause?: unknown }) {
    super(`run ${runId}: ${step} failed${attempts.length > 1 ? ` after ${attempts.length} attempts` : ''}: ${original.message}`, options);
    this.runId = runId;
    this.step = step;
    this.seq = seq;
    this.original = original;
    this.attempts = attempts;
  }

  protected override details(): Record<string, unknown> {
    return { runId: this.runId, step: this.step, seq: this.seq, original: this.original, attempts: this.attempts };
  }
}

/**
 * What a step or effect did could not be written to the journal because the store's disk is full
 * (the store's `StoreFullError` is the cause). Nothing of it was recorded, so the run stops here
 * (every later call throws this again) and its execution ends `interrupted`, leaving the run
 * `running` in the store: once there is room a host resumes it from its journal, and this step
 * (or effect) runs again, as any step whose outcome was never journaled does.
 */
export class JournalFullError extends WardenError {
  readonly code = 'JOURNAL_FULL';
  override readonly retryable = true;
  readonly runId: string;
  /** What could not be recorded, e.g. `the outcome of step "fetch"`. */
  readonly what: string;
  readonly seq: number;

  constructor(runId: string, what: string, seq: number, cause: unknown) {
    super(
      `run ${runId}: ${what} (position ${seq}) could not be journaled: ${(cause as Error).message}. ` +
        'The run stops here and resumes from this step once there is room',
      { cause },
    );
    this.runId = runId;
    this.what = what;
    this.seq = seq;
  }

  protected override details(): Record<string, unknown> {
    return { runId: this.runId, what: this.what, seq: this.seq };
  }
}

/** An action that needed approval was denied; it was not executed. */
export class ApprovalDeniedError extends WardenError {
  readonly code = 'APPROVAL_DENIED';
  readonly runId: string;
  readonly approvalId: string;
  readonly action: string;
  readonly by: string;
  readonly reason: string;

  constructor(runId: string, approvalId: string, action: string, by: string, reason: string) {
    super(`run ${runId}: "${action}" was denied by ${by} (${reason}); it was not executed`);
    this.runId = runId;
    this.approvalId = approvalId;
    this.action = action;
    this.by = by;
    this.reason = reason;
  }

  protected override details(): Record<string, unknown> {
    return { runId: this.runId, approvalId: this.approvalId, action: this.action, by: this.by, reason: this.reason };
  }
}

/** The run was cancelled (by the API or `warden runs cancel`). */
export class RunCancelledError extends WardenError {
  readonly code = 'RUN_CANCELLED';
  readonly runId: string;

  constructor(runId: string, reason: string) {
    super(`run ${runId} was cancelled: ${reason}`);
    this.runId = runId;
  }

  protected override details(): Record<string, unknown> {
    return { runId: this.runId };
  }
}

/** No run definition with this name is registered with the host. */
export class UnknownRunError extends WardenError {
  readonly code = 'UNKNOWN_RUN';
  readonly runName: string;
  readonly known: readonly string[];

  constructor(runName: string, known: readonly string[]) {
    super(`no run definition named "${runName}" is registered (registered: ${known.length === 0 ? 'none' : known.join(', ')}); register it with defineRun and the host's runs option`);
    this.runName = runName;
    this.known = known;
  }

  protected override details(): Record<string, unknown> {
    return { runName: this.runName, known: this.known };
  }
}

/** The named run, dead letter or approval does not exist, or is not in a state that allows the operation. */
export class DurableStateError extends WardenError {
  readonly code = 'DURABLE_STATE';
  readonly subject: string;

  constructor(subject: string, why: string) {
    super(`${subject}: ${why}`);
    this.subject = subject;
  }

  protected override details(): Record<string, unknown> {
    return { subject: this.subject };
  }
}
