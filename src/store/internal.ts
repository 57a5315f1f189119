/**
 * The store's surface for the layers above it inside Warden, not for users: raw SQL access to
 * an open store's database, which the memory layer needs to keep its graph tables in the same
 * database and transactions. It is not listed in package.json's `exports`, so `warden/store`
 * users cannot import it, and nothing here is part of the published API.
 *
 * Cross-folder imports go through a layer's `index.ts`, or through its `internal.ts` for what
 * only Warden's own higher layers may use.
 */
export { sqlAccessOf } from './sql-store.ts';
export type { SqlAccess, SqlConn } from './sql-driver.ts';
export type { Dialect } from './migrations.ts';
