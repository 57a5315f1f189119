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
import { isWardenError } from '../runtime/index.ts';
import { StoreUnavailableError, redactUrl } from './errors.ts';
import { connectTimeoutOf, InvalidStoreLocationError, resolveStoreLocation } from './location.ts';
import { migrate } from './migrate.ts';
import type { DedicatedConn, SqlConn, SqlDriver } from './sql-driver.ts';
import { SqlStore } from './sql-store.ts';
import type { Store } from './types.ts';

export interface PostgresStoreOptions {
  /** A `postgres://` or `postgresql://` URL. */
  readonly url: string;
  /** Schema for Warden's tables (created if missing). @default the connection's search_path */
  readonly schema?: string;
  /** Most connections in the pool. @default 10 */
  readonly maxConnections?: number;
  /** How long to wait for a server to accept a connection, ms. @default the URL's `connect_timeout` (seconds), else 10_000 */
  readonly connectTimeoutMs?: number;
}

/** Failing to reach the server (down, unknown host, no answer in time), or it refusing us, as one line. */
function connectionError(where: string, e: unknown, connectTimeoutMs: number): unknown {
  const code = (e as { code?: unknown } | null)?.code;
  const message = (e as Error | null)?.message ?? String(e);
  if (/timeout exceeded when trying to connect|due to connection timeout|timeout expired/.test(message)) {
    return new StoreUnavailableError(
      where,
      `no answer from the database server within ${connectTimeoutMs} ms; is it running, and is this its address? (wait longer with connect_timeout=SECONDS in the URL)`,
      { cause: e },
    );
  }
  const unreachable = ['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE', '57P01', '08006', '08001'];
  if (typeof code === 'string' && unreachable.includes(code)) return new StoreUnavailableError(where, `cannot reach the database (${message})`, { cause: e });
  // Refused by the server: bad password or user (28xxx), no such database (3D000), too many connections (53300).
  if (typeof code === 'string' && (code.startsWith('28') || code === '3D000' || code === '53300'))
    return new StoreUnavailableError(where, `the server refused the connection (${message})`, { cause: e });
  return e;
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
  private readonly connectTimeoutMs: number;
  private readonly config: pg.ClientConfig;
  private readonly Client: typeof pg.Client;

  constructor(pool: pg.Pool, location: string, connectTimeoutMs: number, config: pg.ClientConfig, Client: typeof pg.Client) {
    this.pool = pool;
    this.location = location;
    this.connectTimeoutMs = connectTimeoutMs;
    this.config = config;
    this.Client = Client;
  }

  async dedicated(): Promise<DedicatedConn> {
    const client = new this.Client(this.config);
    const errorListeners: ((error: unknown) => void)[] = [];
    let failed = false;
    const fail = (e: unknown) => {
      if (failed) return;
      failed = true;
      for (const l of errorListeners) l(e);
    };
    client.on('error', fail);
    client.on('end', () => fail(new Error(`${this.location}: the connection ended`)));
    try {
      await client.connect();
    } catch (e) {
      throw this.wrap(e);
    }
    return {
      query: async <R>(sql: string, params: readonly unknown[] = []) => {
        try {
          return (await client.query(this.sql(sql), params as unknown[])).rows as R[];
        } catch (e) {
          throw this.wrap(e);
        }
      },
      onNotification: (listener) => {
        client.on('notification', (n) => listener(n.channel, n.payload ?? ''));
      },
      onError: (listener) => {
        errorListeners.push(listener);
      },
      close: async () => {
        failed = true; // a deliberate end is not a failure
        await client.end().catch(() => undefined);
      },
    };
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
    return connectionError(this.location, e, this.connectTimeoutMs);
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

/**
 * Open and migrate a Postgres store. A URL that is not a valid `postgres://` one is
 * `InvalidStoreLocationError`; a server that cannot be reached, does not answer within the connect
 * timeout, or refuses the connection is `StoreUnavailableError`.
 */
export async function openPostgresStore(options: PostgresStoreOptions): Promise<Store> {
  const location = redactUrl(options.url);
  if (resolveStoreLocation({ db: options.url, name: 'url' }).kind !== 'postgres') {
    throw new InvalidStoreLocationError(options.url, 'url', 'not a postgres:// or postgresql:// URL');
  }
  const connectTimeoutMs = options.connectTimeoutMs ?? connectTimeoutOf(options.url) ?? 10_000;
  if (options.schema !== undefined && !SCHEMA_NAME.test(options.schema)) {
    throw new StoreUnavailableError(location, `schema "${options.schema}" must be lower-case letters, digits and _ (at most 63)`);
  }
  const where = options.schema === undefined ? location : `${location} (schema ${options.schema})`;
  const config: pg.PoolConfig = {
    connectionString: options.url,
    max: options.maxConnections ?? 10,
    connectionTimeoutMillis: connectTimeoutMs,
    ...(options.schema === undefined ? {} : { options: `-c search_path=${options.schema}` }),
  };
  const { default: postgres } = await import('pg'); // loaded on first use, keeping `import 'warden'` light
  const pool = new postgres.Pool(config);
  // An idle client losing its server must not crash the process; the next query reports it.
  pool.on('error', () => {});
  const driver = new PostgresDriver(pool, where, connectTimeoutMs, config, postgres.Client);
  try {
    if (options.schema !== undefined) {
      const c = await pool.connect().catch((e: unknown) => {
        const mapped = connectionError(where, e, connectTimeoutMs);
        throw mapped !== e ? mapped : new StoreUnavailableError(where, `cannot reach the database (${(e as Error).message})`, { cause: e });
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
    if (isWardenError(e)) throw e;
    throw new StoreUnavailableError(where, `cannot open the database (${(e as Error).message})`, { cause: e });
  }
}
