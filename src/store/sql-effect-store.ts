/**
 * {@link EffectStore} in SQL (table `warden_effects`, keyed by the effect's idempotency key).
 * Recording an intent is fenced by the run's epoch; an effect is marked done by the journal
 * append that records its outcome (sql-journal-writes.ts), or resolved from outside here.
 */
import type { EffectRecord, EffectStore } from './effect-store.ts';
import type { RunFence } from './run-fence.ts';
import { firstRecord, jsonColumn, jsonText, numberColumn, rowReader, textColumn } from './sql-columns.ts';
import type { SqlDriver } from './sql-driver.ts';

const effectFromRow = rowReader<EffectRecord>(
  {
    key: ['key', textColumn],
    runId: ['run_id', textColumn],
    seq: ['seq', numberColumn],
    name: ['name', textColumn],
    status: ['status', textColumn],
    intentAt: ['intent_at', numberColumn],
  },
  { input: ['input', jsonColumn], doneAt: ['done_at', numberColumn] },
  { table: 'warden_effects', key: (r) => `(key ${JSON.stringify(String(r.key))})` },
);

export class SqlEffectStore implements EffectStore {
  private readonly driver: SqlDriver;
  private readonly fence: RunFence;

  constructor(driver: SqlDriver, fence: RunFence) {
    this.driver = driver;
    this.fence = fence;
  }

  async recordEffectIntent(effect: Omit<EffectRecord, 'status' | 'doneAt'>, epoch: number): Promise<EffectRecord> {
    return this.driver.transaction(async (c) => {
      await this.fence.check(c, effect.runId, epoch, `record intent of effect "${effect.name}"`);
      await c.run(
        `INSERT INTO warden_effects (key, run_id, seq, name, status, input, intent_at) VALUES (?, ?, ?, ?, 'intent', ?, ?)
         ON CONFLICT (key) DO UPDATE SET status = 'intent', intent_at = excluded.intent_at, done_at = NULL
         WHERE warden_effects.status = 'not_done' AND warden_effects.run_id = excluded.run_id`,
        [effect.key, effect.runId, effect.seq, effect.name, jsonText(effect.input), effect.intentAt],
      );
      const rows = await c.all('SELECT * FROM warden_effects WHERE key = ?', [effect.key]);
      return effectFromRow(rows[0]!);
    });
  }

  async getEffect(key: string): Promise<EffectRecord | undefined> {
    return firstRecord(await this.driver.read('SELECT * FROM warden_effects WHERE key = ?', [key]), effectFromRow);
  }

  async listEffects(runId: string): Promise<readonly EffectRecord[]> {
    return (await this.driver.read('SELECT * FROM warden_effects WHERE run_id = ? ORDER BY seq', [runId])).map(effectFromRow);
  }

  async resolveEffect(key: string, status: 'done' | 'not_done', at: number): Promise<boolean> {
    const n = await this.driver.transaction((c) =>
      c.run("UPDATE warden_effects SET status = ?, done_at = ? WHERE key = ? AND status = 'intent'", [status, at, key]),
    );
    return n > 0;
  }
}
