/**
 * Approval gates from the deciding side: list what waits, approve or deny it (who, why), read
 * the audit trail. A decision is recorded with its audit entry and a resume request for the run
 * in one transaction; a host picks the run up (at once if it is this process's host, else on
 * its next poll). A decision is final: deciding again is refused, naming who decided first.
 *
 * The transaction leaves the resume request only if it finds the run suspended. A run being
 * suspended at the same moment checks the approval once its suspension is committed
 * (outcome-recorder.ts), but with both transactions under way (Postgres, read committed) each
 * can miss the other: the decision reads the run still running, the run reads the approval still
 * pending, and nothing resumes it. So the decider checks the run too, after its own commit: of
 * the two commits, the later one's check sees the other.
 */
import { InvalidSpecError, realClock, type Clock, type EventBus } from '../runtime/index.ts';
import type { Approval, ApprovalStatus, ApprovalStore, AuditEntry, AuditStore, Decision, RunStore } from '../store/index.ts';
import { DurableStateError } from './errors.ts';

export interface DecisionInput {
  /** Who decides (a user name, an email). */
  readonly by: string;
  /** Why, for the audit trail. */
  readonly reason: string;
}

export class Approvals {
  private readonly store: ApprovalStore & AuditStore & RunStore;
  private readonly clock: Clock;
  private readonly bus: EventBus | undefined;
  private readonly onDecided: ((approval: Approval) => void) | undefined;

  constructor(store: ApprovalStore & AuditStore & RunStore, options: { clock?: Clock; bus?: EventBus; onDecided?: (approval: Approval) => void } = {}) {
    this.store = store;
    this.clock = options.clock ?? realClock;
    this.bus = options.bus;
    this.onDecided = options.onDecided;
  }

  list(filter: { status?: ApprovalStatus; runId?: string } = {}): Promise<readonly Approval[]> {
    return this.store.listApprovals(filter);
  }

  get(id: string): Promise<Approval | undefined> {
    return this.store.getApproval(id);
  }

  approve(id: string, decision: DecisionInput): Promise<Approval> {
    return this.decide(id, 'approved', decision);
  }

  deny(id: string, decision: DecisionInput): Promise<Approval> {
    return this.decide(id, 'denied', decision);
  }

  /** The audit trail, oldest first (for one approval: `subject` = `approval:<id>`). */
  audit(filter: { subject?: string; limit?: number } = {}): Promise<readonly AuditEntry[]> {
    return this.store.listAudit(filter);
  }

  private async decide(id: string, decision: Decision, input: DecisionInput): Promise<Approval> {
    const subject = `approval ${id}`;
    if (typeof input?.by !== 'string' || input.by.trim() === '') throw new InvalidSpecError(subject, 'by', input?.by, 'must name who decides');
    if (typeof input.reason !== 'string' || input.reason.trim() === '') throw new InvalidSpecError(subject, 'reason', input.reason, 'must say why');
    const result = await this.store.decideApproval(id, decision, input.by, input.reason, this.clock.now());
    if (result === undefined) throw new DurableStateError(subject, 'no such approval');
    if (!result.decided) {
      const a = result.approval;
      throw new DurableStateError(subject, `already ${a.status} by ${a.decidedBy ?? 'unknown'} (${a.decisionReason ?? ''}); a decision is final`);
    }
    // Best effort: the decision is recorded whatever this finds (a failed read leaves the run to the next request).
    await this.resumeIfSuspendedMeanwhile(result.approval).catch(() => {});
    if (this.bus?.wants('approval.decided')) {
      this.bus.emit({ type: 'approval.decided', approvalId: id, runId: result.approval.runId, decision, by: input.by });
    }
    this.onDecided?.(result.approval);
    return result.approval;
  }

  /** The run was suspended on `approval` while the decision was being recorded and has no resume request: leave one (asking twice is harmless). */
  private async resumeIfSuspendedMeanwhile(approval: Approval): Promise<void> {
    const run = await this.store.getRun(approval.runId);
    if (run?.status !== 'suspended' || run.request !== undefined || run.suspendReason !== 'approval') return;
    if ((run.suspendDetail as { approvalId?: unknown } | undefined)?.approvalId !== approval.id) return;
    await this.store.requestRun(approval.runId, 'resume', this.clock.now());
  }
}
