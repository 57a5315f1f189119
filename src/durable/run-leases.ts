/**
 * A host's run leases: claiming runs and keeping them. A claim gives the run a new owner epoch,
 * which fences every earlier incarnation (its writes are refused by the store's epoch check),
 * a run lease until now + `leaseMs`, and this process's identity (see process-identity.ts).
 * While any run executes here its lease is renewed every `leaseMs / 3`; the next renewal is
 * armed only after the last one is written, so a slow store never piles them up, and renewals
 * asked for meanwhile wait their turn, so a lease never moves back. A renewal that
 * fails renews nothing: the run keeps executing, and if its lease runs out meanwhile another
 * host may take it over, after which this incarnation's writes are refused (it stops
 * `interrupted`).
 *
 * Who may claim a run that is still `running` under another owner:
 * - anyone, once its lease has expired;
 * - a host under the same owner name, at once (it *is* the owner, restarted);
 * - any host on the same machine, at once, when the process holding it is gone (killed,
 *   crashed), so a restarted program takes its runs back whatever its owner name. This is a
 *   *takeover*: the claim is made only if the run is still at the epoch that was read, and
 *   `run.taken_over` is emitted;
 * - nobody else: a live process, or one on another machine, keeps its runs until the lease ends.
 * `resume()` claims unconditionally (`'always'`), fencing even a live owner.
 */
import type { Clock, EventBus, Timer } from '../runtime/index.ts';
import type { ProcessIdentity, RunRecord, RunStore } from '../store/index.ts';
import type { ActiveRuns } from './active-runs.ts';
import { currentProcess, processState } from './process-identity.ts';

/** `if_recoverable`: only if the rules above allow it now; `always`: fencing whoever holds it. */
export type ClaimCondition = 'if_recoverable' | 'always';

/** `run` is running under another owner than `owner`, whose lease has not expired at `now`. */
export function heldElsewhere(run: RunRecord, owner: string, now: number): boolean {
  return run.status === 'running' && run.owner !== undefined && run.owner !== owner && (run.leaseExpiresAt ?? Number.NEGATIVE_INFINITY) > now;
}

/** `run` is running and the process holding it was on this machine and is gone. */
export function ownerGone(run: RunRecord): boolean {
  return run.status === 'running' && processState(run.ownerProcess) === 'gone';
}

/**
 * Host `owner` must wait for the lease before claiming `run`: another owner holds it, its lease
 * runs at `now`, and its process is not known to be gone (alive, on another machine, or not recorded).
 */
export function mustWaitForLease(run: RunRecord, owner: string, now: number): boolean {
  return heldElsewhere(run, owner, now) && !ownerGone(run);
}

/**
 * `run` was created less than `leaseMs` ago and never claimed: the host that created it is about
 * to claim it (`start()` creates, then claims). Recovering it meanwhile would execute its first
 * steps twice, once here and once there before this claim is fenced, so recovery waits a lease's
 * time; if its creator died in between, the run is recovered after that.
 */
export function awaitingFirstClaim(run: RunRecord, now: number, leaseMs: number): boolean {
  return run.status === 'running' && run.owner === undefined && run.epoch === 0 && run.request === undefined && now - run.createdAt < leaseMs;
}

export interface RunLeaseParts {
  readonly store: RunStore;
  readonly clock: Clock;
  readonly bus: EventBus | undefined;
  readonly owner: string;
  readonly leaseMs: number;
  /** The runs whose leases are renewed. */
  readonly active: ActiveRuns;
}

export class RunLeaseKeeper {
  /** This process, recorded with every claim. */
  readonly process: ProcessIdentity = currentProcess();
  /** How long a claim lasts without renewal, ms. */
  readonly leaseMs: number;
  private readonly parts: RunLeaseParts;
  private renewal: Timer | undefined;
  /** The last renewal asked for (see `renew`). */
  private renewing: Promise<number> = Promise.resolve(0);
  private stopped = false;

  constructor(parts: RunLeaseParts) {
    this.parts = parts;
    this.leaseMs = parts.leaseMs;
  }

  /**
   * Claim `run` for this host; undefined if the store refused (someone else claimed it first,
   * or, with `if_recoverable`, it may not be taken now).
   */
  async claim(run: RunRecord, condition: ClaimCondition): Promise<RunRecord | undefined> {
    const { store, clock, bus, owner, leaseMs } = this.parts;
    const conditional = condition === 'if_recoverable';
    const now = clock.now();
    const takeOver = conditional && heldElsewhere(run, owner, now) && ownerGone(run);
    const claimed = await store.claimRun(run.id, {
      owner,
      ownerProcess: this.process,
      leaseExpiresAt: now + leaseMs,
      at: now,
      ...(conditional ? { onlyIf: { now, owner, ...(takeOver ? { epoch: run.epoch } : {}) } } : {}),
    });
    if (claimed === undefined) return undefined;
    if (takeOver && bus?.wants('run.taken_over')) {
      bus.emit({ type: 'run.taken_over', runId: run.id, from: run.owner ?? '', pid: run.ownerProcess?.pid ?? 0, leaseExpiresAt: run.leaseExpiresAt ?? 0 });
    }
    return claimed;
  }

  /** Renew the leases every `leaseMs / 3` while any run executes here (arming is idempotent). */
  keepRenewing(): void {
    if (this.renewal !== undefined || this.stopped) return;
    const every = Math.max(1, Math.floor(this.parts.leaseMs / 3));
    this.renewal = this.parts.clock.setTimer(every, () => {
      void this.renew().finally(() => {
        this.renewal = undefined;
        if (this.parts.active.size > 0) this.keepRenewing();
      });
    });
  }

  /**
   * Extend the lease of every run executing here to now + `leaseMs`; how many were extended (0 if
   * the store failed). One renewal at a time, each reading the clock when its turn comes: a slow
   * one (the timer's) landing after a later one (`renewLeases()`) would move the leases back, and
   * another host could take over a run whose owner had just renewed it.
   */
  renew(): Promise<number> {
    const next = this.renewing.then(() => this.renewNow());
    this.renewing = next;
    return next;
  }

  private async renewNow(): Promise<number> {
    const { store, clock, owner, leaseMs, active } = this.parts;
    if (active.size === 0 || this.stopped) return 0;
    return store.renewRunLeases(owner, active.leases(), clock.now() + leaseMs).catch(() => 0);
  }

  /** No more renewals (the host is closing). */
  stop(): void {
    this.stopped = true;
    this.renewal?.cancel();
  }
}
