/**
 * The persistence interface of the durable layer: one `Store`, shaped around what durable runs
 * need (runs with an owner epoch, a journal keyed by (run, sequence), effects recorded intent →
 * done, dead letters, quarantine records, approvals with their audit trail, and single-flight
 * leases), not a generic key-value store. Two implementations share one SQL core: SQLite (the
 * embedded default) and Postgres.
 *
 * Guarantees every implementation gives (the shared contract test checks each):
 * - every method is one transaction: it is applied whole or not at all;
 * - a method resolves only once its writes are durable (SQLite `synchronous=FULL`, Postgres
 *   `synchronous_commit` as the server has it, `on` by default);
 * - writes on behalf of a run carry the run's owner `epoch`; a write whose epoch is not the
 *   run's current one is refused with `FencedError` (code `FENCED`) inside the same
 *   transaction, so a superseded owner can never interleave writes with the new one;
 * - journal entries and effect intents are written idempotently: writing the same (run,
 *   sequence) twice keeps the first and returns it (a different step name at the same sequence
 *   is a `JournalConflictError`).
 *
 * Times are milliseconds on the caller's clock; the store never reads the time itself.
 */
/** Plain JSON data, as it is stored. */
export type Json = null | boolean | number | string | readonly Json[] | { readonly [key: string]: Json };

/** A failure as it is stored: the fields of an error, never the error object. */
export interface StoredError {
  readonly name: string;
  readonly message: string;
  readonly code?: string;
  readonly [field: string]: unknown;
}

export type RunStatus = 'running' | 'suspended' | 'completed' | 'failed' | 'cancelled';
export const RUN_STATUSES: readonly RunStatus[] = ['running', 'suspended', 'completed', 'failed', 'cancelled'];
/** A request left for a host process (by the CLI or another process). */
export type RunRequest = 'resume' | 'cancel';

export interface RunRecord {
  readonly id: string;
  /** The registered run definition that executes it. */
  readonly name: string;
  readonly status: RunStatus;
  readonly input: Json;
  readonly output?: Json;
  readonly error?: StoredError;
  /** Why a suspended run waits: `'approval'`, `'uncertain_effect'`, ... */
  readonly suspendReason?: string;
  readonly suspendDetail?: Json;
  /** Grows by one with every claim; writes carrying an older epoch are refused. */
  readonly epoch: number;
  readonly owner?: string;
  /** The process that claimed the run (absent for claims that recorded none, and once the run is released). */
  readonly ownerProcess?: ProcessIdentity;
  readonly leaseExpiresAt?: number;
  readonly request?: RunRequest;
  readonly traceId: string;
  /** The dead letter this run replays, if any. */
  readonly replayOf?: string;
  readonly createdAt: number;
  readonly updatedAt: number;
  readonly finishedAt?: number;
  /** Set once a finished run's journal was compacted into `archive`. */
  readonly archivedAt?: number;
}

export interface NewRun {
  readonly id: string;
  readonly name: string;
  readonly input: Json;
  readonly traceId: string;
  readonly replayOf?: string;
  readonly at: number;
}

/**
 * Which operating-system process holds a run: enough to tell, from the same machine, whether
 * that process still exists. `pidSpace` names where `pid` means something (on Linux the boot and
 * the pid namespace, so another container or a reboot is another space; elsewhere the host name);
 * `startTime` (Linux: the start time in /proc/<pid>/stat) tells a reused pid from the original.
 */
export interface ProcessIdentity {
  /** The host name, for people reading the record. */
  readonly host: string;
  readonly pidSpace: string;
  readonly pid: number;
  readonly startTime?: string;
}

/** A claim of a run by an owner, giving it the next epoch. */
export interface ClaimOptions {
  readonly owner: string;
  /** The claiming process, recorded with the owner so others on its machine can tell when it is gone. */
  readonly ownerProcess?: ProcessIdentity;
  readonly leaseExpiresAt: number;
  readonly at: number;
  /**
   * Claim only if one of these holds (evaluated in the claiming transaction); without it the
   * claim always succeeds. The run is running and its lease ran out at `now`, or it has no
   * owner, or its owner is `owner` (a restart of it); or a resume was requested; or, with
   * `epoch`, the run is still running at that epoch (the caller found the process holding it
   * gone: the epoch makes sure nobody claimed it since).
   */
  readonly onlyIf?: { readonly now: number; readonly owner?: string; readonly epoch?: number };
}

export type JournalKind = 'step' | 'effect' | 'approval';
export type JournalOutcome = 'ok' | 'error';

export interface JournalEntry {
  readonly runId: string;
  readonly seq: number;
  readonly name: string;
  readonly kind: JournalKind;
  readonly outcome: JournalOutcome;
  /** The result as JSON text (`undefined` when the step returned nothing). */
  readonly valueJson?: string;
  readonly error?: StoredError;
  readonly at: number;
}

export type EffectStatus = 'intent' | 'done' | 'not_done';

export interface EffectRecord {
  readonly key: string;
  readonly runId: string;
  readonly seq: number;
  readonly name: string;
  readonly status: EffectStatus;
  readonly input?: Json;
  readonly intentAt: number;
  readonly doneAt?: number;
}

export type DeadLetterStatus = 'pending' | 'replay_requested' | 'replayed' | 'discarded';
export const DEAD_LETTER_STATUSES: readonly DeadLetterStatus[] = ['pending', 'replay_requested', 'replayed', 'discarded'];

export interface Attempt {
  readonly attempt: number;
  readonly at: number;
  readonly error: StoredError;
}

export interface DeadLetter {
  readonly id: string;
  /** What produced it: a run definition's name, a queue's name, ... */
  readonly source: string;
  readonly runId?: string;
  readonly input: Json;
  readonly error: StoredError;
  readonly attempts: readonly Attempt[];
  readonly traceId: string;
  readonly status: DeadLetterStatus;
  /** The input to replay with, when a replay with edited input was requested. */
  readonly replayInput?: Json;
  /** What the replay became (a run id). */
  readonly replayedAs?: string;
  readonly createdAt: number;
  readonly updatedAt: number;
}

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

export interface AuditEntry {
  readonly id: number;
  readonly at: number;
  readonly actor: string;
  readonly action: string;
  readonly subject: string;
  readonly reason?: string;
  readonly details?: Json;
}

/** A single-flight key held by `owner` until `expiresAt` (clock ms), unless released first. */
export interface KeyLease {
  readonly key: string;
  readonly owner: string;
  readonly expiresAt: number;
}

export interface RunFilter {
  readonly status?: RunStatus;
  readonly name?: string;
  readonly limit?: number;
}

export interface CompactOptions {
  /** Runs that finished at or before this time (clock ms). */
  readonly finishedBefore: number;
  readonly statuses: readonly RunStatus[];
  /** `archive`: keep the run row with its journal folded into one archive value; `delete`: remove it. */
  readonly mode: 'archive' | 'delete';
  readonly at: number;
}

/** What a run's finish writes (fenced by the run's epoch). */
export type RunUpdate =
  | { readonly status: 'completed'; readonly output: Json | undefined }
  | { readonly status: 'failed'; readonly error: StoredError }
  | { readonly status: 'cancelled'; readonly error?: StoredError }
  | { readonly status: 'suspended'; readonly reason: string; readonly detail: Json };

/** Where the data is. */
export interface StoreInfo {
  readonly kind: 'sqlite' | 'postgres';
  /** The file path, or the URL with any password hidden. */
  readonly location: string;
  readonly schemaVersion: number;
  /** The durability settings in force, read back from the database (`journal_mode=wal synchronous=full`). */
  readonly durability: string;
}

export interface Store {
  readonly info: StoreInfo;
  close(): Promise<void>;

  // ---- runs
  /** Create a run (status `running`, epoch 0, unowned); returns the existing one if the id is taken. */
  createRun(run: NewRun): Promise<{ readonly run: RunRecord; readonly created: boolean }>;
  getRun(id: string): Promise<RunRecord | undefined>;
  listRuns(filter?: RunFilter): Promise<readonly RunRecord[]>;
  /** Take ownership: epoch + 1, owner, lease, status `running`, request cleared. Undefined if refused. */
  claimRun(id: string, options: ClaimOptions): Promise<RunRecord | undefined>;
  /** Extend the lease of runs this owner holds at these epochs; returns how many were extended. */
  renewLeases(owner: string, runs: readonly { readonly id: string; readonly epoch: number }[], leaseExpiresAt: number): Promise<number>;
  /** Record the end (or suspension) of a run; fenced. Releases ownership. */
  finishRun(id: string, epoch: number, update: RunUpdate, at: number): Promise<void>;
  /** Leave a request for a host (not fenced: anyone may ask). False if there is no such run. */
  requestRun(id: string, request: RunRequest | undefined, at: number): Promise<boolean>;
  /** Cancel a run that no host is running (suspended or failed, or running with an expired lease). */
  cancelIdleRun(id: string, error: StoredError, now: number): Promise<RunRecord | undefined>;
  /**
   * Runs a host may pick up: resume requested, or running with an expired lease or this owner.
   * With `pidSpace`, also the running runs whose owner process was recorded in that pid space,
   * whatever their lease: candidates for the caller to take over if it finds that process gone.
   */
  listRecoverable(owner: string, now: number, pidSpace?: string): Promise<readonly RunRecord[]>;
  /** Compact or delete finished runs; returns how many runs were affected. */
  compactRuns(options: CompactOptions): Promise<number>;
  /** The archived journal of a compacted run. */
  getArchive(id: string): Promise<readonly JournalEntry[] | undefined>;

  // ---- journal
  /**
   * Append journal entries for one run at its epoch; fenced; idempotent per (run, seq).
   * Concurrent calls are group-committed: batched into one transaction, each resolved only
   * after that transaction is durable. `effectDone` marks an effect done in the same
   * transaction. Returns the stored entry (the existing one on a repeat).
   */
  appendJournal(entry: JournalEntry, epoch: number, effectDone?: string): Promise<JournalEntry>;
  readJournal(runId: string): Promise<readonly JournalEntry[]>;
  /** Remove entries at or after `fromSeq` (used to retry a failed run from its failed step); fenced. */
  truncateJournal(runId: string, epoch: number, fromSeq: number): Promise<number>;

  // ---- effects
  /** Record an effect's intent; fenced; returns the existing record if the key was recorded before. */
  recordEffectIntent(effect: Omit<EffectRecord, 'status' | 'doneAt'>, epoch: number): Promise<EffectRecord>;
  getEffect(key: string): Promise<EffectRecord | undefined>;
  listEffects(runId: string): Promise<readonly EffectRecord[]>;
  /** Resolve an uncertain effect from outside (a person checked): `done` or `not_done`. */
  resolveEffect(key: string, status: 'done' | 'not_done', at: number): Promise<boolean>;

  // ---- dead letters
  addDeadLetter(letter: Omit<DeadLetter, 'status' | 'updatedAt'>): Promise<DeadLetter>;
  getDeadLetter(id: string): Promise<DeadLetter | undefined>;
  listDeadLetters(filter?: { readonly status?: DeadLetterStatus; readonly source?: string; readonly limit?: number }): Promise<readonly DeadLetter[]>;
  /**
   * Move a dead letter to `status` if it is in one of `from`; returns the updated letter, or
   * undefined if it does not exist or was in another status.
   */
  updateDeadLetter(
    id: string,
    from: readonly DeadLetterStatus[],
    patch: { readonly status: DeadLetterStatus; readonly replayInput?: Json; readonly replayedAs?: string },
    at: number,
  ): Promise<DeadLetter | undefined>;

  // ---- quarantine (records are opaque JSON, keyed by a namespace and key)
  quarantineGet(namespace: string, key: string): Promise<Json | undefined>;
  quarantinePut(namespace: string, key: string, record: Json): Promise<void>;
  quarantineDelete(namespace: string, key: string): Promise<boolean>;
  quarantineList(namespace?: string): Promise<readonly { readonly namespace: string; readonly key: string; readonly record: Json }[]>;

  // ---- approvals and audit
  /** Record a pending approval; fenced; returns the existing one if the id was requested before. */
  requestApproval(approval: Omit<Approval, 'status' | 'decidedAt' | 'decidedBy' | 'decisionReason'>, epoch: number): Promise<Approval>;
  getApproval(id: string): Promise<Approval | undefined>;
  listApprovals(filter?: { readonly status?: ApprovalStatus; readonly runId?: string }): Promise<readonly Approval[]>;
  /**
   * Decide a pending approval, write the audit entry and ask for the run to resume, in one
   * transaction. Returns the approval as it now is and whether this call decided it (false if it
   * was already decided; then nothing changes).
   */
  decideApproval(id: string, decision: Decision, by: string, reason: string, at: number): Promise<{ readonly approval: Approval; readonly decided: boolean } | undefined>;
  appendAudit(entry: Omit<AuditEntry, 'id'>): Promise<AuditEntry>;
  listAudit(filter?: { readonly subject?: string; readonly limit?: number }): Promise<readonly AuditEntry[]>;

  // ---- single-flight leases
  /** Claim `key` for `owner` until `expiresAt`, unless another owner holds an unexpired lease at `now`. */
  claimLease(key: string, owner: string, expiresAt: number, now: number): Promise<boolean>;
  releaseLease(key: string, owner: string): Promise<boolean>;
  listLeases(now: number): Promise<readonly KeyLease[]>;
}
