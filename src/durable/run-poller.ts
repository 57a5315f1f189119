/**
 * What a host picks up from the store: runs it may recover (left running by a crashed owner,
 * or asked to resume by an approval decision or the CLI), cancel requests for runs executing
 * here, dead-letter replays asked for by the CLI, and, with a retention policy, compaction.
 * `recover()` looks once; `serve()` does a whole pass every `pollMs`, arming the next pass only
 * after this one ends (a slow store never piles passes up). A pass that fails (the store is
 * unreachable, ...) emits `durable.poll_failed`, and the next pass tries again.
 */
import { disposable, type Clock, type Disposable, type EventBus, type Timer } from '../runtime/index.ts';
import type { DeadLetterStore, RunRecord, RunStore } from '../store/index.ts';
import type { ActiveRuns } from './active-runs.ts';
import type { DeadLetterQueue } from './dead-letters.ts';
import type { RunHandle } from './run-outcome.ts';
import { awaitingFirstClaim, mustWaitForLease, type RunLeaseKeeper } from './run-leases.ts';
import type { RunRegistry } from './run-registry.ts';

export interface RunPollerParts {
  readonly store: RunStore & DeadLetterStore;
  readonly clock: Clock;
  readonly bus: EventBus | undefined;
  readonly owner: string;
  readonly pollMs: number;
  readonly definitions: RunRegistry;
  readonly active: ActiveRuns;
  readonly leases: RunLeaseKeeper;
  readonly deadLetters: DeadLetterQueue;
  /** Claim the run if it is recoverable now, and execute it. */
  readonly recoverRun: (run: RunRecord) => Promise<RunHandle | undefined>;
  /** Apply the retention policy; undefined without one. */
  readonly compact: (() => Promise<number>) | undefined;
  readonly isClosed: () => boolean;
}

export class RunPoller {
  private readonly parts: RunPollerParts;
  private timer: Timer | undefined;
  private pass: Promise<void> | undefined;

  constructor(parts: RunPollerParts) {
    this.parts = parts;
  }

  /**
   * Claim and execute every run this host may execute now: a registered definition, not executing
   * here, and not held by a live owner whose lease still runs (see run-leases.ts).
   */
  async recover(): Promise<readonly RunHandle[]> {
    const { store, clock, owner, definitions, active, leases, recoverRun } = this.parts;
    const now = clock.now();
    const candidates = await store.listRecoverableRuns(owner, now, leases.process.pidSpace);
    const handles: RunHandle[] = [];
    for (const run of candidates) {
      if (!definitions.has(run.name) || active.has(run.id)) continue;
      if (mustWaitForLease(run, owner, now) || awaitingFirstClaim(run, now, leases.leaseMs)) continue;
      const h = await recoverRun(run);
      if (h !== undefined) handles.push(h);
    }
    return handles;
  }

  /** Do a pass every `pollMs` until disposed or the host closes. */
  serve(): Disposable {
    const { clock, bus, owner, pollMs, isClosed } = this.parts;
    let stopped = false;
    const loop = (): void => {
      if (stopped || isClosed()) return;
      this.pass = this.tick()
        .catch((error: unknown) => {
          if (bus?.wants('durable.poll_failed')) bus.emit({ type: 'durable.poll_failed', owner, error });
        })
        .finally(() => {
          this.pass = undefined;
          if (!stopped && !isClosed()) this.timer = clock.setTimer(pollMs, loop);
        });
    };
    loop();
    return disposable(() => {
      stopped = true;
      this.timer?.cancel();
    });
  }

  /** One pass. */
  async tick(): Promise<void> {
    const { store, definitions, active, deadLetters, compact, isClosed } = this.parts;
    if (isClosed()) return;
    await this.recover();
    if (active.size > 0) {
      for (const run of await store.listRuns({ status: 'running' })) {
        if (run.request === 'cancel' && active.has(run.id)) active.cancel(run.id, 'cancel requested');
      }
    }
    for (const letter of await store.listDeadLetters({ status: 'replay_requested' })) {
      if (letter.runId !== undefined && definitions.has(letter.source)) await deadLetters.replay(letter.id).catch(() => undefined);
    }
    if (compact !== undefined) await compact();
  }

  /** Cancel the next pass (the host is closing: a pass under way arms none). */
  stop(): void {
    this.timer?.cancel();
  }

  /** The pass under way, if any. */
  get passUnderWay(): Promise<void> | undefined {
    return this.pass;
  }
}
