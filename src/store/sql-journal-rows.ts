/**
 * Journal rows (table `warden_journal`, keyed by (run_id, seq)) as {@link JournalEntry} values,
 * shared by the journal store and by compaction, which folds a run's entries into its archive.
 */
import { jsonColumn, numberColumn, type Row } from './sql-columns.ts';
import type { JournalEntry } from './journal-store.ts';

export function journalEntryFromRow(r: Row): JournalEntry {
  const e: Record<string, unknown> = {
    runId: String(r.run_id),
    seq: numberColumn(r.seq),
    name: String(r.name),
    kind: String(r.kind),
    outcome: String(r.outcome),
    at: numberColumn(r.at),
  };
  if (r.value !== null && r.value !== undefined) e.valueJson = String(r.value);
  if (r.error !== null && r.error !== undefined) e.error = jsonColumn(r.error);
  return e as unknown as JournalEntry;
}

/** One string per (run, seq), for sets of entries. */
export function journalKey(runId: string, seq: number): string {
  return `${runId}\u0000${seq}`;
}
