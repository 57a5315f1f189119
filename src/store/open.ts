/**
 * Choosing a store: a `postgres://` URL opens Postgres; anything else is a SQLite file path.
 * Without an explicit location, `WARDEN_DATABASE_URL` decides, and without that the embedded
 * default `./.warden/warden.db` is used (created if missing; no server needed).
 */
import { resolve } from 'node:path';
import { DEFAULT_SQLITE_PATH, openSqliteStore } from './sqlite.ts';
import { openPostgresStore } from './postgres.ts';
import type { Store } from './types.ts';

export interface OpenStoreOptions {
  /** A file path or a `postgres://` URL. @default WARDEN_DATABASE_URL, else './.warden/warden.db' */
  readonly db?: string;
  /** Postgres only: the schema for Warden's tables. */
  readonly schema?: string;
  /** Where to read `WARDEN_DATABASE_URL`. @default process.env */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Base for a relative file path. @default process.cwd() */
  readonly cwd?: string;
}

/** Whether `location` names a Postgres database rather than a file. */
export function isPostgresUrl(location: string): boolean {
  return /^postgres(ql)?:\/\//.test(location);
}

/** The location `openStore` would use for these options. */
export function storeLocation(options: OpenStoreOptions = {}): string {
  const env = options.env ?? process.env;
  const raw = options.db ?? (env.WARDEN_DATABASE_URL !== undefined && env.WARDEN_DATABASE_URL !== '' ? env.WARDEN_DATABASE_URL : DEFAULT_SQLITE_PATH);
  return isPostgresUrl(raw) ? raw : resolve(options.cwd ?? process.cwd(), raw);
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
  const location = storeLocation(options);
  if (isPostgresUrl(location)) {
    return openPostgresStore({ url: location, ...(options.schema === undefined ? {} : { schema: options.schema }) });
  }
  return openSqliteStore({ path: location });
}
