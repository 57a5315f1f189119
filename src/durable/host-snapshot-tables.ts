/**
 * The tables where hosts publish what they are doing, owned by the durable layer (opened with
 * the store's `openLayerTables`, layer `hosts`, so a store gets them only once a host publishes
 * or a reader looks): one row per host with its latest snapshot (`warden_host_snapshots`), and a
 * short history of samples (`warden_host_samples`: restarts in each interval, spend so far) that
 * the dashboard plots. Numbered from 1, append-only: a released migration is never edited.
 */
import { defineLayerTables, openLayerTables, type Migration, type SqlAccess } from '../store/internal.ts';
import type { Store } from '../store/index.ts';

const v1: Migration = {
  version: 1,
  description: 'host snapshots (latest per host) and samples (restarts and spend over time)',
  sql(dialect) {
    const time = dialect === 'sqlite' ? 'REAL' : 'DOUBLE PRECISION';
    return [
      `CREATE TABLE warden_host_snapshots (
        host TEXT PRIMARY KEY,
        published_at ${time} NOT NULL,
        snapshot TEXT NOT NULL
      )`,
      `CREATE TABLE warden_host_samples (
        host TEXT NOT NULL,
        at ${time} NOT NULL,
        restarts INTEGER NOT NULL,
        spend_usd ${time} NOT NULL,
        tokens ${time} NOT NULL,
        PRIMARY KEY (host, at)
      )`,
      'CREATE INDEX warden_host_samples_at ON warden_host_samples (at)',
    ];
  },
};

/** The `hosts` layer's tables: `warden_host_snapshots`, `warden_host_samples`. */
export const HOST_TABLES = defineLayerTables({ layer: 'hosts', migrations: [v1] });

const opened = new WeakMap<Store, Promise<SqlAccess>>();

/** The host tables on `store`, brought up to date once per store object. */
export function hostTables(store: Store): Promise<SqlAccess> {
  let access = opened.get(store);
  if (access === undefined) {
    access = openLayerTables(store, HOST_TABLES);
    access.catch(() => opened.delete(store));
    opened.set(store, access);
  }
  return access;
}
