/**
 * The store as the source of a {@link HotConfig}: one row per config name in the config layer's
 * own table (`warden_config_values`, created the first time a config is followed on a store), with
 * a revision that grows by one per write. Every process following the same name on the same
 * database (SQLite file or Postgres) applies each revision, so one `publish` changes a whole
 * cluster without a restart; each process checks the value with its own schema, and a process
 * that refuses it keeps its old value and says so (`config.rejected`, audit row).
 *
 * Changes are noticed by a poll on the injected clock (a read of one row by primary key).
 */
import { z } from 'zod';
import { disposable, realClock, type Clock, type Disposable, type Timer } from '../runtime/index.ts';
import { parseWith } from '../runtime/internal.ts';
import type { Json, Store } from '../store/index.ts';
import { defineLayerTables, openLayerTables, type Migration, type SqlAccess } from '../store/internal.ts';
import type { HotConfig } from './hot-config.ts';

const v1: Migration = {
  version: 1,
  description: 'live configuration: one value per config name, with its revision',
  sql(dialect) {
    const time = dialect === 'sqlite' ? 'REAL' : 'DOUBLE PRECISION';
    return [
      `CREATE TABLE warden_config_values (
        name TEXT PRIMARY KEY,
        revision BIGINT NOT NULL,
        value TEXT NOT NULL,
        updated_at ${time} NOT NULL,
        updated_by TEXT NOT NULL
      )`,
    ];
  },
};

/** The config layer's table: `warden_config_values`. */
export const CONFIG_TABLES = defineLayerTables({ layer: 'config', migrations: [v1] });

/** A config value as stored. */
export interface StoredConfigValue {
  readonly name: string;
  /** 1 for the first write, one more per write after it. */
  readonly revision: number;
  readonly value: Json;
  readonly updatedAt: number;
  readonly updatedBy: string;
}

interface Row {
  name: string;
  revision: number | string;
  value: string;
  updated_at: number | string;
  updated_by: string;
}

async function readValue(sql: SqlAccess, name: string): Promise<StoredConfigValue | undefined> {
  const [row] = await sql.read<Row>('SELECT name, revision, value, updated_at, updated_by FROM warden_config_values WHERE name = ?', [name]);
  if (row === undefined) return undefined;
  return { name: row.name, revision: Number(row.revision), value: JSON.parse(row.value) as Json, updatedAt: Number(row.updated_at), updatedBy: row.updated_by };
}

async function writeValue(sql: SqlAccess, name: string, value: Json, at: number, actor: string): Promise<StoredConfigValue> {
  return sql.transaction(async (c) => {
    const [row] = await c.all<Row>(
      `INSERT INTO warden_config_values (name, revision, value, updated_at, updated_by) VALUES (?, 1, ?, ?, ?)
       ON CONFLICT (name) DO UPDATE SET revision = warden_config_values.revision + 1, value = excluded.value,
         updated_at = excluded.updated_at, updated_by = excluded.updated_by
       RETURNING name, revision, value, updated_at, updated_by`,
      [name, JSON.stringify(value), at, actor],
    );
    return { name, revision: Number(row!.revision), value, updatedAt: at, updatedBy: actor };
  });
}

export interface StoredConfigOptions {
  /** How often the row is read, ms. @default 2000 */
  readonly pollIntervalMs?: number;
  /** @default realClock */
  readonly clock?: Clock;
  /** Who `publish` names when not told. @default 'warden' */
  readonly actor?: string;
}

export const STORED_CONFIG_DEFAULTS = Object.freeze({ pollIntervalMs: 2000, actor: 'warden' });

/** A config followed in the store. `close()` (or `using`) stops following it. */
export interface StoredConfigWatcher extends Disposable {
  /** The revision applied (or refused) last. */
  readonly revision: number;
  /**
   * Check `value` against the schema (a bad one throws `InvalidSpecError` naming the field and
   * nothing is written), store it as the next revision, and apply it here at once; the other
   * processes apply it at their next poll.
   */
  publish(value: unknown, options?: { readonly actor?: string; readonly reason?: string }): Promise<StoredConfigValue>;
  /** Read the row now and apply a new revision. */
  check(): Promise<void>;
  close(): void;
}

const optionsSchema = z.strictObject({
  pollIntervalMs: z.number().finite().gt(0).optional(),
  clock: z.custom<Clock>((v) => typeof (v as Clock | undefined)?.setTimer === 'function', { message: 'must be a Clock' }).optional(),
  actor: z.string().min(1).optional(),
});

/**
 * Follow `config` in `store` under the config's name. With no row yet, the value in force is
 * stored as revision 1; otherwise the stored value is applied now (a bad one throws
 * `InvalidSpecError` naming the field, and nothing is followed).
 */
export async function watchStoredConfig<T, I>(config: HotConfig<T, I>, store: Store, options: StoredConfigOptions = {}): Promise<StoredConfigWatcher> {
  const o = parseWith(`stored config "${config.name}"`, optionsSchema, options);
  const clock = o.clock ?? realClock;
  const actor = o.actor ?? STORED_CONFIG_DEFAULTS.actor;
  const pollIntervalMs = o.pollIntervalMs ?? STORED_CONFIG_DEFAULTS.pollIntervalMs;
  const sql = await openLayerTables(store, CONFIG_TABLES);
  const source = 'store';

  let revision: number;
  const found = await readValue(sql, config.name);
  if (found === undefined) revision = (await writeValue(sql, config.name, config.current as Json, clock.now(), actor)).revision;
  else {
    await config.apply(found.value, { source, actor: found.updatedBy });
    revision = found.revision;
  }

  let closed = false;
  let running: Promise<void> | undefined;
  const checkOnce = async (): Promise<void> => {
    const row = await readValue(sql, config.name);
    if (closed || row === undefined || row.revision <= revision) return;
    revision = row.revision;
    await config.apply(row.value, { source, actor: row.updatedBy }).catch(() => undefined); // refused: reported by the config
  };
  const check = (): Promise<void> => {
    running ??= checkOnce().finally(() => {
      running = undefined;
    });
    return running;
  };

  let timer: Timer | undefined;
  const poll = (): void => {
    timer = clock.setTimer(pollIntervalMs, () => {
      void check()
        .catch(() => undefined) // the store is unreachable for now: try again at the next poll
        .finally(() => {
          if (!closed) poll();
        });
    });
  };
  poll();

  const close = (): void => {
    closed = true;
    timer?.cancel();
  };
  const d = disposable(close);
  return {
    get revision() {
      return revision;
    },
    async publish(value, publishOptions = {}) {
      const checked = config.check(value);
      const by = publishOptions.actor ?? actor;
      const stored = await writeValue(sql, config.name, checked as Json, clock.now(), by);
      await running;
      if (stored.revision > revision) {
        revision = stored.revision;
        await config.apply(checked, { source, actor: by, ...(publishOptions.reason === undefined ? {} : { reason: publishOptions.reason }) });
      }
      return stored;
    },
    check,
    close: d.dispose,
    dispose: d.dispose,
    [Symbol.dispose]: d.dispose,
  };
}
