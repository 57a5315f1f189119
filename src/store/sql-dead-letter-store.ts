/**
 * {@link DeadLetterStore} in SQL (table `warden_dead_letters`). A status change is one
 * `UPDATE ... WHERE status IN (from)`, so of two processes moving the same letter only one does.
 */
import type { DeadLetter, DeadLetterFilter, DeadLetterStatus, DeadLetterStore } from './dead-letter-store.ts';
import { jsonColumn, jsonText, numberColumn, placeholders, whereEqual, type Row } from './sql-columns.ts';
import type { SqlDriver } from './sql-driver.ts';
import type { Json } from './types.ts';

function deadLetterFromRow(r: Row): DeadLetter {
  const d: Record<string, unknown> = {
    id: String(r.id),
    source: String(r.source),
    input: jsonColumn(r.input),
    error: jsonColumn(r.error),
    attempts: jsonColumn(r.attempts),
    traceId: String(r.trace_id),
    status: String(r.status),
    createdAt: numberColumn(r.created_at),
    updatedAt: numberColumn(r.updated_at),
  };
  if (r.run_id !== null && r.run_id !== undefined) d.runId = String(r.run_id);
  if (r.replay_input !== null && r.replay_input !== undefined) d.replayInput = jsonColumn(r.replay_input);
  if (r.replayed_as !== null && r.replayed_as !== undefined) d.replayedAs = String(r.replayed_as);
  return d as unknown as DeadLetter;
}

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
    const rows = await this.driver.read('SELECT * FROM warden_dead_letters WHERE id = ?', [id]);
    return rows[0] === undefined ? undefined : deadLetterFromRow(rows[0]);
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
    return rows[0] === undefined ? undefined : deadLetterFromRow(rows[0]);
  }
}
