/**
 * The audit trail: who did what to which subject, and why (approval decisions, dead letters
 * discarded, ...). Append-only; entries are numbered in the order they were written.
 */
import type { Json } from './types.ts';

export interface AuditEntry {
  readonly id: number;
  readonly at: number;
  readonly actor: string;
  readonly action: string;
  readonly subject: string;
  readonly reason?: string;
  readonly details?: Json;
}

export interface AuditFilter {
  readonly subject?: string;
  /** @default 1000 */
  readonly limit?: number;
}

export interface AuditStore {
  appendAudit(entry: Omit<AuditEntry, 'id'>): Promise<AuditEntry>;
  /** In the order written. */
  listAudit(filter?: AuditFilter): Promise<readonly AuditEntry[]>;
}
