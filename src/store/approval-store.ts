/**
 * Approvals: a step or effect that a policy holds for a person's decision. The request is fenced
 * by the run's epoch; the decision writes the approval, its audit entry and the run's resume
 * request in one transaction, and only the first decision counts.
 */
import type { Json } from './types.ts';

export type ApprovalStatus = 'pending' | 'approved' | 'denied';
export const APPROVAL_STATUSES: readonly ApprovalStatus[] = ['pending', 'approved', 'denied'];
export type Decision = 'approved' | 'denied';

export interface Approval {
  readonly id: string;
  readonly runId: string;
  readonly seq: number;
  /** The step or effect name. */
  readonly action: string;
  readonly kind: 'step' | 'effect';
  /** Why it needs approval (the policy that matched) and what it would do. */
  readonly reason: string;
  readonly details: Json;
  readonly status: ApprovalStatus;
  readonly requestedAt: number;
  readonly decidedAt?: number;
  readonly decidedBy?: string;
  readonly decisionReason?: string;
}

export interface ApprovalFilter {
  readonly status?: ApprovalStatus;
  readonly runId?: string;
}

export interface ApprovalStore {
  /** Record a pending approval; fenced; returns the existing one if the id was requested before. */
  requestApproval(approval: Omit<Approval, 'status' | 'decidedAt' | 'decidedBy' | 'decisionReason'>, epoch: number): Promise<Approval>;
  getApproval(id: string): Promise<Approval | undefined>;
  /** Oldest request first. */
  listApprovals(filter?: ApprovalFilter): Promise<readonly Approval[]>;
  /**
   * Decide a pending approval, write the audit entry (`approval.approved` or `approval.denied`,
   * subject `approval:<id>`) and ask a suspended run to resume, in one transaction. Returns the
   * approval as it now is and whether this call decided it (false if it was already decided;
   * then nothing changes); undefined if there is no such approval.
   */
  decideApproval(
    id: string,
    decision: Decision,
    by: string,
    reason: string,
    at: number,
  ): Promise<{ readonly approval: Approval; readonly decided: boolean } | undefined>;
}
