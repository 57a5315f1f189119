/**
 * The store matrix: the stores a test runs against, one case per kind, for any test runner.
 *
 * - **SQLite** always: each store is a fresh file in a new temp directory.
 * - **Postgres** when `WARDEN_TEST_DATABASE_URL` names a server: each store is a fresh schema
 *   there (dropped with everything in it by `cleanup()`).
 * - Without that variable the Postgres case is skipped, its title saying why, unless `CI` is
 *   `true` (or `1`): then it is not skipped, and opening it fails, saying the variable is not set.
 *   A continuous-integration run that lost its database fails by name; it never passes quietly.
 * - Set to something that is not a `postgres://` URL (an unexpanded `${...}`, a file path), the
 *   variable is refused when the matrix is built, naming the value (password hidden).
 *
 * `withStores()` returns the cases as plain data and factories, so any runner can loop over
 * them: `for (const c of withStores()) describe(c.title, { skip: c.skip }, ...)` with node:test,
 * `describe.each(withStores())` or `describe.skipIf(c.skip)` with vitest, or `describeStores`
 * for either. A location is data (`{ kind, db, schema }`) that `openStore` takes as it is and
 * that can be handed to a child process.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WardenError } from '../runtime/index.ts';
import { openStore, redactUrl, resolveStoreLocation, type Store } from '../store/index.ts';

declare module '../runtime/index.ts' {
  interface WardenErrorMap {
    TestDatabaseError: TestDatabaseError;
  }
}

/** The variable naming the Postgres server the Postgres case runs on. */
export const TEST_DATABASE_URL_VARIABLE = 'WARDEN_TEST_DATABASE_URL';

export type TestStoreKind = 'sqlite' | 'postgres';

/** Where a test store lives: give it to `openStore` (it takes it as it is) or to another process. */
export interface TestStoreLocation {
  readonly kind: TestStoreKind;
  /** The SQLite file, or the Postgres URL. */
  readonly db: string;
  /** Postgres: the schema of this location (fresh, unique to it). */
  readonly schema?: string;
  /** Remove it: the temp directory with the file, or the schema with everything in it. */
  drop(): Promise<void>;
}

/** An open test store with its location. */
export interface TestStore extends AsyncDisposable {
  /** The store open now (the new one after `reopen()`). */
  readonly store: Store;
  readonly location: TestStoreLocation;
  /** Close the store and open the same location again, as a restarted process would. */
  reopen(): Promise<Store>;
  /** Close the store and drop its location. Safe to call more than once. */
  cleanup(): Promise<void>;
}

/** One kind of store in the matrix. */
export interface StoreCase {
  readonly kind: TestStoreKind;
  /** The kind, and why it is skipped when it is: `postgres (skipped: ...)`. */
  readonly title: string;
  /** Why this case cannot run here, or `false`. node:test takes it as `skip` as it is. */
  readonly skip: string | false;
  /** A fresh, empty location (nothing is created until the store is opened). */
  location(): TestStoreLocation;
  /** Open a store at a fresh location. */
  open(): Promise<TestStore>;
}

export interface StoreMatrixOptions {
  /** Where `WARDEN_TEST_DATABASE_URL` and `CI` are read. @default process.env */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/** The test database variable is missing where it must be set, or names no Postgres server. */
export class TestDatabaseError extends WardenError<'TEST_DATABASE', { variable: string; value: string | undefined }> {
  constructor(value: string | undefined, why: string) {
    super('TEST_DATABASE', `${TEST_DATABASE_URL_VARIABLE} ${why}`, {
      variable: TEST_DATABASE_URL_VARIABLE,
      value: value === undefined ? undefined : redactUrl(value),
    });
  }
}

/** Every store kind: SQLite, then Postgres. Throws `TestDatabaseError` if the variable is set to no postgres:// URL. */
export function withStores(options: StoreMatrixOptions = {}): readonly StoreCase[] {
  return [storeCase('sqlite', options), storeCase('postgres', options)];
}

/** The case of one kind (for a test that needs Postgres in particular, say). */
export function storeCase(kind: TestStoreKind, options: StoreMatrixOptions = {}): StoreCase {
  if (kind === 'sqlite') return makeCase(kind, false, sqliteLocation);
  const env = options.env ?? process.env;
  const url = checkedUrl(env[TEST_DATABASE_URL_VARIABLE]);
  if (url !== undefined) return makeCase(kind, false, () => postgresLocation(url));
  const missing = (): never => {
    throw new TestDatabaseError(
      undefined,
      isCi(env)
        ? 'is not set, and CI is: the Postgres store tests must run in CI; set it to a postgres:// URL'
        : 'is not set; set it to a postgres:// URL to run the Postgres store tests',
    );
  };
  const skip = isCi(env) ? false : `skipped: ${TEST_DATABASE_URL_VARIABLE} is not set (set it to a postgres:// URL to run these)`;
  return makeCase(kind, skip, missing);
}

/** A runner's `describe`: vitest's and node:test's both fit. */
export type DescribeFunction = (name: string, options: { skip: boolean }, body: () => void) => unknown;

/**
 * One suite per store kind, titled `${name}: ${case title}`, skipped (not left out) where the
 * case cannot run. Works with vitest's `describe` and node:test's.
 *
 * @example
 * ```ts
 * describeStores(describe, 'the journal', (c) => {
 *   it('keeps what was appended', async () => {
 *     const t = await c.open();
 *     // ... t.store ...
 *     await t.cleanup();
 *   });
 * });
 * ```
 */
export function describeStores(describe: DescribeFunction, name: string, body: (storeCase: StoreCase) => void, options: StoreMatrixOptions = {}): void {
  for (const c of withStores(options)) describe(`${name}: ${c.title}`, { skip: c.skip !== false }, () => body(c));
}

function makeCase(kind: TestStoreKind, skip: string | false, location: () => TestStoreLocation): StoreCase {
  return {
    kind,
    title: skip === false ? kind : `${kind} (${skip})`,
    skip,
    location,
    open: async () => openTestStore(location()),
  };
}

async function openTestStore(location: TestStoreLocation): Promise<TestStore> {
  let store = await openStore(location);
  let cleaned: Promise<void> | undefined;
  const cleanup = (): Promise<void> =>
    (cleaned ??= (async () => {
      await store.close();
      await location.drop();
    })());
  return {
    get store() {
      return store;
    },
    location,
    async reopen() {
      await store.close();
      store = await openStore(location);
      return store;
    },
    cleanup,
    [Symbol.asyncDispose]: cleanup,
  };
}

function sqliteLocation(): TestStoreLocation {
  const dir = mkdtempSync(join(tmpdir(), 'warden-store-'));
  return {
    kind: 'sqlite',
    db: join(dir, 'warden.db'),
    drop: async () => rmSync(dir, { recursive: true, force: true }),
  };
}

let schemas = 0;

function postgresLocation(url: string): TestStoreLocation {
  const schema = `wt_${process.pid}_${++schemas}_${randomBytes(4).toString('hex')}`;
  return {
    kind: 'postgres',
    db: url,
    schema,
    drop: async () => {
      const { default: pg } = await import('pg'); // loaded on first use, as the store does
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      } finally {
        await client.end();
      }
    },
  };
}

/** `url` if it is a usable postgres:// URL, undefined if unset; otherwise throws naming it. */
function checkedUrl(url: string | undefined): string | undefined {
  if (url === undefined || url === '') return undefined;
  if (resolveStoreLocation({ db: url, name: TEST_DATABASE_URL_VARIABLE }).kind !== 'postgres') {
    throw new TestDatabaseError(url, `must be a postgres:// URL, not a file path (got "${redactUrl(url)}")`);
  }
  return url;
}

function isCi(env: Readonly<Record<string, string | undefined>>): boolean {
  const ci = env.CI?.toLowerCase();
  return ci === 'true' || ci === '1';
}
