/**
 * {@link KeyLeaseStore} in SQL (table `warden_leases`, which holds key leases only; a run's
 * lease is a column of its run). A claim is one upsert that takes the key only when it is free,
 * expired at `now`, or already the claimant's, so of several concurrent claimants exactly one wins.
 */
import type { KeyLease, KeyLeaseStore } from './key-lease-store.ts';
import { numberColumn, readColumn, type RowName } from './sql-columns.ts';
import type { SqlDriver } from './sql-driver.ts';

const LEASE_ROW: RowName = { table: 'warden_leases', key: (r) => `(key ${JSON.stringify(String(r.key))})` };

export class SqlKeyLeaseStore implements KeyLeaseStore {
  private readonly driver: SqlDriver;

  constructor(driver: SqlDriver) {
    this.driver = driver;
  }

  async claimKeyLease(key: string, owner: string, expiresAt: number, now: number): Promise<boolean> {
    const n = await this.driver.transaction((c) =>
      c.run(
        `INSERT INTO warden_leases (key, owner, expires_at) VALUES (?, ?, ?)
         ON CONFLICT (key) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at
         WHERE warden_leases.owner = excluded.owner OR warden_leases.expires_at <= ?`,
        [key, owner, expiresAt, now],
      ),
    );
    return n > 0;
  }

  async releaseKeyLease(key: string, owner: string): Promise<boolean> {
    return (await this.driver.transaction((c) => c.run('DELETE FROM warden_leases WHERE key = ? AND owner = ?', [key, owner]))) > 0;
  }

  async listKeyLeases(now: number): Promise<readonly KeyLease[]> {
    const rows = await this.driver.read('SELECT * FROM warden_leases WHERE expires_at > ? ORDER BY key', [now]);
    return rows.map((r) => ({ key: String(r.key), owner: String(r.owner), expiresAt: readColumn(LEASE_ROW, r, 'expires_at', numberColumn) }));
  }
}
