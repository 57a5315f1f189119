/**
 * {@link AuditStore} in SQL (table `warden_audit`, numbered by an autoincrementing id), and
 * `insertAudit`, which writes an entry inside another transaction (an approval's decision).
 */
import type { AuditEntry, AuditFilter, AuditStore } from './audit-store.ts';
import { jsonColumn, jsonText, numberColumn, rowReader, textColumn, whereEqual } from './sql-columns.ts';
import type { SqlConn, SqlDriver } from './sql-driver.ts';

const auditFromRow = rowReader<AuditEntry>(
  { id: ['id', numberColumn], at: ['at', numberColumn], actor: ['actor', textColumn], action: ['action', textColumn], subject: ['subject', textColumn] },
  { reason: ['reason', textColumn], details: ['details', jsonColumn] },
  { table: 'warden_audit', key: (r) => `(id ${String(r.id)})` },
);

/** Write an audit entry in the transaction `c`; returns it with its id. */
export async function insertAudit(c: SqlConn, entry: Omit<AuditEntry, 'id'>): Promise<AuditEntry> {
  const rows = await c.all('INSERT INTO warden_audit (at, actor, action, subject, reason, details) VALUES (?, ?, ?, ?, ?, ?) RETURNING *', [
    entry.at,
    entry.actor,
    entry.action,
    entry.subject,
    entry.reason ?? null,
    jsonText(entry.details),
  ]);
  return auditFromRow(rows[0]!);
}

export class SqlAuditStore implements AuditStore {
  private readonly driver: SqlDriver;

  constructor(driver: SqlDriver) {
    this.driver = driver;
  }

  async appendAudit(entry: Omit<AuditEntry, 'id'>): Promise<AuditEntry> {
    return this.driver.transaction((c) => insertAudit(c, entry));
  }

  async listAudit(filter: AuditFilter = {}): Promise<readonly AuditEntry[]> {
    const { where, params } = whereEqual({ subject: filter.subject });
    const rows = await this.driver.read(`SELECT * FROM warden_audit${where} ORDER BY id LIMIT ?`, [...params, filter.limit ?? 1000]);
    return rows.map(auditFromRow);
  }
}
