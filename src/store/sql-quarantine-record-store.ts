/**
 * {@link QuarantineRecordStore} in SQL (table `warden_quarantine`, keyed by (namespace, key));
 * each record is one JSON text column the store never reads into.
 */
import type { QuarantineRecordStore } from './quarantine-record-store.ts';
import { jsonColumn, readColumn, type RowName } from './sql-columns.ts';
import type { SqlDriver } from './sql-driver.ts';
import type { Json } from './types.ts';

const QUARANTINE_ROW: RowName = {
  table: 'warden_quarantine',
  key: (r) => `(namespace ${JSON.stringify(String(r.namespace))}, key ${JSON.stringify(String(r.key))})`,
};

export class SqlQuarantineRecordStore implements QuarantineRecordStore {
  private readonly driver: SqlDriver;

  constructor(driver: SqlDriver) {
    this.driver = driver;
  }

  async getQuarantine(namespace: string, key: string): Promise<Json | undefined> {
    const rows = await this.driver.read<{ record: string }>('SELECT record FROM warden_quarantine WHERE namespace = ? AND key = ?', [namespace, key]);
    return rows[0] === undefined ? undefined : readColumn(QUARANTINE_ROW, rows[0], 'record', jsonColumn);
  }

  async putQuarantine(namespace: string, key: string, record: Json): Promise<void> {
    await this.driver.transaction((c) =>
      c.run('INSERT INTO warden_quarantine (namespace, key, record) VALUES (?, ?, ?) ON CONFLICT (namespace, key) DO UPDATE SET record = excluded.record', [
        namespace,
        key,
        JSON.stringify(record),
      ]),
    );
  }

  async deleteQuarantine(namespace: string, key: string): Promise<boolean> {
    return (await this.driver.transaction((c) => c.run('DELETE FROM warden_quarantine WHERE namespace = ? AND key = ?', [namespace, key]))) > 0;
  }

  async listQuarantine(namespace?: string): Promise<readonly { namespace: string; key: string; record: Json }[]> {
    const rows = await this.driver.read<{ namespace: string; key: string; record: string }>(
      `SELECT namespace, key, record FROM warden_quarantine${namespace === undefined ? '' : ' WHERE namespace = ?'} ORDER BY namespace, key`,
      namespace === undefined ? [] : [namespace],
    );
    return rows.map((r) => ({ namespace: String(r.namespace), key: String(r.key), record: readColumn(QUARANTINE_ROW, r, 'record', jsonColumn) }));
  }
}
