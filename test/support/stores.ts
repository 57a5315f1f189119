/**
 * Opens the stores every parameterised test runs against: SQLite in a fresh temp directory, and
 * Postgres in a fresh schema of the database named by `WARDEN_TEST_DATABASE_URL`. With that
 * variable unset, the Postgres cases are skipped and their suite title says why; set but
 * unreachable, they fail (opening the store throws `StoreUnavailableError`); set to anything but a
 * valid postgres:// URL (an unexpanded `${WARDEN_TEST_DATABASE_URL:-...}`, say), every test file
 * using it fails at once, naming the value, instead of handing it on to be taken for a file.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { openPostgresStore, openSqliteStore, resolveStoreLocation, type Store } from '../../src/store/index.ts';

export type StoreKind = 'sqlite' | 'postgres';

/** `url` if it is a usable postgres:// URL; undefined if unset; otherwise throws naming it. */
function checkedTestUrl(url: string | undefined): string | undefined {
  if (url === undefined) return undefined;
  if (resolveStoreLocation({ db: url, name: 'WARDEN_TEST_DATABASE_URL' }).kind !== 'postgres') {
    throw new Error(`WARDEN_TEST_DATABASE_URL must be a postgres:// URL, not a file path (got "${url}")`);
  }
  return url;
}

export const PG_URL = checkedTestUrl(process.env.WARDEN_TEST_DATABASE_URL);
export const PG_SKIP_REASON = 'skipped: WARDEN_TEST_DATABASE_URL is not set (set it to a postgres:// URL to run these)';

export interface StoreCase {
  readonly kind: StoreKind;
  /** Suite title, carrying the skip reason when skipped. */
  readonly title: string;
  readonly skip: boolean;
}

export const STORE_CASES: readonly StoreCase[] = [
  { kind: 'sqlite', title: 'sqlite', skip: false },
  { kind: 'postgres', title: PG_URL === undefined ? `postgres (${PG_SKIP_REASON})` : 'postgres', skip: PG_URL === undefined },
];

let counter = 0;

/** Where a test store lives, so a test can reopen it (or hand it to a child process). */
export interface StoreLocation {
  readonly kind: StoreKind;
  /** File path (sqlite) or URL (postgres). */
  readonly db: string;
  readonly schema?: string;
}

/** A fresh, empty location of the given kind. */
export function freshLocation(kind: StoreKind): StoreLocation {
  if (kind === 'sqlite') return { kind, db: join(mkdtempSync(join(tmpdir(), 'warden-store-')), 'warden.db') };
  if (PG_URL === undefined) throw new Error(PG_SKIP_REASON);
  const schema = `wt_${process.pid}_${++counter}_${Math.floor(Math.random() * 1e9).toString(36)}`;
  return { kind, db: PG_URL, schema };
}

export function openAt(loc: StoreLocation): Promise<Store> {
  return loc.kind === 'sqlite'
    ? openSqliteStore({ path: loc.db })
    : openPostgresStore({ url: loc.db, ...(loc.schema === undefined ? {} : { schema: loc.schema }) });
}

/** Remove a test location (temp dir or schema). */
export async function dropLocation(loc: StoreLocation): Promise<void> {
  if (loc.kind === 'sqlite') {
    rmSync(join(loc.db, '..'), { recursive: true, force: true });
    return;
  }
  const client = new pg.Client({ connectionString: loc.db });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS ${loc.schema} CASCADE`);
  } finally {
    await client.end();
  }
}

/** Open a fresh store; returns it with a cleanup that closes and removes it. */
export async function freshStore(kind: StoreKind): Promise<{ store: Store; loc: StoreLocation; cleanup: () => Promise<void> }> {
  const loc = freshLocation(kind);
  const store = await openAt(loc);
  return {
    store,
    loc,
    cleanup: async () => {
      await store.close();
      await dropLocation(loc);
    },
  };
}
