/**
 * {@link ApprovalStore} in SQL (table `warden_approvals`). Requesting is fenced by the run's
 * epoch and idempotent per approval id. Deciding reads the approval and, if it is still pending,
 * writes the decision, its audit entry and the suspended run's resume request, all in one
 * transaction; a decided approval is returned as it is.
 */
import type { Approval, ApprovalFilter, ApprovalStore, Decision } from './approval-store.ts';
import type { RunFence } from './run-fence.ts';
import { insertAudit } from './sql-audit-store.ts';
import { firstRecord, jsonColumn, numberColumn, rowReader, textColumn, whereEqual } from './sql-columns.ts';
import type { SqlDriver } from './sql-driver.ts';

const approvalFromRow = rowReader<Approval>(
  {
    id: ['id', textColumn],
    runId: ['run_id', textColumn],
    seq: ['seq', numberColumn],
    action: ['action', textColumn],
    kind: ['kind', textColumn],
    reason: ['reason', textColumn],
    details: ['details', jsonColumn],
    status: ['status', textColumn],
    requestedAt: ['requested_at', numberColumn],
  },
  { decidedAt: ['decided_at', numberColumn], decidedBy: ['decided_by', textColumn], decisionReason: ['decision_reason', textColumn] },
  { table: 'warden_approvals', key: (r) => `(id ${JSON.stringify(String(r.id))})` },
);

export class SqlApprovalStore implements ApprovalStore {
  private readonly driver: SqlDriver;
  private readonly fence: RunFence;

  constructor(driver: SqlDriver, fence: RunFence) {
    this.driver = driver;
    this.fence = fence;
  }

  async requestApproval(approval: Omit<Approval, 'status' | 'decidedAt' | 'decidedBy' | 'decisionReason'>, epoch: number): Promise<Approval> {
    return this.driver.transaction(async (c) => {
      await this.fence.check(c, approval.runId, epoch, `request approval of "${approval.action}"`);
      await c.run(
        `INSERT INTO warden_approvals (id, run_id, seq, action, kind, reason, details, status, requested_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', ?) ON CONFLICT (id) DO NOTHING`,
        [approval.id, approval.runId, approval.seq, approval.action, approval.kind, approval.reason, JSON.stringify(approval.details), approval.requestedAt],
      );
      return approvalFromRow((await c.all('SELECT * FROM warden_approvals WHERE id = ?', [approval.id]))[0]!);
    });
  }

  async getApproval(id: string): Promise<Approval | undefined> {
    return firstRecord(await this.driver.read('SELECT * FROM warden_approvals WHERE id = ?', [id]), approvalFromRow);
  }

  async listApprovals(filter: ApprovalFilter = {}): Promise<readonly Approval[]> {
    const { where, params } = whereEqual({ status: filter.status, run_id: filter.runId });
    const rows = await this.driver.read(`SELECT * FROM warden_approvals${where} ORDER BY requested_at, id`, params);
    return rows.map(approvalFromRow);
  }

  async decideApproval(id: string, decision: Decision, by: string, reason: string, at: number): Promise<{ approval: Approval; decided: boolean } | undefined> {
    return this.driver.transaction(async (c) => {
      const rows = await c.all('SELECT * FROM warden_approvals WHERE id = ?', [id]);
      if (rows[0] === undefined) return undefined;
      const current = approvalFromRow(rows[0]);
      if (current.status !== 'pending') return { approval: current, decided: false };
      await c.run("UPDATE warden_approvals SET status = ?, decided_at = ?, decided_by = ?, decision_reason = ? WHERE id = ? AND status = 'pending'", [
        decision,
        at,
        by,
        reason,
        id,
      ]);
      await insertAudit(c, {
        at,
        actor: by,
        action: decision === 'approved' ? 'approval.approved' : 'approval.denied',
        subject: `approval:${id}`,
        reason,
        details: { runId: current.runId, action: current.action, seq: current.seq },
      });
      await c.run("UPDATE warden_runs SET request = 'resume', updated_at = ? WHERE id = ? AND status = 'suspended'", [at, current.runId]);
      const after = approvalFromRow((await c.all('SELECT * FROM warden_approvals WHERE id = ?', [id]))[0]!);
      return { approval: after, decided: true };
    });
  }
}
