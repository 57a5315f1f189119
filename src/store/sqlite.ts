/**
 * The embedded store: one SQLite file (default `./.warden/warden.db`, created if missing) through
 * better-sqlite3, in WAL mode with `synchronous=FULL`, so every commit (a journal append
 * included) is fsynced before the call that made it resolves. Throughput comes from group
 * commit (see sql-store.ts), not from relaxing durability.
 *
 * Opening never damages a file it does not understand: before SQLite touches it, the file's
 * header is checked (the SQLite magic, a sane page size, and a length that covers every page the
 * header declares), and any SQLite "not a database" or "malformed" error later is reported as
 * `StoreCorruptError` naming the file. Nothing is ever written to such a file. An empty (0-byte)
 * file is a new database, as SQLite itself treats it.
 *
 * better-sqlite3 is synchronous; transactions that span `await`s are serialised by a small
 * promise-chain lock so two callers never share one.
 */
import type Database from 'better-sqlite3';
import { closeSync, existsSync, fstatSync, mkdirSync, openSync, readSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { StoreCorruptError, StoreUnavailableError } from './errors.ts';
import { migrate, SqlStore, type SqlConn, type SqlDriver } from './sql-store.ts';
import type { Store } from './types.ts';

const MAGIC = 'SQLite format 3\u0000';

/** Check a database file's header and length without opening it through SQLite. */
export function checkSqliteFile(file: string): void {
  if (!existsSync(file)) return;
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (e) {
    throw new StoreUnavailableError(file, `cannot read the database file (${(e as Error).message})`, { cause: e });
  }
  try {
    const size = fstatSync(fd).size;
    if (size === 0) return;
    const header = Buffer.alloc(100);
    const got = readSync(fd, header, 0, 100, 0);
    if (got < 100) throw new StoreCorruptError(file, `the file is truncated (${size} bytes, shorter than a SQLite header)`);
    if (header.toString('latin1', 0, 16) !== MAGIC) throw new StoreCorruptError(file, 'not a SQLite database (bad header)');
    const rawPage = header.readUInt16BE(16);
    const pageSize = rawPage === 1 ? 65536 : rawPage;
    if (pageSize < 512 || (pageSize & (pageSize - 1)) !== 0) throw new StoreCorruptError(file, `the header is damaged (page size ${rawPage})`);
    const changeCounter = header.readUInt32BE(24);
    const pages = header.readUInt32BE(28);
    const validFor = header.readUInt32BE(92);
    if (pages > 0 && changeCounter === validFor && size < pages * pageSize) {
      throw new StoreCorruptError(file, `the file is truncated (${size} bytes; its header declares ${pages} pages of ${pageSize} bytes)`);
    }
    if (size % pageSize !== 0) throw new StoreCorruptError(file, `the file is truncated (${size} bytes is not a whole number of ${pageSize}-byte pages)`);
  } finally {
    closeSync(fd);
  }
}

function isCorruption(e: unknown): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  return code === 'SQLITE_CORRUPT' || code === 'SQLITE_NOTADB' || (typeof code === 'string' && code.startsWith('SQLITE_CORRUPT'));
}

class SqliteDriver implements SqlDriver {
  readonly dialect = 'sqlite' as const;
  readonly location: string;
  private readonly db: Database.Database;
  private readonly cache = new Map<string, Database.Statement>();
  private lock: Promise<unknown> = Promise.resolve();
  private readonly conn: SqlConn;

  constructor(db: Database.Database, location: string) {
    this.db = db;
    this.location = location;
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
      if (isCorruption(e)) throw new StoreCorruptError(this.location, `SQLite reports: ${(e as Error).message}`, { cause: e });
      throw e;
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
}

export const DEFAULT_SQLITE_PATH = './.warden/warden.db';

/** Open (creating if missing) and migrate a SQLite store. */
export async function openSqliteStore(options: SqliteStoreOptions = {}): Promise<Store> {
  const file = resolve(options.path ?? DEFAULT_SQLITE_PATH);
  checkSqliteFile(file);
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
    if (isCorruption(e)) throw new StoreCorruptError(file, `SQLite reports: ${(e as Error).message}`, { cause: e });
    throw new StoreUnavailableError(file, `cannot open the database (${(e as Error).message})`, { cause: e });
  }
  try {
    // Read before writing anything: a damaged file fails here, untouched.
    db.prepare('SELECT count(*) FROM sqlite_master').get();
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('busy_timeout = 5000');
    db.pragma('foreign_keys = ON');
  } catch (e) {
    db.close();
    if (isCorruption(e)) throw new StoreCorruptError(file, `SQLite reports: ${(e as Error).message}`, { cause: e });
    throw new StoreUnavailableError(file, `cannot open the database (${(e as Error).message})`, { cause: e });
  }
  const driver = new SqliteDriver(db, file);
  try {
    const version = await migrate(driver);
    return new SqlStore(driver, version, await driver.durability());
  } catch (e) {
    await driver.close();
    throw e;
  }
}
