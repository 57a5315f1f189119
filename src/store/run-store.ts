/**
 * Runs: one row per durable run, with its status, input and outcome, and its owner. A claim
 * gives the run to an owner with the next **epoch** and a **run lease** (`leaseExpiresAt`) that
 * the owner renews while it executes; every write on the run's behalf carries that epoch and is
 * fenced by it (see {@link Store}). Finishing (or suspending) a run releases it.
 *
 * Run leases are not key leases: a key lease (key-lease-store.ts) is a single-flight key, with
 * no run and no epoch.
 */
import type { Json, StoredError } from './types.ts';

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
  /** When the owner's run lease ends unless renewed (clock ms); absent while nobody holds the run. */
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

/** A claim of a run by an owner, giving it the next epoch and a run lease. */
export interface ClaimRunOptions {
  readonly owner: string;
  /** The claiming process, recorded with the owner so others on its machine can tell when it is gone. */
  readonly ownerProcess?: ProcessIdentity;
  /** When the run lease this claim takes ends (clock ms). */
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

export interface RunFilter {
  readonly status?: RunStatus;
  readonly name?: string;
  /** @default 1000 */
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

export interface RunStore {
  /** Create a run (status `running`, epoch 0, unowned); returns the existing one if the id is taken. */
  createRun(run: NewRun): Promise<{ readonly run: RunRecord; readonly created: boolean }>;
  getRun(id: string): Promise<RunRecord | undefined>;
  /** Newest first. */
  listRuns(filter?: RunFilter): Promise<readonly RunRecord[]>;
  /** Take ownership: epoch + 1, owner, run lease, status `running`, request cleared. Undefined if refused. */
  claimRun(id: string, options: ClaimRunOptions): Promise<RunRecord | undefined>;
  /** Extend the run leases this owner holds at these epochs; returns how many were extended. */
  renewRunLeases(owner: string, runs: readonly { readonly id: string; readonly epoch: number }[], leaseExpiresAt: number): Promise<number>;
  /** Record the end (or suspension) of a run; fenced. Releases ownership. */
  finishRun(id: string, epoch: number, update: RunUpdate, at: number): Promise<void>;
  /** Leave a request for a host, or clear it with `undefined` (not fenced: anyone may ask). False if there is no such run. */
  requestRun(id: string, request: RunRequest | undefined, at: number): Promise<boolean>;
  /** Cancel a run that no host is running (suspended or failed, or running with an expired run lease). */
  cancelIdleRun(id: string, error: StoredError, now: number): Promise<RunRecord | undefined>;
  /**
   * Runs a host may pick up, oldest first: resume requested, or running with an expired run
   * lease or this owner. With `pidSpace`, also the running runs whose owner process was recorded
   * in that pid space, whatever their lease: candidates for the caller to take over if it finds
   * that process gone. A run whose row this version cannot read (written by a newer one) is
   * left out, so it does not keep the others from being recovered; `getRun` names its problem.
   */
  listRecoverableRuns(owner: string, now: number, pidSpace?: string): Promise<readonly RunRecord[]>;
  /**
   * Compact or delete finished runs, with their journal and effect rows; returns how many runs
   * were affected. An archived run keeps its journal as one value (`readArchivedJournal`).
   */
  compactRuns(options: CompactOptions): Promise<number>;
}
