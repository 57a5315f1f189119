/**
 * Executing one claimed run in this process: read its journal (a run that failed at a step is
 * retried from that step: the step's journaled failure is dropped first), emit `run.started`
 * (first execution) or `run.resumed` (any later one), call the run's code with a
 * {@link RunContext} that replays the journal, and hand what happened to the outcome recorder.
 * Whatever stopped the run inside its code (a suspension, a cancellation, a fence) wins over
 * what the code did with it afterwards: run code that catches it cannot carry on.
 */
import type { Clock, EventBus, Fence } from '../runtime/index.ts';
import type { RunRecord, Store } from '../store/index.ts';
import type { ApprovalPolicy } from './approval-policy.ts';
import type { RunDefinition } from './definition.ts';
import type { OutcomeRecorder } from './outcome-recorder.ts';
import { RunContext } from './run-context.ts';
import type { RunOutcome } from './run-outcome.ts';

export interface RunExecutorParts {
  readonly store: Store;
  readonly clock: Clock;
  readonly bus: EventBus | undefined;
  readonly fence: Fence;
  readonly policies: readonly ApprovalPolicy[];
  readonly recorder: OutcomeRecorder;
}

export class RunExecutor {
  private readonly parts: RunExecutorParts;

  constructor(parts: RunExecutorParts) {
    this.parts = parts;
  }

  /** Execute `claimed` (the run as the claim returned it; `before` as it was read before the claim) until it ends. */
  async execute(claimed: RunRecord, before: RunRecord, def: RunDefinition<unknown, unknown>, controller: AbortController): Promise<RunOutcome> {
    const { store, clock, bus, fence, policies, recorder } = this.parts;
    const id = claimed.id;
    const epoch = claimed.epoch;
    let journal = await store.readJournal(id);
    const last = journal[journal.length - 1];
    if (before.status === 'failed' && last !== undefined && last.outcome === 'error') {
      // Retry a failed run from its failed step: drop that step's journaled failure.
      await store.truncateJournal(id, epoch, last.seq);
      journal = journal.slice(0, -1);
    }
    if (bus !== undefined) {
      if (epoch === 1 && journal.length === 0) {
        if (bus.wants('run.started')) {
          const letter = claimed.replayOf === undefined ? undefined : await store.getDeadLetter(claimed.replayOf);
          const replayOf = letter === undefined ? {} : { replayOf: { letterId: letter.id, traceId: letter.traceId, runId: letter.runId } };
          bus.emit({ type: 'run.started', runId: id, name: def.name, traceId: claimed.traceId, ...replayOf });
        }
      } else if (bus.wants('run.resumed')) {
        // Steps only: notes (negative sequence numbers) are not replayed.
        const journaled = journal.filter((e) => e.seq >= 0).length;
        bus.emit({ type: 'run.resumed', runId: id, name: def.name, traceId: claimed.traceId, epoch, journaled });
      }
    }
    const ctx = new RunContext(
      { store, clock, bus, fence, policies, runId: id, runName: def.name, traceId: claimed.traceId, epoch, signal: controller.signal },
      journal,
    );
    let output: unknown;
    try {
      output = await def.fn(ctx, claimed.input);
      if (ctx.stopped !== undefined) throw ctx.stopped;
    } catch (e) {
      return recorder.ended(claimed, ctx, ctx.stopped ?? e);
    }
    return recorder.completed(claimed, ctx, output);
  }
}
