/**
 * The journal: what each step of a run returned, keyed by (run, sequence), so a resumed run
 * replays its steps instead of running them again. Appends are fenced by the run's epoch and
 * idempotent: the same (run, sequence) written twice keeps the first entry and returns it, and a
 * different step name or kind there is a `JournalConflictError`. Appends are group-committed
 * (see sql-journal-store.ts); none resolves before its entry is durable.
 */
import type { StoredError } from './types.ts';

export type JournalKind = 'step' | 'effect' | 'approval';
export type JournalOutcome = 'ok' | 'error';

export interface JournalEntry {
  readonly runId: string;
  readonly seq: number;
  readonly name: string;
  readonly kind: JournalKind;
  readonly outcome: JournalOutcome;
  /** The result as JSON text (`undefined` when the step returned nothing). */
  readonly valueJson?: string;
  readonly error?: StoredError;
  readonly at: number;
}

export interface JournalStore {
  /**
   * Append a journal entry for one run at its epoch; fenced; idempotent per (run, seq).
   * Concurrent calls are group-committed: batched into one transaction, each resolved only
   * after that transaction is durable. `effectDone` marks that effect done in the same
   * transaction. Returns the stored entry (the existing one on a repeat).
   */
  appendJournal(entry: JournalEntry, epoch: number, effectDone?: string): Promise<JournalEntry>;
  /** A run's entries in sequence order (none once the run was compacted: see `readArchivedJournal`). */
  readJournal(runId: string): Promise<readonly JournalEntry[]>;
  /** Remove entries at or after `fromSeq` (used to retry a failed run from its failed step); fenced. */
  truncateJournal(runId: string, epoch: number, fromSeq: number): Promise<number>;
  /** The journal of a run that `compactRuns` archived; undefined for a run that was not archived. */
  readArchivedJournal(runId: string): Promise<readonly JournalEntry[] | undefined>;
}
