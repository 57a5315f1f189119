/**
 * The old names of the store matrix, kept for tests not yet on `warden/testing`: each is the
 * kit's (src/testing/store-matrix.ts), under the name these tests knew. New tests use
 * `withStores()`, `storeCase()` and `TestStore` from the kit directly.
 */
import { openStore, type Store } from '../../src/store/index.ts';
import { storeCase, withStores, type TestStoreKind, type TestStoreLocation } from '../../src/testing/index.ts';

export type StoreKind = TestStoreKind;
export type StoreLocation = TestStoreLocation;

const postgres = storeCase('postgres');

/** The Postgres URL the Postgres case runs on, if set. */
export const PG_URL: string | undefined = postgres.skip === false ? process.env.WARDEN_TEST_DATABASE_URL : undefined;
export const PG_SKIP_REASON: string = postgres.skip === false ? '' : postgres.skip;

export const STORE_CASES: readonly { readonly kind: StoreKind; readonly title: string; readonly skip: boolean }[] = withStores().map((c) => ({
  kind: c.kind,
  title: c.title,
  skip: c.skip !== false,
}));

export const freshLocation = (kind: StoreKind): StoreLocation => storeCase(kind).location();
export const openAt = (loc: StoreLocation): Promise<Store> => openStore(loc);
export const dropLocation = (loc: StoreLocation): Promise<void> => loc.drop();

export async function freshStore(kind: StoreKind): Promise<{ store: Store; loc: StoreLocation; cleanup: () => Promise<void> }> {
  const t = await storeCase(kind).open();
  return { store: t.store, loc: t.location, cleanup: () => t.cleanup() };
}
