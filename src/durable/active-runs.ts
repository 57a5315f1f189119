/**
 * The runs executing in this process: for each, the owner epoch its claim took (what lease
 * renewals are fenced by), the controller that stops it, and its outcome. One entry per run id;
 * the entry leaves when its execution settles, unless a newer execution of the run replaced it.
 *
 * Stopping is by aborting the run's signal: with a `RunCancelledError` the run records itself
 * `cancelled` at its next step; with an `Interruption` it stops without recording anything.
 */
import { RunCancelledError } from './errors.ts';
import type { RunHandle, RunOutcome } from './run-outcome.ts';
import { Interruption } from './run-stop.ts';

interface ActiveRun {
  readonly epoch: number;
  readonly controller: AbortController;
  readonly result: Promise<RunOutcome>;
}

export class ActiveRuns {
  private readonly runs = new Map<string, ActiveRun>();

  get size(): number {
    return this.runs.size;
  }

  ids(): readonly string[] {
    return [...this.runs.keys()];
  }

  has(id: string): boolean {
    return this.runs.has(id);
  }

  /** The handle of the run if it executes here. */
  handle(id: string): RunHandle | undefined {
    const run = this.runs.get(id);
    return run === undefined ? undefined : { id, result: run.result };
  }

  /**
   * Execute a run claimed at `epoch`: `execute` starts at once; the handle's result is its
   * outcome, or `interrupted` (with the message) if it throws.
   */
  track(id: string, epoch: number, execute: (controller: AbortController) => Promise<RunOutcome>): RunHandle {
    const controller = new AbortController();
    let settle!: (o: RunOutcome) => void;
    const result = new Promise<RunOutcome>((resolve) => (settle = resolve));
    this.runs.set(id, { epoch, controller, result });
    void execute(controller)
      .then(settle, (e: unknown) => settle({ status: 'interrupted', runId: id, why: e instanceof Error ? e.message : String(e) }))
      .finally(() => {
        if (this.runs.get(id)?.controller === controller) this.runs.delete(id);
      });
    return { id, result };
  }

  /** Each run with the epoch it holds, for a lease renewal. */
  leases(): { id: string; epoch: number }[] {
    return [...this.runs].map(([id, r]) => ({ id, epoch: r.epoch }));
  }

  /** Cancel the run if it executes here: it records itself `cancelled` at its next step. */
  cancel(id: string, reason: string): void {
    this.runs.get(id)?.controller.abort(new RunCancelledError(id, reason));
  }

  /** Stop every run at its next step without recording anything (outcome `interrupted`). */
  interruptAll(why: string): void {
    for (const [, run] of this.runs) run.controller.abort(new Interruption(why));
  }

  /** Resolves once every run executing now has settled. */
  async settled(): Promise<void> {
    await Promise.all([...this.runs.values()].map((r) => r.result));
  }
}
