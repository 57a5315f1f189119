/**
 * How one execution of a run ended, as its handle reports it. Every handle resolves (never
 * rejects) with one of:
 * - `completed` with the output (stored);
 * - `failed` with the error (stored; the run is also put in the dead-letter queue unless the
 *   host's `deadLetterOnFailure` is false);
 * - `suspended` with the reason (`approval`, `uncertain_effect`) and detail (stored);
 * - `cancelled` (stored);
 * - `interrupted`: this process stopped executing it without recording anything (its host
 *   closed, it was fenced, the store failed, or the store's disk is full: `JournalFullError`);
 *   the run stays `running` for a host to recover.
 */
import type { Json, RunRecord, StoredError } from '../store/index.ts';

export type RunOutcome<O = unknown> =
  | { readonly status: 'completed'; readonly runId: string; readonly output: O }
  | { readonly status: 'failed'; readonly runId: string; readonly error: StoredError; readonly deadLetterId?: string }
  | { readonly status: 'suspended'; readonly runId: string; readonly reason: string; readonly detail: Json }
  | { readonly status: 'cancelled'; readonly runId: string; readonly reason: string }
  | { readonly status: 'interrupted'; readonly runId: string; readonly why: string };

export interface RunHandle<O = unknown> {
  readonly id: string;
  /** How this execution ended; never rejects. */
  readonly result: Promise<RunOutcome<O>>;
}

/**
 * The outcome a run's stored record describes: its result when it has finished, `suspended` or
 * `interrupted` (with why) when it has not.
 */
export function outcomeOfRecord(run: RunRecord): RunOutcome {
  switch (run.status) {
    case 'completed':
      return { status: 'completed', runId: run.id, output: run.output };
    case 'failed':
      return { status: 'failed', runId: run.id, error: run.error ?? { name: 'Error', message: 'failed' } };
    case 'cancelled':
      return { status: 'cancelled', runId: run.id, reason: run.error?.message ?? 'cancelled' };
    case 'suspended':
      return { status: 'suspended', runId: run.id, reason: run.suspendReason ?? 'unknown', detail: run.suspendDetail ?? null };
    case 'running':
      return { status: 'interrupted', runId: run.id, why: `run ${run.id} is executing under ${run.owner ?? 'another owner'}` };
    default:
      return { status: 'interrupted', runId: run.id, why: `unknown status ${String(run.status)}` };
  }
}
