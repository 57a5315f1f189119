/**
 * {@link DeadLetterStore} in SQL (table `warden_dead_letters`). A status change is one
 * `UPDATE ... WHERE status IN (from)`, so of two processes moving the same letter only one does.
 */
import type { DeadLetter, DeadLetterFilter, DeadLetterStatus, DeadLetterStore } from './dead-letter-store.ts';
import { firstRecord, jsonColumn, jsonText, numberColumn, placeholders, rowReader, textColumn, whereEqual } from './sql-columns.ts';
import type { SqlDriver } from './sql-driver.ts';
import type { Json } from './types.ts';

const deadLetterFromRow = rowReader<DeadLetter>(
  {
    id: ['id', textColumn],
    source: ['source', textColumn],
    input: ['input', jsonColumn],
    error: ['error', jsonColumn],
    attempts: ['attempts', jsonColumn],
    traceId: ['trace_id', textColumn],
    status: ['status', textColumn],
    createdAt: ['created_at', numberColumn],
    updatedAt: ['updated_at', numberColumn],
  },
  { runId: ['run_id', textColumn], replayInput: ['replay_input', jsonColumn], replayedAs: ['replayed_as', textColumn] },
  { table: 'warden_dead_letters', key: (r) => `(id ${JSON.stringify(String(r.id))})` },
);

export class SqlDeadLetterStore implements DeadLetterStore {
  private readonly driver: SqlDriver;

  constructor(driver: SqlDriver) {
    this.driver = driver;
  }

  async addDeadLetter(letter: Omit<DeadLetter, 'status' | 'updatedAt'>): Promise<DeadLetter> {
    return this.driver.transaction(async (c) => {
      await c.run(
        `INSERT INTO warden_dead_letters (id, source, run_id, input, error, attempts, trace_id, status, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?) ON CONFLICT (id) DO NOTHING`,
        [
          letter.id,
          letter.source,
          letter.runId ?? null,
          JSON.stringify(letter.input),
          JSON.stringify(letter.error),
          JSON.stringify(letter.attempts),
          letter.traceId,
          letter.createdAt,
          letter.createdAt,
        ],
      );
      return deadLetterFromRow((await c.all('SELECT * FROM warden_dead_letters WHERE id = ?', [letter.id]))[0]!);
    });
  }

  async getDeadLetter(id: string): Promise<DeadLetter | undefined> {
    return firstRecord(await this.driver.read('SELECT * FROM warden_dead_letters WHERE id = ?', [id]), deadLetterFromRow);
  }

  async listDeadLetters(filter: DeadLetterFilter = {}): Promise<readonly DeadLetter[]> {
    const { where, params } = whereEqual({ status: filter.status, source: filter.source });
    const rows = await this.driver.read(`SELECT * FROM warden_dead_letters${where} ORDER BY created_at, id LIMIT ?`, [...params, filter.limit ?? 1000]);
    return rows.map(deadLetterFromRow);
  }

  async updateDeadLetter(
    id: string,
    from: readonly DeadLetterStatus[],
    patch: { status: DeadLetterStatus; replayInput?: Json; replayedAs?: string },
    at: number,
  ): Promise<DeadLetter | undefined> {
    if (from.length === 0) return undefined;
    const rows = await this.driver.transaction((c) =>
      c.all(
        `UPDATE warden_dead_letters SET status = ?, replay_input = COALESCE(?, replay_input), replayed_as = COALESCE(?, replayed_as), updated_at = ?
          WHERE id = ? AND status IN (${placeholders(from.length)}) RETURNING *`,
        [patch.status, jsonText(patch.replayInput), patch.replayedAs ?? null, at, id, ...from],
      ),
    );
    return firstRecord(rows, deadLetterFromRow);
  }
}
