/**
 * Choosing a store: a `postgres://` URL opens Postgres; a file path (or `file:` URL) is a SQLite
 * file. Without an explicit location, `WARDEN_DATABASE_URL` decides, and without that the
 * embedded default `./.warden/warden.db` is used (created if missing; no server needed). Any
 * other location (another URL scheme, an unexpanded `${VAR}`, a directory) is refused before
 * anything is created: see location.ts.
 */
import { openSqliteStore } from './sqlite.ts';
import { openPostgresStore } from './postgres.ts';
import { isPostgresUrl, resolveStoreLocation } from './location.ts';
import type { Store } from './types.ts';

export { isPostgresUrl };

export interface OpenStoreOptions {
  /** A file path, a `file:` URL or a `postgres://` URL. @default WARDEN_DATABASE_URL, else './.warden/warden.db' */
  readonly db?: string;
  /** Postgres only: the schema for Warden's tables (refused with a SQLite file). */
  readonly schema?: string;
  /** Where to read `WARDEN_DATABASE_URL`. @default process.env */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Base for a relative file path. @default process.cwd() */
  readonly cwd?: string;
  /**
   * How long to wait for the database before giving up with `StoreUnavailableError`: for
   * Postgres, a server to accept the connection (else the URL's `connect_timeout`, else 10 000);
   * for SQLite, a file another process keeps locked (default 5 000).
   */
  readonly timeoutMs?: number;
  /**
   * Only going to read: SQLite opens the file read-only, so another process writing (or holding
   * the write lock) does not block it; the file must exist, and one with an older schema is
   * migrated first as usual. No effect on Postgres, whose readers never wait for writers.
   */
  readonly readOnly?: boolean;
}

/** The location `openStore` would use for these options (an absolute path or a URL); throws `InvalidStoreLocationError`. */
export function storeLocation(options: OpenStoreOptions = {}): string {
  const target = resolveStoreLocation(options);
  return target.kind === 'postgres' ? target.url : target.path;
}

/**
 * Open the store, applying migrations.
 *
 * @example
 * ```ts
 * const store = await openStore();                                  // ./.warden/warden.db
 * const pgStore = await openStore({ db: 'postgres://warden@db/prod' });
 * ```
 */
export async function openStore(options: OpenStoreOptions = {}): Promise<Store> {
  const target = resolveStoreLocation(options);
  if (target.kind === 'postgres') {
    return openPostgresStore({
      url: target.url,
      ...(options.schema === undefined ? {} : { schema: options.schema }),
      ...(options.timeoutMs === undefined ? {} : { connectTimeoutMs: options.timeoutMs }),
    });
  }
  return openSqliteStore({
    path: target.path,
    ...(options.readOnly === true ? { readOnly: true } : {}),
    ...(options.timeoutMs === undefined ? {} : { busyTimeoutMs: options.timeoutMs }),
  });
}
