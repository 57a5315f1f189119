/**
 * Journal rows (table `warden_journal`, keyed by (run_id, seq)) as {@link JournalEntry} values,
 * shared by the journal store and by compaction, which folds a run's entries into its archive.
 */
import { showValue } from '../runtime/index.ts';
import { ColumnValueError, jsonColumn, numberColumn, rowReader, textColumn } from './sql-columns.ts';
import type { JournalEntry, JournalKind, JournalOutcome } from './journal-store.ts';

const JOURNAL_KINDS: readonly JournalKind[] = ['step', 'effect', 'approval'];
const JOURNAL_OUTCOMES: readonly JournalOutcome[] = ['ok', 'error'];

/** A text column holding one of `known` (a kind from a newer version is refused, not taken for another). */
const oneOf =
  <T extends string>(known: readonly T[]) =>
  (v: unknown): T => {
    if (!(known as readonly unknown[]).includes(v))
      throw new ColumnValueError(`holds ${showValue(v)}, which this version does not know (it knows ${known.join(', ')})`);
    return v as T;
  };

/** A JSON value kept as its text: refused if it is not JSON, so replay never meets a SyntaxError. */
const jsonTextColumn = (v: unknown): string => {
  jsonColumn(v);
  return String(v);
};

export const journalEntryFromRow = rowReader<JournalEntry>(
  {
    runId: ['run_id', textColumn],
    seq: ['seq', numberColumn],
    name: ['name', textColumn],
    kind: ['kind', oneOf(JOURNAL_KINDS)],
    outcome: ['outcome', oneOf(JOURNAL_OUTCOMES)],
    at: ['at', numberColumn],
  },
  { valueJson: ['value', jsonTextColumn], error: ['error', jsonColumn] },
  { table: 'warden_journal', key: (r) => `(run ${showValue(String(r.run_id))}, seq ${String(r.seq)})` },
);

/** One string per (run, seq), for sets of entries. */
export function journalKey(runId: string, seq: number): string {
  return `${runId}\u0000${seq}`;
}
