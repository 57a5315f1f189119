/**
 * The one SQL implementation of {@link Store}: one store per record kind (sql-run-store.ts,
 * sql-journal-store.ts, ...) over one driver (SQLite or Postgres) and one {@link RunFence},
 * composed here. Each method hands its call to the part that owns the record kind, unchanged;
 * this class owns only what spans them: the store's info, its SQL access for higher layers,
 * and closing (queued journal appends are written before the database closes).
 */
import type { Approval, ApprovalFilter, Decision } from './approval-store.ts';
import type { AuditEntry, AuditFilter } from './audit-store.ts';
import type { DeadLetter, DeadLetterFilter, DeadLetterStatus } from './dead-letter-store.ts';
import type { EffectRecord } from './effect-store.ts';
import type { JournalEntry } from './journal-store.ts';
import type { KeyLease } from './key-lease-store.ts';
import { RunFence } from './run-fence.ts';
import type { ClaimRunOptions, CompactOptions, NewRun, RunFilter, RunRecord, RunRequest, RunUpdate } from './run-store.ts';
import { SqlApprovalStore } from './sql-approval-store.ts';
import { SqlAuditStore } from './sql-audit-store.ts';
import { SqlDeadLetterStore } from './sql-dead-letter-store.ts';
import type { SqlAccess, SqlConn, SqlDriver } from './sql-driver.ts';
import { SqlEffectStore } from './sql-effect-store.ts';
import { SqlJournalStore } from './sql-journal-store.ts';
import { SqlKeyLeaseStore } from './sql-key-lease-store.ts';
import { SqlQuarantineRecordStore } from './sql-quarantine-record-store.ts';
import { SqlRunStore } from './sql-run-store.ts';
import type { Json, Store, StoreInfo, StoredError } from './types.ts';

/** The SQL access of a store opened by `openStore` (or either `open*Store`). */
export function sqlAccessOf(store: Store): SqlAccess {
  if (!(store instanceof SqlStore)) throw new TypeError('sqlAccessOf: not a store opened by openStore, openSqliteStore or openPostgresStore');
  return store.sqlAccess;
}

export class SqlStore implements Store {
  readonly info: StoreInfo;
  /** See {@link sqlAccessOf}. */
  readonly sqlAccess: SqlAccess;
  private readonly driver: SqlDriver;
  private readonly runs: SqlRunStore;
  private readonly journal: SqlJournalStore;
  private readonly effects: SqlEffectStore;
  private readonly deadLetters: SqlDeadLetterStore;
  private readonly approvals: SqlApprovalStore;
  private readonly audit: SqlAuditStore;
  private readonly keyLeases: SqlKeyLeaseStore;
  private readonly quarantine: SqlQuarantineRecordStore;
  private closed = false;

  constructor(driver: SqlDriver, schemaVersion: number, durability: string) {
    this.driver = driver;
    this.info = Object.freeze({ kind: driver.dialect, location: driver.location, schemaVersion, durability });
    this.sqlAccess = Object.freeze({
      dialect: driver.dialect,
      location: driver.location,
      transaction: <T>(fn: (conn: SqlConn) => Promise<T>) => {
        if (this.closed) return Promise.reject(new Error(`${this.info.location}: store is closed`));
        return driver.transaction(fn);
      },
      read: <R>(sql: string, params?: readonly unknown[]) => driver.read<R>(sql, params),
      ...(driver.dedicated === undefined
        ? {}
        : {
            dedicated: () => {
              if (this.closed) return Promise.reject(new Error(`${this.info.location}: store is closed`));
              return driver.dedicated!();
            },
          }),
    });
    const fence = new RunFence(driver.dialect);
    this.runs = new SqlRunStore(driver, fence);
    this.journal = new SqlJournalStore(driver, fence);
    this.effects = new SqlEffectStore(driver, fence);
    this.deadLetters = new SqlDeadLetterStore(driver);
    this.approvals = new SqlApprovalStore(driver, fence);
    this.audit = new SqlAuditStore(driver);
    this.keyLeases = new SqlKeyLeaseStore(driver);
    this.quarantine = new SqlQuarantineRecordStore(driver);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.journal.close();
    await this.driver.close();
  }

  // ---- runs
  createRun(run: NewRun): Promise<{ run: RunRecord; created: boolean }> {
    return this.runs.createRun(run);
  }
  getRun(id: string): Promise<RunRecord | undefined> {
    return this.runs.getRun(id);
  }
  listRuns(filter?: RunFilter): Promise<readonly RunRecord[]> {
    return this.runs.listRuns(filter);
  }
  claimRun(id: string, options: ClaimRunOptions): Promise<RunRecord | undefined> {
    return this.runs.claimRun(id, options);
  }
  renewRunLeases(owner: string, runs: readonly { id: string; epoch: number }[], leaseExpiresAt: number): Promise<number> {
    return this.runs.renewRunLeases(owner, runs, leaseExpiresAt);
  }
  finishRun(id: string, epoch: number, update: RunUpdate, at: number): Promise<void> {
    return this.runs.finishRun(id, epoch, update, at);
  }
  requestRun(id: string, request: RunRequest | undefined, at: number): Promise<boolean> {
    return this.runs.requestRun(id, request, at);
  }
  cancelIdleRun(id: string, error: StoredError, now: number): Promise<RunRecord | undefined> {
    return this.runs.cancelIdleRun(id, error, now);
  }
  listRecoverableRuns(owner: string, now: number, pidSpace?: string): Promise<readonly RunRecord[]> {
    return this.runs.listRecoverableRuns(owner, now, pidSpace);
  }
  compactRuns(options: CompactOptions): Promise<number> {
    return this.runs.compactRuns(options);
  }

  // ---- journal
  appendJournal(entry: JournalEntry, epoch: number, effectDone?: string): Promise<JournalEntry> {
    return this.journal.appendJournal(entry, epoch, effectDone);
  }
  readJournal(runId: string): Promise<readonly JournalEntry[]> {
    return this.journal.readJournal(runId);
  }
  truncateJournal(runId: string, epoch: number, fromSeq: number): Promise<number> {
    return this.journal.truncateJournal(runId, epoch, fromSeq);
  }
  readArchivedJournal(runId: string): Promise<readonly JournalEntry[] | undefined> {
    return this.journal.readArchivedJournal(runId);
  }

  // ---- effects
  recordEffectIntent(effect: Omit<EffectRecord, 'status' | 'doneAt'>, epoch: number): Promise<EffectRecord> {
    return this.effects.recordEffectIntent(effect, epoch);
  }
  getEffect(key: string): Promise<EffectRecord | undefined> {
    return this.effects.getEffect(key);
  }
  listEffects(runId: string): Promise<readonly EffectRecord[]> {
    return this.effects.listEffects(runId);
  }
  resolveEffect(key: string, status: 'done' | 'not_done', at: number): Promise<boolean> {
    return this.effects.resolveEffect(key, status, at);
  }

  // ---- dead letters
  addDeadLetter(letter: Omit<DeadLetter, 'status' | 'updatedAt'>): Promise<DeadLetter> {
    return this.deadLetters.addDeadLetter(letter);
  }
  getDeadLetter(id: string): Promise<DeadLetter | undefined> {
    return this.deadLetters.getDeadLetter(id);
  }
  listDeadLetters(filter?: DeadLetterFilter): Promise<readonly DeadLetter[]> {
    return this.deadLetters.listDeadLetters(filter);
  }
  updateDeadLetter(
    id: string,
    from: readonly DeadLetterStatus[],
    patch: { status: DeadLetterStatus; replayInput?: Json; replayedAs?: string },
    at: number,
  ): Promise<DeadLetter | undefined> {
    return this.deadLetters.updateDeadLetter(id, from, patch, at);
  }

  // ---- approvals
  requestApproval(approval: Omit<Approval, 'status' | 'decidedAt' | 'decidedBy' | 'decisionReason'>, epoch: number): Promise<Approval> {
    return this.approvals.requestApproval(approval, epoch);
  }
  getApproval(id: string): Promise<Approval | undefined> {
    return this.approvals.getApproval(id);
  }
  listApprovals(filter?: ApprovalFilter): Promise<readonly Approval[]> {
    return this.approvals.listApprovals(filter);
  }
  decideApproval(id: string, decision: Decision, by: string, reason: string, at: number): Promise<{ approval: Approval; decided: boolean } | undefined> {
    return this.approvals.decideApproval(id, decision, by, reason, at);
  }

  // ---- audit
  appendAudit(entry: Omit<AuditEntry, 'id'>): Promise<AuditEntry> {
    return this.audit.appendAudit(entry);
  }
  listAudit(filter?: AuditFilter): Promise<readonly AuditEntry[]> {
    return this.audit.listAudit(filter);
  }

  // ---- key leases
  claimKeyLease(key: string, owner: string, expiresAt: number, now: number): Promise<boolean> {
    return this.keyLeases.claimKeyLease(key, owner, expiresAt, now);
  }
  releaseKeyLease(key: string, owner: string): Promise<boolean> {
    return this.keyLeases.releaseKeyLease(key, owner);
  }
  listKeyLeases(now: number): Promise<readonly KeyLease[]> {
    return this.keyLeases.listKeyLeases(now);
  }

  // ---- quarantine records
  getQuarantine(namespace: string, key: string): Promise<Json | undefined> {
    return this.quarantine.getQuarantine(namespace, key);
  }
  putQuarantine(namespace: string, key: string, record: Json): Promise<void> {
    return this.quarantine.putQuarantine(namespace, key, record);
  }
  deleteQuarantine(namespace: string, key: string): Promise<boolean> {
    return this.quarantine.deleteQuarantine(namespace, key);
  }
  listQuarantine(namespace?: string): Promise<readonly { namespace: string; key: string; record: Json }[]> {
    return this.quarantine.listQuarantine(namespace);
  }
}
