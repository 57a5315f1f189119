/**
 * Bringing a database to {@link SCHEMA_VERSION} when a store opens: the pending migrations and
 * the version bump in one transaction (so a crash mid-migration leaves the previous version
 * intact), on Postgres under an advisory lock so several processes opening an empty database at
 * once migrate it once. A database whose version is newer, or unreadable, is refused with
 * `SchemaTooNewError` before anything is changed.
 */
import { SchemaTooNewError } from './errors.ts';
import { MIGRATIONS, SCHEMA_VERSION } from './migrations.ts';
import type { SqlDriver } from './sql-driver.ts';

/** Apply pending migrations (refusing a newer schema); returns the version now in place. */
export async function migrate(driver: SqlDriver): Promise<number> {
  return driver.transaction(async (c) => {
    if (driver.dialect === 'postgres') await c.all("SELECT pg_advisory_xact_lock(hashtext('warden_migrations'))");
    await c.run('CREATE TABLE IF NOT EXISTS warden_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)');
    const rows = await c.all<{ value: string }>("SELECT value FROM warden_meta WHERE key = 'schema_version'");
    const found = rows[0] === undefined ? 0 : Number(rows[0].value);
    if (!Number.isInteger(found) || found < 0) {
      throw new SchemaTooNewError(driver.location, Number.NaN, SCHEMA_VERSION);
    }
    if (found > SCHEMA_VERSION) throw new SchemaTooNewError(driver.location, found, SCHEMA_VERSION);
    for (const m of MIGRATIONS) {
      if (m.version <= found) continue;
      for (const statement of m.sql(driver.dialect)) await c.run(statement);
    }
    if (found !== SCHEMA_VERSION) {
      await c.run("INSERT INTO warden_meta (key, value) VALUES ('schema_version', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value", [
        String(SCHEMA_VERSION),
      ]);
    }
    return SCHEMA_VERSION;
  });
}
