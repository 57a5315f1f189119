/**
 * The store's surface for the layers above it inside Warden, not for users: a layer that keeps
 * its own tables in the store (the memory graph's) declares their migrations with
 * `defineLayerTables` and gets its SQL access, in the store's database and transactions, from
 * `openLayerTables`. It is not listed in package.json's `exports`, so `warden/store` users cannot
 * import it, and nothing here is part of the published API.
 *
 * Cross-folder imports go through a layer's `index.ts`, or through its `internal.ts` for what
 * only Warden's own higher layers may use.
 */
export { defineLayerTables, openLayerTables } from './layer-tables.ts';
export type { LayerTables } from './layer-tables.ts';
export type { DedicatedConn, SqlAccess, SqlConn } from './sql-driver.ts';
export type { Dialect, Migration } from './migrations.ts';
