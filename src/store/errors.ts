/**
 * The store's errors. Each names the database (file path, or URL with the password hidden) and
 * says what to do; none of them is raised after anything was written.
 */
import { WardenError } from '../runtime/index.ts';

/** The database was written by a newer version of Warden; this code will not touch it. */
export class SchemaTooNewError extends WardenError {
  readonly code = 'STORE_SCHEMA_TOO_NEW';
  readonly location: string;
  readonly found: number;
  readonly supported: number;

  constructor(location: string, found: number, supported: number) {
    super(
      `${location}: schema version ${found} is newer than this version of Warden supports (${supported}); ` +
        'upgrade Warden to open it (nothing was changed: Warden never downgrades a schema)',
    );
    this.location = location;
    this.found = found;
    this.supported = supported;
  }

  protected override details(): Record<string, unknown> {
    return { location: this.location, found: this.found, supported: this.supported };
  }
}

/** The database file is damaged or is not a Warden/SQLite database; it was left as it is. */
export class StoreCorruptError extends WardenError {
  readonly code = 'STORE_CORRUPT';
  readonly location: string;
  readonly problem: string;

  constructor(location: string, problem: string, options?: { cause?: unknown }) {
    super(
      `${location}: ${problem}; the file was left untouched. Restore it from a backup, or move it ` +
        'aside to start with an empty database',
      options,
    );
    this.location = location;
    this.problem = problem;
  }

  protected override details(): Record<string, unknown> {
    return { location: this.location, problem: this.problem };
  }
}

/** The database could not be reached or opened (a server down, a bad URL, a directory not writable). */
export class StoreUnavailableError extends WardenError {
  readonly code = 'STORE_UNAVAILABLE';
  override readonly retryable = true;
  readonly location: string;

  constructor(location: string, why: string, options?: { cause?: unknown }) {
    super(`${location}: ${why}`, options);
    this.location = location;
  }

  protected override details(): Record<string, unknown> {
    return { location: this.location };
  }
}

/**
 * The disk holding the database is full (SQLite's `SQLITE_FULL`, which covers ENOSPC and a full
 * quota): the write that hit it was rolled back whole, so nothing committed is lost. Reads go on,
 * and writes succeed again as soon as there is room.
 */
export class StoreFullError extends WardenError {
  readonly code = 'STORE_FULL';
  override readonly retryable = true;
  readonly location: string;

  constructor(location: string, options?: { cause?: unknown }) {
    super(`${location}: the disk is full, so this write was not made (nothing committed is lost; reads go on). Free some space: writes succeed again once there is room`, options);
    this.location = location;
  }

  protected override details(): Record<string, unknown> {
    return { location: this.location };
  }
}

/** A journal entry at this sequence already exists with a different step name. */
export class JournalConflictError extends WardenError {
  readonly code = 'JOURNAL_CONFLICT';
  readonly runId: string;
  readonly seq: number;
  readonly existing: string;
  readonly attempted: string;

  constructor(runId: string, seq: number, existing: string, attempted: string) {
    super(`run ${runId}: journal entry ${seq} is "${existing}"; refusing to record "${attempted}" there`);
    this.runId = runId;
    this.seq = seq;
    this.existing = existing;
    this.attempted = attempted;
  }

  protected override details(): Record<string, unknown> {
    return { runId: this.runId, seq: this.seq, existing: this.existing, attempted: this.attempted };
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
