/**
 * The Postgres store, through `pg`: for many processes or machines on one database. Selected by
 * a `postgres://` URL (the `WARDEN_DATABASE_URL` environment variable, or `--db`). Tables live
 * in the connection's schema (`search_path`); `schema` puts them in a named one, created if
 * missing, so several Wardens (or parallel test runs) can share a database.
 *
 * Durability is the server's: with Postgres' default `synchronous_commit = on` a commit is
 * flushed to the WAL before it is acknowledged, which is when our calls resolve.
 */
import type pg from 'pg';
import { StoreUnavailableError, redactUrl } from './errors.ts';
import { migrate, SqlStore, type SqlConn, type SqlDriver } from './sql-store.ts';
import type { Store } from './types.ts';

export interface PostgresStoreOptions {
  /** A `postgres://` or `postgresql://` URL. */
  readonly url: string;
  /** Schema for Warden's tables (created if missing). @default the connection's search_path */
  readonly schema?: string;
  /** Most connections in the pool. @default 10 */
  readonly maxConnections?: number;
  /** How long to wait for a connection, ms. @default 10_000 */
  readonly connectTimeoutMs?: number;
}

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** `?` placeholders to `$1, $2, ...` (our SQL never has a `?` inside a string literal). */
function numbered(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

class PostgresDriver implements SqlDriver {
  readonly dialect = 'postgres' as const;
  readonly location: string;
  private readonly pool: pg.Pool;
  private readonly cache = new Map<string, string>();

  constructor(pool: pg.Pool, location: string) {
    this.pool = pool;
    this.location = location;
  }

  private sql(sql: string): string {
    let s = this.cache.get(sql);
    if (s === undefined) {
      s = numbered(sql);
      if (this.cache.size > 500) this.cache.clear();
      this.cache.set(sql, s);
    }
    return s;
  }

  private wrap(e: unknown): unknown {
    const code = (e as { code?: unknown } | null)?.code;
    if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'ECONNRESET' || code === '57P01' || code === '08006' || code === '08001') {
      return new StoreUnavailableError(this.location, `cannot reach the database (${(e as Error).message})`, { cause: e });
    }
    return e;
  }

  private connOf(client: pg.PoolClient): SqlConn {
    return {
      all: async <R>(sql: string, params: readonly unknown[] = []) => (await client.query(this.sql(sql), params as unknown[])).rows as R[],
      run: async (sql: string, params: readonly unknown[] = []) => (await client.query(this.sql(sql), params as unknown[])).rowCount ?? 0,
    };
  }

  async transaction<T>(fn: (conn: SqlConn) => Promise<T>): Promise<T> {
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (e) {
      throw this.wrap(e);
    }
    let broken = false;
    try {
      await client.query('BEGIN');
      const out = await fn(this.connOf(client));
      await client.query('COMMIT');
      return out;
    } catch (e) {
      try {
        await client.query('ROLLBACK');
      } catch {
        broken = true;
      }
      throw this.wrap(e);
    } finally {
      client.release(broken);
    }
  }

  async durability(): Promise<string> {
    const rows = await this.read<{ s: string; f: string }>("SELECT current_setting('synchronous_commit') AS s, current_setting('fsync') AS f");
    return `synchronous_commit=${rows[0]?.s} fsync=${rows[0]?.f}`;
  }

  async read<R>(sql: string, params: readonly unknown[] = []): Promise<R[]> {
    try {
      return (await this.pool.query(this.sql(sql), params as unknown[])).rows as R[];
    } catch (e) {
      throw this.wrap(e);
    }
  }

  write<R>(sql: string, params: readonly unknown[] = []): Promise<R[]> {
    return this.read<R>(sql, params);
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

/** Open and migrate a Postgres store. A server that cannot be reached is `StoreUnavailableError`. */
export async function openPostgresStore(options: PostgresStoreOptions): Promise<Store> {
  const location = redactUrl(options.url);
  if (!/^postgres(ql)?:\/\//.test(options.url)) {
    throw new StoreUnavailableError(location, 'not a postgres:// URL');
  }
  if (options.schema !== undefined && !SCHEMA_NAME.test(options.schema)) {
    throw new StoreUnavailableError(location, `schema "${options.schema}" must be lower-case letters, digits and _ (at most 63)`);
  }
  const where = options.schema === undefined ? location : `${location} (schema ${options.schema})`;
  const config: pg.PoolConfig = {
    connectionString: options.url,
    max: options.maxConnections ?? 10,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 10_000,
    ...(options.schema === undefined ? {} : { options: `-c search_path=${options.schema}` }),
  };
  const { default: postgres } = await import('pg'); // loaded on first use, keeping `import 'warden'` light
  const pool = new postgres.Pool(config);
  // An idle client losing its server must not crash the process; the next query reports it.
  pool.on('error', () => {});
  const driver = new PostgresDriver(pool, where);
  try {
    if (options.schema !== undefined) {
      const c = await pool.connect().catch((e: unknown) => {
        throw new StoreUnavailableError(where, `cannot reach the database (${(e as Error).message})`, { cause: e });
      });
      try {
        await c.query(`CREATE SCHEMA IF NOT EXISTS ${options.schema}`).catch((e: unknown) => {
          // Two openers racing to create the schema: the loser sees a unique violation; fine.
          if ((e as { code?: unknown }).code !== '23505' && (e as { code?: unknown }).code !== '42P06') throw e;
        });
      } finally {
        c.release();
      }
    }
    const version = await migrate(driver);
    return new SqlStore(driver, version, await driver.durability());
  } catch (e) {
    await pool.end().catch(() => undefined);
    throw e;
  }
}
