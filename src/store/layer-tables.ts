/**
 * Tables a higher layer keeps in the store (the memory graph's, say), owned by that layer. The
 * layer declares them once, `defineLayerTables({ layer: 'memory', migrations: [...] })`, with its
 * own migrations numbered from 1 (append-only, like the store's), and opens them on a store with
 * `openLayerTables(store, tables)`, which brings them up to date and hands back the layer's SQL
 * access. So a store holds a layer's tables only once that layer has opened on it, and the SQL
 * of those tables lives with the layer that uses it.
 *
 * - Each layer's version is one row of `warden_layer_versions` (store schema version 4), written
 *   in the same transaction as the layer's pending migrations, so a crash mid-migration leaves the
 *   previous version intact. On Postgres that transaction holds the advisory lock the store's own
 *   migrations take, so processes opening a layer at once migrate it once.
 * - Opening a layer whose tables are up to date only reads (it works on a read-only store).
 * - A layer version newer than the code's is refused with `SchemaTooNewError` naming the layer's
 *   tables, before anything is changed.
 * - Tables the store's own migrations created before layers owned them are recorded as that
 *   layer's version when the store is upgraded (migrations.ts, version 4): they are kept, with
 *   their rows, and never created again.
 */
import { InvalidSpecError } from '../runtime/index.ts';
import { SchemaTooNewError } from './errors.ts';
import type { Migration } from './migrations.ts';
import type { SqlAccess } from './sql-driver.ts';
import { sqlAccessOf } from './sql-store.ts';
import type { Store } from './types.ts';

/** A layer's own tables in the store: its name and its migrations. */
export interface LayerTables {
  /** The layer, its key in `warden_layer_versions`: lower-case letters, digits and `_`, from a letter. */
  readonly layer: string;
  /** Oldest first, numbered 1, 2, 3, ...; a released one is never edited, a change is a new one. */
  readonly migrations: readonly Migration[];
}

const LAYER_NAME = /^[a-z][a-z0-9_]{0,62}$/;

/** Check a layer's table declaration (a name, migrations numbered from 1 in order) and freeze it; throws `InvalidSpecError`. */
export function defineLayerTables(tables: LayerTables): LayerTables {
  const subject = `the tables of layer "${tables.layer}"`;
  if (!LAYER_NAME.test(tables.layer)) {
    throw new InvalidSpecError(subject, 'layer', tables.layer, 'must be lower-case letters, digits and _, starting with a letter (at most 63)');
  }
  if (tables.migrations.length === 0) throw new InvalidSpecError(subject, 'migrations', tables.migrations, 'must have at least 1 item');
  tables.migrations.forEach((m, i) => {
    if (m.version !== i + 1) throw new InvalidSpecError(subject, `migrations[${i}].version`, m.version, `must be ${i + 1} (numbered from 1, in order)`);
  });
  return Object.freeze({ layer: tables.layer, migrations: Object.freeze([...tables.migrations]) });
}

/**
 * Bring `tables` up to date on `store` (a store opened by `openStore` or either `open*Store`)
 * and return the layer's SQL access to it. Throws `SchemaTooNewError` when the store holds a
 * newer version of the layer's tables than this code knows.
 */
export async function openLayerTables(store: Store, tables: LayerTables): Promise<SqlAccess> {
  const sql = sqlAccessOf(store);
  const latest = tables.migrations.length;
  const where = `${sql.location} (the ${tables.layer} layer's tables)`;
  const checked = (found: number): number => {
    if (!Number.isInteger(found) || found < 0) throw new SchemaTooNewError(where, Number.NaN, latest);
    if (found > latest) throw new SchemaTooNewError(where, found, latest);
    return found;
  };
  if (checked(versionIn(await sql.read(VERSION_OF_LAYER, [tables.layer]))) === latest) return sql;
  await sql.transaction(async (c) => {
    if (sql.dialect === 'postgres') await c.all("SELECT pg_advisory_xact_lock(hashtext('warden_migrations'))");
    const found = checked(versionIn(await c.all(VERSION_OF_LAYER, [tables.layer]))); // another process may have migrated it meanwhile
    if (found === latest) return;
    for (const m of tables.migrations) {
      if (m.version <= found) continue;
      for (const statement of m.sql(sql.dialect)) await c.run(statement);
    }
    await c.run('INSERT INTO warden_layer_versions (layer, version) VALUES (?, ?) ON CONFLICT (layer) DO UPDATE SET version = excluded.version', [
      tables.layer,
      latest,
    ]);
  });
  return sql;
}

const VERSION_OF_LAYER = 'SELECT version FROM warden_layer_versions WHERE layer = ?';

/** The version in the answer to {@link VERSION_OF_LAYER}; 0 when the layer has no row (no tables yet). */
function versionIn(rows: readonly Record<string, unknown>[]): number {
  return rows[0] === undefined ? 0 : Number(rows[0].version);
}
