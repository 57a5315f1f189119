/**
 * The embedded store: one SQLite file (default `./.warden/warden.db`, created if missing) through
 * better-sqlite3, in WAL mode with `synchronous=FULL`, so every commit (a journal append
 * included) is fsynced before the call that made it resolves. Throughput comes from group
 * commit (see journal-group-commit.ts), not from relaxing durability.
 *
 * Opening never damages a file it does not understand: before SQLite writes to it, the file is
 * checked (sqlite-file-check.ts: its header, and a length that disagrees with the header checked
 * by SQLite itself, read-only, since in WAL mode the missing pages may be in the `-wal` file), and
 * any SQLite "not a database" or "malformed" error later is reported as `StoreCorruptError` naming
 * the file. Nothing is ever written to such a file. An empty (0-byte) file is a new database, as
 * SQLite itself treats it.
 *
 * A full disk (`SQLITE_FULL`) fails the write that hit it with `StoreFullError`: SQLite rolls
 * that transaction back, so nothing committed is lost; reads go on, and writes succeed again once
 * there is room.
 *
 * better-sqlite3 is synchronous; transactions that span `await`s are serialised by a small
 * promise-chain lock so two callers never share one.
 */
import type Database from 'better-sqlite3';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { SchemaTooNewError, StoreCorruptError, StoreFullError, StoreUnavailableError } from './errors.ts';
import { SCHEMA_VERSION } from './migrations.ts';
import { migrate } from './migrate.ts';
import type { SqlConn, SqlDriver } from './sql-driver.ts';
import { SqlStore } from './sql-store.ts';
import type { Store } from './types.ts';
import { checkSqliteFile, isSqliteCorruption } from './sqlite-file-check.ts';

export { checkSqliteFile };

/** A SQLite error as one of ours: damaged file, disk full, locked by another process, or read-only; else unchanged. */
function storeError(file: string, e: unknown, busyTimeoutMs: number): unknown {
  const code = (e as { code?: unknown } | null)?.code;
  if (isSqliteCorruption(e)) return new StoreCorruptError(file, `SQLite reports: ${(e as Error).message}`, { cause: e });
  if (code === 'SQLITE_FULL') return new StoreFullError(file, { cause: e });
  if (typeof code === 'string' && code.startsWith('SQLITE_BUSY')) {
    return new StoreUnavailableError(file, `the database is locked by another process (gave up after ${busyTimeoutMs} ms); try again once it is done`, {
      cause: e,
    });
  }
  if (typeof code === 'string' && code.startsWith('SQLITE_READONLY')) {
    return new StoreUnavailableError(file, `cannot write: the database is read-only here (SQLite reports: ${(e as Error).message})`, { cause: e });
  }
  return e;
}

class SqliteDriver implements SqlDriver {
  readonly dialect = 'sqlite' as const;
  readonly location: string;
  private readonly db: Database.Database;
  private readonly cache = new Map<string, Database.Statement>();
  private lock: Promise<unknown> = Promise.resolve();
  private readonly conn: SqlConn;
  private readonly busyTimeoutMs: number;

  constructor(db: Database.Database, location: string, busyTimeoutMs: number) {
    this.db = db;
    this.location = location;
    this.busyTimeoutMs = busyTimeoutMs;
    this.conn = {
      all: async <R>(sql: string, params: readonly unknown[] = []) => this.guard(() => this.allSync(sql, params)) as R[],
      run: async (sql: string, params: readonly unknown[] = []) => this.guard(() => this.runSync(sql, params)),
    };
  }

  private statement(sql: string): Database.Statement {
    let s = this.cache.get(sql);
    if (s === undefined) {
      s = this.db.prepare(sql);
      if (this.cache.size > 500) this.cache.clear();
      this.cache.set(sql, s);
    }
    return s;
  }

  private allSync(sql: string, params: readonly unknown[]): unknown[] {
    const s = this.statement(sql);
    if (s.reader) return s.all(...params);
    s.run(...params);
    return [];
  }

  private runSync(sql: string, params: readonly unknown[]): number {
    return this.statement(sql).run(...params).changes;
  }

  private guard<T>(fn: () => T): T {
    try {
      return fn();
    } catch (e) {
      throw storeError(this.location, e, this.busyTimeoutMs);
    }
  }

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.lock.then(fn, fn);
    this.lock = run.catch(() => undefined);
    return run;
  }

  transaction<T>(fn: (conn: SqlConn) => Promise<T>): Promise<T> {
    return this.exclusive(async () => {
      this.guard(() => this.db.exec('BEGIN IMMEDIATE'));
      try {
        const out = await fn(this.conn);
        this.guard(() => this.db.exec('COMMIT'));
        return out;
      } catch (e) {
        if (this.db.inTransaction) this.db.exec('ROLLBACK');
        throw e;
      }
    });
  }

  async durability(): Promise<string> {
    const mode = String(this.db.pragma('journal_mode', { simple: true }));
    const sync = Number(this.db.pragma('synchronous', { simple: true }));
    return `journal_mode=${mode} synchronous=${['off', 'normal', 'full', 'extra'][sync] ?? sync}`;
  }

  write<R>(sql: string, params: readonly unknown[] = []): Promise<R[]> {
    return this.exclusive(async () => this.guard(() => this.allSync(sql, params)) as R[]);
  }

  read<R>(sql: string, params: readonly unknown[] = []): Promise<R[]> {
    return this.exclusive(async () => this.guard(() => this.allSync(sql, params)) as R[]);
  }

  async close(): Promise<void> {
    await this.exclusive(async () => {
      if (this.db.open) this.db.close();
    });
  }
}

export interface SqliteStoreOptions {
  /** The database file. @default './.warden/warden.db' (relative to the working directory) */
  readonly path?: string;
  /** Give up with `StoreUnavailableError` when another process keeps the file locked this long. @default 5_000 */
  readonly busyTimeoutMs?: number;
  /**
   * Open an existing file read-only (for reading only): another process writing, or holding the
   * write lock, does not block it. A file whose schema is older is opened read-write and migrated
   * first, as without this option.
   */
  readonly readOnly?: boolean;
}

export const DEFAULT_SQLITE_PATH = './.warden/warden.db';

/** Open (creating if missing) and migrate a SQLite store. */
export async function openSqliteStore(options: SqliteStoreOptions = {}): Promise<Store> {
  const file = resolve(options.path ?? DEFAULT_SQLITE_PATH);
  const busyTimeoutMs = options.busyTimeoutMs ?? 5_000;
  checkSqliteFile(file);
  if (options.readOnly === true && existsSync(file)) {
    const store = await openReadOnly(file, busyTimeoutMs);
    if (store !== undefined) return store;
  }
  try {
    mkdirSync(dirname(file), { recursive: true });
  } catch (e) {
    throw new StoreUnavailableError(file, `cannot create the directory ${dirname(file)} (${(e as Error).message})`, { cause: e });
  }
  let db: Database.Database;
  try {
    const { default: SQLite } = await import('better-sqlite3'); // loaded on first use, keeping `import 'warden'` light
    db = new SQLite(file);
  } catch (e) {
    throw openError(file, e, busyTimeoutMs);
  }
  try {
    db.pragma(`busy_timeout = ${Math.max(0, Math.round(busyTimeoutMs))}`);
    // Read before writing anything: a damaged file fails here, untouched.
    db.prepare('SELECT count(*) FROM sqlite_master').get();
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
  } catch (e) {
    db.close();
    throw openError(file, e, busyTimeoutMs);
  }
  const driver = new SqliteDriver(db, file, busyTimeoutMs);
  try {
    const version = await migrate(driver);
    return new SqlStore(driver, version, await driver.durability());
  } catch (e) {
    await driver.close();
    throw e;
  }
}

/** An error while opening: ours if SQLite's, else "cannot open". */
function openError(file: string, e: unknown, busyTimeoutMs: number): unknown {
  const mapped = storeError(file, e, busyTimeoutMs);
  return mapped !== e ? mapped : new StoreUnavailableError(file, `cannot open the database (${(e as Error).message})`, { cause: e });
}

/** Open an existing file read-only; `undefined` when its schema is older and must be migrated first. */
async function openReadOnly(file: string, busyTimeoutMs: number): Promise<SqlStore | undefined> {
  let db: Database.Database;
  try {
    const { default: SQLite } = await import('better-sqlite3');
    db = new SQLite(file, { readonly: true, fileMustExist: true });
  } catch (e) {
    throw openError(file, e, busyTimeoutMs);
  }
  let version: number;
  try {
    db.pragma(`busy_timeout = ${Math.max(0, Math.round(busyTimeoutMs))}`);
    const meta = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'warden_meta'").get();
    const row =
      meta === undefined ? undefined : (db.prepare("SELECT value FROM warden_meta WHERE key = 'schema_version'").get() as { value: string } | undefined);
    version = row === undefined ? 0 : Number(row.value);
  } catch (e) {
    db.close();
    throw openError(file, e, busyTimeoutMs);
  }
  if (!Number.isInteger(version) || version > SCHEMA_VERSION) {
    db.close();
    throw new SchemaTooNewError(file, version, SCHEMA_VERSION);
  }
  if (version < SCHEMA_VERSION) {
    db.close();
    return undefined;
  }
  const driver = new SqliteDriver(db, file, busyTimeoutMs);
  return new SqlStore(driver, version, await driver.durability());
}
