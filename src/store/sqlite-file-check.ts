/**
 * Checking a SQLite file before Warden writes to it, so a file it does not understand is never
 * damaged further: the header (the SQLite magic, a sane page size) and a length that covers every
 * page the header declares.
 *
 * A length that disagrees with the header is not proof of damage. In WAL mode the pages a
 * checkpoint had not yet copied into the main file are in the `-wal` file beside it, and SQLite
 * reads them from there: a checkpoint cut short by a full disk (a server writing until
 * `SQLITE_FULL`, then closing) or by a crash leaves the main file shorter than its header says,
 * and so does a checkpoint still running in another process. So such a file is opened
 * read-only (nothing is written to it) and checked by SQLite itself (`PRAGMA quick_check`) before
 * it is called damaged: a file SQLite opens and finds sound passes, and its next checkpoint
 * completes the main file. One SQLite cannot read or finds damaged is `StoreCorruptError`, with
 * both findings.
 */
import { closeSync, existsSync, fstatSync, openSync, readSync } from 'node:fs';
import { createRequire } from 'node:module';
import type Database from 'better-sqlite3';
import { StoreCorruptError, StoreUnavailableError } from './errors.ts';

const MAGIC = 'SQLite format 3\u0000';

/** Whether a SQLite error says the file is damaged or not a database. */
export function isSqliteCorruption(e: unknown): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  return code === 'SQLITE_NOTADB' || (typeof code === 'string' && code.startsWith('SQLITE_CORRUPT'));
}

/**
 * Check a database file before SQLite writes to it (see the module comment). Throws
 * `StoreCorruptError` for a file that is not SQLite or that SQLite finds damaged, and
 * `StoreUnavailableError` when it cannot be read.
 */
export function checkSqliteFile(file: string): void {
  const lengthProblem = checkHeader(file);
  if (lengthProblem === undefined) return;
  const verdict = sqliteVerdict(file);
  if (verdict.sound) return;
  if (verdict.damaged) throw new StoreCorruptError(file, `${lengthProblem}, and SQLite finds it damaged (${verdict.why})`);
  throw new StoreUnavailableError(file, `${lengthProblem}, and SQLite could not check it read-only (${verdict.why}); nothing was written to it`);
}

/** Check the header; answers what is wrong with the file's length (for SQLite to confirm), or `undefined`. */
function checkHeader(file: string): string | undefined {
  if (!existsSync(file)) return undefined;
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (e) {
    throw new StoreUnavailableError(file, `cannot read the database file (${(e as Error).message})`, { cause: e });
  }
  try {
    const size = fstatSync(fd).size;
    if (size === 0) return undefined; // a new database, as SQLite itself treats it
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
      return `the file is truncated (${size} bytes; its header declares ${pages} pages of ${pageSize} bytes)`;
    }
    if (size % pageSize !== 0) return `the file is truncated (${size} bytes is not a whole number of ${pageSize}-byte pages)`;
    return undefined;
  } finally {
    closeSync(fd);
  }
}

type Verdict = { readonly sound: true } | { readonly sound: false; readonly damaged: boolean; readonly why: string };

/** What SQLite says of the file, opened read-only (it reads a `-wal` beside it; nothing is written to the file). */
function sqliteVerdict(file: string): Verdict {
  // Loaded here, on this rare path, so importing the store stays light.
  const SQLite = createRequire(import.meta.url)('better-sqlite3') as typeof Database;
  let db: Database.Database | undefined;
  try {
    db = new SQLite(file, { readonly: true, fileMustExist: true });
    const rows = db.pragma('quick_check') as { quick_check: string }[];
    if (rows.length === 1 && rows[0]!.quick_check === 'ok') return { sound: true };
    return {
      sound: false,
      damaged: true,
      why: `quick_check: ${rows
        .slice(0, 3)
        .map((r) => r.quick_check)
        .join('; ')}`,
    };
  } catch (e) {
    return { sound: false, damaged: isSqliteCorruption(e), why: (e as Error).message };
  } finally {
    db?.close();
  }
}
