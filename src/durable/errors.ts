/**
 * The durable layer's errors. Each carries its subject (run id, step, sequence) as fields and
 * survives the journal: a step failure is stored as data and thrown again, identically, when
 * the run is replayed. The layer's codes are registered in `WardenErrorMap`, so
 * `isWardenError(e, 'STEP_FAILED')` narrows `e` to `StepFailedError`.
 */
import { WardenError } from '../runtime/index.ts';
import type { Attempt, StoredError } from '../store/index.ts';

declare module '../runtime/index.ts' {
  interface WardenErrorMap {
    NonDeterminismError: NonDeterminismError;
    NotSerializableError: NotSerializableError;
    StepFailedError: StepFailedError;
    JournalFullError: JournalFullError;
    ApprovalDeniedError: ApprovalDeniedError;
    RunCancelledError: RunCancelledError;
    UnknownRunError: UnknownRunError;
    DurableStateError: DurableStateError;
  }
}

/**
 * A resumed run asked for a different step than its journal holds at that position: the run's
 * code changed (or depends on something it did not journal). Nothing was executed; the run is
 * marked failed with this error. Fix the code (or version the run under a new name) and resume.
 */
export class NonDeterminismError extends WardenError<
  'NON_DETERMINISM',
  {
    runId: string;
    seq: number;
    /** What the journal holds at `seq`, e.g. `step "fetch"`. */
    expected: string;
    /** What the code asked for, e.g. `step "summarise"`. */
    got: string;
  }
> {
  constructor(runId: string, seq: number, expected: string, got: string) {
    super(
      'NON_DETERMINISM',
      `run ${runId}: at position ${seq} the journal holds ${expected} but the code asked for ${got}; ` +
        'the run code changed since this run started. Restore the old code to finish it, or start the new code under a new run name',
      { runId, seq, expected, got },
    );
  }
}

/** A step (or effect, or the run itself) returned something the journal cannot hold as JSON. */
export class NotSerializableError extends WardenError<
  'NOT_SERIALIZABLE',
  {
    runId: string;
    step: string;
    /** Where in the value, e.g. `$.items[2].at`. */
    path: string;
    why: string;
  }
> {
  constructor(runId: string, step: string, path: string, why: string) {
    super('NOT_SERIALIZABLE', `run ${runId}: the result of ${step} is not JSON-serialisable: ${path} ${why}`, { runId, step, path, why });
  }
}

/**
 * A step or effect failed (after any retries). Thrown to the run code the first time and,
 * identically, on every replay; `original` is the failure as stored, `attempts` its history.
 */
export class StepFailedError extends WardenError<
  'STEP_FAILED',
  { runId: string; step: string; seq: number; original: StoredError; attempts: readonly Attempt[] }
> {
  constructor(runId: string, step: string, seq: number, original: StoredError, attempts: readonly Attempt[], options?: { cause?: unknown }) {
    super(
      'STEP_FAILED',
      `run ${runId}: ${step} failed${attempts.length > 1 ? ` after ${attempts.length} attempts` : ''}: ${original.message}`,
      { runId, step, seq, original, attempts },
      options,
    );
  }
}

/**
 * What a step or effect did could not be written to the journal because the store's disk is full
 * (the store's `StoreFullError` is the cause). Nothing of it was recorded, so the run stops here
 * (every later call throws this again) and its execution ends `interrupted`, leaving the run
 * `running` in the store: once there is room a host resumes it from its journal, and this step
 * (or effect) runs again, as any step whose outcome was never journaled does.
 */
export class JournalFullError extends WardenError<
  'JOURNAL_FULL',
  {
    runId: string;
    /** What could not be recorded, e.g. `the outcome of step "fetch"`. */
    what: string;
    seq: number;
  }
> {
  constructor(runId: string, what: string, seq: number, cause: unknown) {
    super(
      'JOURNAL_FULL',
      `run ${runId}: ${what} (position ${seq}) could not be journaled: ${(cause as Error).message}. ` +
        'The run stops here and resumes from this step once there is room',
      { runId, what, seq },
      { cause, retryable: true },
    );
  }
}

/** An action that needed approval was denied; it was not executed. */
export class ApprovalDeniedError extends WardenError<'APPROVAL_DENIED', { runId: string; approvalId: string; action: string; by: string; reason: string }> {
  constructor(runId: string, approvalId: string, action: string, by: string, reason: string) {
    super('APPROVAL_DENIED', `run ${runId}: "${action}" was denied by ${by} (${reason}); it was not executed`, { runId, approvalId, action, by, reason });
  }
}

/** The run was cancelled (by the API or `warden runs cancel`). */
export class RunCancelledError extends WardenError<'RUN_CANCELLED', { runId: string }> {
  constructor(runId: string, reason: string) {
    super('RUN_CANCELLED', `run ${runId} was cancelled: ${reason}`, { runId });
  }
}

/** No run definition with this name is registered with the host. */
export class UnknownRunError extends WardenError<'UNKNOWN_RUN', { runName: string; known: readonly string[] }> {
  constructor(runName: string, known: readonly string[]) {
    super(
      'UNKNOWN_RUN',
      `no run definition named "${runName}" is registered (registered: ${known.length === 0 ? 'none' : known.join(', ')}); register it with defineRun and the host's runs option`,
      { runName, known },
    );
  }
}

/** The named run, dead letter or approval does not exist, or is not in a state that allows the operation. */
export class DurableStateError extends WardenError<'DURABLE_STATE', { subject: string }> {
  constructor(subject: string, why: string) {
    super('DURABLE_STATE', `${subject}: ${why}`, { subject });
  }
}
