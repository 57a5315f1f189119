/**
 * The store's errors. Each names the database (file path, or URL with the password hidden) and
 * says what to do; none of them is raised after anything was written. The layer's codes are
 * registered in `WardenErrorMap`, so `isWardenError(e, 'STORE_FULL')` narrows `e` to `StoreFullError`.
 */
import { WardenError } from '../runtime/index.ts';
import type { InvalidStoreLocationError } from './location.ts';

declare module '../runtime/index.ts' {
  interface WardenErrorMap {
    SchemaTooNewError: SchemaTooNewError;
    StoreCorruptError: StoreCorruptError;
    StoreUnavailableError: StoreUnavailableError;
    StoreFullError: StoreFullError;
    JournalConflictError: JournalConflictError;
    UnreadableRowError: UnreadableRowError;
    InvalidStoreLocationError: InvalidStoreLocationError;
  }
}

/** The database was written by a newer version of Warden; this code will not touch it. */
export class SchemaTooNewError extends WardenError<'STORE_SCHEMA_TOO_NEW', { location: string; found: number; supported: number }> {
  constructor(location: string, found: number, supported: number) {
    super(
      'STORE_SCHEMA_TOO_NEW',
      `${location}: schema version ${found} is newer than this version of Warden supports (${supported}); ` +
        'upgrade Warden to open it (nothing was changed: Warden never downgrades a schema)',
      { location, found, supported },
    );
  }
}

/** The database file is damaged or is not a Warden/SQLite database; it was left as it is. */
export class StoreCorruptError extends WardenError<'STORE_CORRUPT', { location: string; problem: string }> {
  constructor(location: string, problem: string, options?: { cause?: unknown }) {
    super(
      'STORE_CORRUPT',
      `${location}: ${problem}; the file was left untouched. Restore it from a backup, or move it ` + 'aside to start with an empty database',
      { location, problem },
      options,
    );
  }
}

/** The database could not be reached or opened (a server down, a bad URL, a directory not writable). */
export class StoreUnavailableError extends WardenError<'STORE_UNAVAILABLE', { location: string }> {
  constructor(location: string, why: string, options?: { cause?: unknown }) {
    super('STORE_UNAVAILABLE', `${location}: ${why}`, { location }, { ...options, retryable: true });
  }
}

/**
 * The disk holding the database is full (SQLite's `SQLITE_FULL`, which covers ENOSPC and a full
 * quota): the write that hit it was rolled back whole, so nothing committed is lost. Reads go on,
 * and writes succeed again as soon as there is room.
 */
export class StoreFullError extends WardenError<'STORE_FULL', { location: string }> {
  constructor(location: string, options?: { cause?: unknown }) {
    super(
      'STORE_FULL',
      `${location}: the disk is full, so this write was not made (nothing committed is lost; reads go on). Free some space: writes succeed again once there is room`,
      { location },
      { ...options, retryable: true },
    );
  }
}

/** A journal entry at this sequence already exists with a different step name. */
export class JournalConflictError extends WardenError<'JOURNAL_CONFLICT', { runId: string; seq: number; existing: string; attempted: string }> {
  constructor(runId: string, seq: number, existing: string, attempted: string) {
    super('JOURNAL_CONFLICT', `run ${runId}: journal entry ${seq} is "${existing}"; refusing to record "${attempted}" there`, {
      runId,
      seq,
      existing,
      attempted,
    });
  }
}

/**
 * A row holds a value this version cannot read: JSON cut short, a number that is not one, a kind
 * it does not know (written by a newer version of Warden, or edited by hand). The row is left as
 * it is and not used; rows around it are read as usual.
 */
export class UnreadableRowError extends WardenError<'STORE_ROW_UNREADABLE', { table: string; row: string; column: string; problem: string }> {
  constructor(table: string, row: string, column: string, problem: string, options?: { cause?: unknown }) {
    super(
      'STORE_ROW_UNREADABLE',
      `${table}${row === '' ? '' : ` ${row}`}: column ${column} ${problem}; it was written by another version of Warden or edited by hand, and was left as it is`,
      { table, row, column, problem },
      options,
    );
  }
}

/** Hide the password of a database URL. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password !== '') u.password = '***';
    return u.toString();
  } catch {
    return url.replace(/\/\/([^:/@]+):[^@]*@/, '//$1:***@');
  }
}
