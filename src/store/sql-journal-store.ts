/**
 * {@link JournalStore} in SQL (table `warden_journal`; archives in `warden_runs.archive`).
 * Appends go through the group commit (journal-group-commit.ts): a batch of plain steps is one
 * autocommitted statement, and a batch that marks effects done is one transaction
 * (sql-journal-writes.ts). Truncating is fenced by the run's epoch.
 */
import { JournalGroupCommit } from './journal-group-commit.ts';
import type { JournalEntry, JournalStore } from './journal-store.ts';
import type { RunFence } from './run-fence.ts';
import type { SqlDriver } from './sql-driver.ts';
import { journalEntryFromRow } from './sql-journal-rows.ts';
import { writeBatchWithEffects, writeStepBatch } from './sql-journal-writes.ts';

export class SqlJournalStore implements JournalStore {
  private readonly driver: SqlDriver;
  private readonly fence: RunFence;
  private readonly groupCommit: JournalGroupCommit;

  constructor(driver: SqlDriver, fence: RunFence) {
    this.driver = driver;
    this.fence = fence;
    this.groupCommit = new JournalGroupCommit(driver.location, (batch) =>
      batch.some((p) => p.effectDone !== undefined) ? driver.transaction((c) => writeBatchWithEffects(c, fence, batch)) : writeStepBatch(driver, batch),
    );
  }

  appendJournal(entry: JournalEntry, epoch: number, effectDone?: string): Promise<JournalEntry> {
    return this.groupCommit.append(entry, epoch, effectDone);
  }

  /** Refuse new appends and write the ones queued; see {@link JournalGroupCommit.close}. */
  close(): Promise<void> {
    return this.groupCommit.close();
  }

  async readJournal(runId: string): Promise<readonly JournalEntry[]> {
    const rows = await this.driver.read('SELECT * FROM warden_journal WHERE run_id = ? ORDER BY seq', [runId]);
    return rows.map(journalEntryFromRow);
  }

  async truncateJournal(runId: string, epoch: number, fromSeq: number): Promise<number> {
    return this.driver.transaction(async (c) => {
      await this.fence.check(c, runId, epoch, `truncate journal from ${fromSeq}`);
      return c.run('DELETE FROM warden_journal WHERE run_id = ? AND seq >= ?', [runId, fromSeq]);
    });
  }

  async readArchivedJournal(runId: string): Promise<readonly JournalEntry[] | undefined> {
    const rows = await this.driver.read<{ archive: unknown }>('SELECT archive FROM warden_runs WHERE id = ?', [runId]);
    const a = rows[0]?.archive;
    return a === null || a === undefined ? undefined : (JSON.parse(String(a)) as JournalEntry[]);
  }
}
