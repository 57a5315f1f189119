/**
 * Journal rows (table `warden_journal`, keyed by (run_id, seq)) as {@link JournalEntry} values,
 * shared by the journal store and by compaction, which folds a run's entries into its archive.
 */
import { jsonColumn, numberColumn, rowReader, textColumn } from './sql-columns.ts';
import type { JournalEntry } from './journal-store.ts';

export const journalEntryFromRow = rowReader<JournalEntry>(
  {
    runId: ['run_id', textColumn],
    seq: ['seq', numberColumn],
    name: ['name', textColumn],
    kind: ['kind', textColumn],
    outcome: ['outcome', textColumn],
    at: ['at', numberColumn],
  },
  { valueJson: ['value', textColumn], error: ['error', jsonColumn] },
);

/** One string per (run, seq), for sets of entries. */
export function journalKey(runId: string, seq: number): string {
  return `${runId}\u0000${seq}`;
}
