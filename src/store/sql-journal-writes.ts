/**
 * The two ways a group-committed batch of journal entries is written (journal-group-commit.ts).
 * Both insert `ON CONFLICT (run_id, seq) DO NOTHING` and then classify each entry they did not
 * insert: refused by the fence (`FencedError`), already there with the same step (an idempotent
 * repeat, answered with the stored entry), or there with another step (`JournalConflictError`).
 * An entry repeated within one batch is answered from the stored row, like any repeat.
 */
import { FencedError } from '../runtime/index.ts';
import { JournalConflictError } from './errors.ts';
import type { PendingAppend } from './journal-group-commit.ts';
import type { JournalEntry } from './journal-store.ts';
import type { RunFence } from './run-fence.ts';
import { numberColumn, placeholders, readColumn } from './sql-columns.ts';
import type { SqlConn, SqlDriver } from './sql-driver.ts';
import { journalEntryFromRow, journalKey } from './sql-journal-rows.ts';

/** A run's epoch as read for the fence (a value another version left there is refused naming the run). */
const epochOf = (r: Record<string, unknown>, runId: string): number =>
  readColumn({ table: 'warden_runs', key: () => `(id ${JSON.stringify(runId)})` }, r, 'epoch', numberColumn);

const fenced = (p: PendingAppend): FencedError => new FencedError(`run ${p.entry.runId}`, p.epoch, `append journal entry ${p.entry.seq} "${p.entry.name}"`);

/** What an entry that was not inserted meets in the journal: its repeat, or a conflict. */
function againstStored(e: JournalEntry, stored: JournalEntry | undefined): JournalEntry | Error {
  if (stored === undefined) return new Error(`journal entry ${e.seq} of run ${e.runId} was not written`);
  if (stored.name !== e.name || stored.kind !== e.kind) return new JournalConflictError(e.runId, e.seq, stored.name, e.name);
  return stored;
}

/**
 * The common case, a batch of step entries with no effect to mark done: one statement, its own
 * transaction (one round trip, one fsync), inserting only the entries whose run is still at
 * their epoch (Postgres locks those run rows `FOR SHARE` in the same statement). An entry it did
 * not insert is then classified by reading its row and its run's epoch.
 */
export async function writeStepBatch(driver: SqlDriver, batch: readonly PendingAppend[]): Promise<(JournalEntry | Error)[]> {
  const pg = driver.dialect === 'postgres';
  const row = pg ? '(?::text, ?::integer, ?::text, ?::text, ?::text, ?::text, ?::text, ?::double precision, ?::bigint)' : '(?, ?, ?, ?, ?, ?, ?, ?, ?)';
  const params: unknown[] = [];
  for (const p of batch) {
    const e = p.entry;
    params.push(e.runId, e.seq, e.name, e.kind, e.outcome, e.valueJson ?? null, e.error === undefined ? null : JSON.stringify(e.error), e.at, p.epoch);
  }
  const values = `WITH v (run_id, seq, name, kind, outcome, value, error, at, epoch) AS (VALUES ${batch.map(() => row).join(', ')})`;
  const sql = pg
    ? `${values}, live AS (SELECT r.id, r.epoch FROM warden_runs r WHERE r.id IN (SELECT run_id FROM v) FOR SHARE)
       INSERT INTO warden_journal (run_id, seq, name, kind, outcome, value, error, at)
       SELECT DISTINCT ON (v.run_id, v.seq) v.run_id, v.seq, v.name, v.kind, v.outcome, v.value, v.error, v.at
         FROM v JOIN live ON live.id = v.run_id AND live.epoch = v.epoch
       ON CONFLICT (run_id, seq) DO NOTHING RETURNING run_id, seq`
    : `${values}
       INSERT INTO warden_journal (run_id, seq, name, kind, outcome, value, error, at)
       SELECT v.run_id, v.seq, v.name, v.kind, v.outcome, v.value, v.error, v.at
         FROM v JOIN warden_runs r ON r.id = v.run_id AND r.epoch = v.epoch WHERE true
       ON CONFLICT (run_id, seq) DO NOTHING RETURNING run_id, seq`;
  const ret = await driver.write<{ run_id: string; seq: unknown }>(sql, params);
  const inserted = new Set(ret.map((r) => journalKey(String(r.run_id), numberColumn(r.seq))));
  const outcomes: (JournalEntry | Error)[] = [];
  for (const p of batch) {
    const e = p.entry;
    const k = journalKey(e.runId, e.seq);
    if (inserted.has(k)) {
      inserted.delete(k); // a repeat of the same entry later in the batch is answered from the row
      outcomes.push(e);
      continue;
    }
    const existing = await driver.read('SELECT * FROM warden_journal WHERE run_id = ? AND seq = ?', [e.runId, e.seq]);
    const stored = existing[0] === undefined ? undefined : journalEntryFromRow(existing[0]);
    const current = (await driver.read<{ epoch: unknown }>('SELECT epoch FROM warden_runs WHERE id = ?', [e.runId]))[0];
    if (current === undefined || epochOf(current, e.runId) !== p.epoch) outcomes.push(fenced(p));
    else outcomes.push(againstStored(e, stored));
  }
  return outcomes;
}

/**
 * A batch that marks effects done: inside the transaction `c`, read the epochs of its runs (with
 * the fence's row lock), insert the entries whose run is at their epoch, and mark done the
 * effects of the entries inserted, so an effect is done exactly when its outcome is journaled.
 */
export async function writeBatchWithEffects(c: SqlConn, fence: RunFence, batch: readonly PendingAppend[]): Promise<(JournalEntry | Error)[]> {
  const runIds = [...new Set(batch.map((p) => p.entry.runId))];
  const epochs = new Map<string, number>();
  const rows = await c.all<{ id: string; epoch: unknown }>(
    `SELECT id, epoch FROM warden_runs WHERE id IN (${placeholders(runIds.length)})${fence.lockClause}`,
    runIds,
  );
  for (const r of rows) epochs.set(String(r.id), epochOf(r, String(r.id)));
  const outcomes: (JournalEntry | Error | undefined)[] = batch.map(() => undefined);
  const toInsert: number[] = [];
  const seen = new Set<string>();
  batch.forEach((p, i) => {
    const e = p.entry;
    if (epochs.get(e.runId) !== p.epoch) {
      outcomes[i] = fenced(p);
      return;
    }
    const k = journalKey(e.runId, e.seq);
    if (seen.has(k)) return; // a repeat within the batch: answered below from the stored row
    seen.add(k);
    toInsert.push(i);
  });
  const inserted = new Set<string>();
  const insertedAt = new Set(toInsert);
  if (toInsert.length > 0) {
    const params: unknown[] = [];
    for (const i of toInsert) {
      const e = batch[i]!.entry;
      params.push(e.runId, e.seq, e.name, e.kind, e.outcome, e.valueJson ?? null, e.error === undefined ? null : JSON.stringify(e.error), e.at);
    }
    const ret = await c.all<{ run_id: string; seq: unknown }>(
      `INSERT INTO warden_journal (run_id, seq, name, kind, outcome, value, error, at) VALUES ${toInsert
        .map(() => '(?, ?, ?, ?, ?, ?, ?, ?)')
        .join(', ')} ON CONFLICT (run_id, seq) DO NOTHING RETURNING run_id, seq`,
      params,
    );
    for (const r of ret) inserted.add(journalKey(String(r.run_id), numberColumn(r.seq)));
    const done = toInsert.map((i) => batch[i]!).filter((p) => p.effectDone !== undefined && inserted.has(journalKey(p.entry.runId, p.entry.seq)));
    if (done.length > 0) {
      await c.run(`UPDATE warden_effects SET status = 'done', done_at = ? WHERE key IN (${placeholders(done.length)})`, [
        done[0]!.entry.at,
        ...done.map((p) => p.effectDone),
      ]);
    }
  }
  for (let i = 0; i < batch.length; i++) {
    if (outcomes[i] !== undefined) continue;
    const e = batch[i]!.entry;
    if (inserted.has(journalKey(e.runId, e.seq)) && insertedAt.has(i)) {
      outcomes[i] = e;
      continue;
    }
    const existing = await c.all('SELECT * FROM warden_journal WHERE run_id = ? AND seq = ?', [e.runId, e.seq]);
    outcomes[i] = againstStored(e, existing[0] === undefined ? undefined : journalEntryFromRow(existing[0]));
  }
  return outcomes as (JournalEntry | Error)[];
}
