/**
 * Recording how a run's execution ended (see run-outcome.ts for the outcomes). Every record is
 * fenced twice, by the process `fence` and by the store's epoch check, so a superseded
 * incarnation records nothing: it emits `run.fenced` and ends `interrupted`. So does an
 * `Interruption` (the host is closing), and so does a full disk (`JournalFullError`: there is no
 * room to record anything; the run stays `running` and resumes once there is).
 *
 * A failure is recorded, then put in the dead-letter queue (with the run's input, trace id and
 * the failed step's attempts) unless `deadLetterOnFailure` is false. A suspension for an approval
 * checks the approval once more after it is recorded: a decision made between the request and
 * the suspension found the run still running, so the store left no resume request for it (the
 * decider checks the run after its own commit as well, see approvals.ts).
 */
import { isWardenError, type Clock, type EventBus, type Fence } from '../runtime/index.ts';
import type { ApprovalStore, Json, RunRecord, RunStore } from '../store/index.ts';
import type { DeadLetterQueue } from './dead-letters.ts';
import { NotSerializableError, RunCancelledError, StepFailedError } from './errors.ts';
import { toJournalJson } from './json.ts';
import type { RunContext } from './run-context.ts';
import type { RunOutcome } from './run-outcome.ts';
import { Interruption, Suspension } from './run-stop.ts';
import { toStoredError } from './stored-error.ts';

export interface OutcomeRecorderParts {
  readonly store: RunStore & ApprovalStore;
  readonly clock: Clock;
  readonly bus: EventBus | undefined;
  readonly fence: Fence;
  readonly deadLetters: DeadLetterQueue;
  readonly deadLetterOnFailure: boolean;
}

export class OutcomeRecorder {
  private readonly parts: OutcomeRecorderParts;

  constructor(parts: OutcomeRecorderParts) {
    this.parts = parts;
  }

  /** Record that `run` returned `output`; if that cannot be recorded (not JSON, fenced, ...), record that as {@link ended} does. */
  async completed(run: RunRecord, ctx: RunContext, output: unknown): Promise<RunOutcome> {
    const { store, clock, bus, fence } = this.parts;
    const id = run.id;
    try {
      const j = toJournalJson(output);
      if ('problem' in j) throw new NotSerializableError(id, 'the run output', j.problem.path, j.problem.why);
      const stored = j.json === undefined ? undefined : (JSON.parse(j.json) as Json);
      fence.check(`record completion of run ${id}`);
      await store.finishRun(id, ctx.epoch, { status: 'completed', output: stored }, clock.now());
      if (bus?.wants('run.completed')) bus.emit({ type: 'run.completed', runId: id, name: run.name });
      return { status: 'completed', runId: id, output: stored };
    } catch (e) {
      return this.ended(run, ctx, e);
    }
  }

  /** Record how a run that did not complete ended: `reason` is what its code threw, or what stopped it. */
  async ended(run: RunRecord, ctx: RunContext, reason: unknown): Promise<RunOutcome> {
    const { store, clock, bus, fence } = this.parts;
    const id = run.id;
    const now = clock.now();
    try {
      if (reason instanceof Interruption) return { status: 'interrupted', runId: id, why: reason.why };
      if (isWardenError(reason, 'JOURNAL_FULL')) return { status: 'interrupted', runId: id, why: (reason as Error).message };
      if (isWardenError(reason, 'FENCED')) {
        this.emitFenced(id, ctx.epoch, reason);
        return { status: 'interrupted', runId: id, why: (reason as Error).message };
      }
      fence.check(`record the end of run ${id}`);
      if (reason instanceof Suspension) {
        await store.finishRun(id, ctx.epoch, { status: 'suspended', reason: reason.reason, detail: reason.detail }, now);
        if (bus?.wants('run.suspended')) bus.emit({ type: 'run.suspended', runId: id, reason: reason.reason, detail: reason.detail });
        // Best effort: the suspension is recorded whatever this finds (a failed read leaves the run waiting for the next decision).
        if (reason.reason === 'approval') await this.resumeIfDecidedMeanwhile(id, reason.detail).catch(() => {});
        return { status: 'suspended', runId: id, reason: reason.reason, detail: reason.detail };
      }
      if (reason instanceof RunCancelledError) {
        const why = reason.message;
        await store.finishRun(id, ctx.epoch, { status: 'cancelled', error: toStoredError(reason) }, now);
        if (bus?.wants('run.cancelled')) bus.emit({ type: 'run.cancelled', runId: id, reason: why });
        return { status: 'cancelled', runId: id, reason: why };
      }
      return await this.failed(run, ctx.epoch, reason, now);
    } catch (e) {
      if (isWardenError(e, 'FENCED')) this.emitFenced(id, ctx.epoch, e);
      return { status: 'interrupted', runId: id, why: e instanceof Error ? e.message : String(e) };
    }
  }

  private async failed(run: RunRecord, epoch: number, reason: unknown, now: number): Promise<RunOutcome> {
    const { store, bus } = this.parts;
    const error = toStoredError(reason);
    await store.finishRun(run.id, epoch, { status: 'failed', error }, now);
    let deadLetterId: string | undefined;
    if (this.parts.deadLetterOnFailure) {
      const letter = await this.parts.deadLetters.add({
        source: run.name,
        runId: run.id,
        input: run.input,
        error,
        attempts: reason instanceof StepFailedError ? reason.attempts : [],
        traceId: run.traceId,
      });
      deadLetterId = letter.id;
    }
    if (bus?.wants('run.failed')) bus.emit({ type: 'run.failed', runId: run.id, name: run.name, error });
    return { status: 'failed', runId: run.id, error, ...(deadLetterId === undefined ? {} : { deadLetterId }) };
  }

  private emitFenced(runId: string, epoch: number, error: unknown): void {
    const bus = this.parts.bus;
    if (bus?.wants('run.fenced')) bus.emit({ type: 'run.fenced', runId, epoch, operation: (error as { operation?: string }).operation ?? 'write' });
  }

  /**
   * A decision made between the run asking for an approval and the run being recorded as
   * suspended found the run still running, so the store left no resume request: leave it now (a
   * decision made after the suspension leaves its own; asking twice is harmless).
   */
  private async resumeIfDecidedMeanwhile(runId: string, detail: unknown): Promise<void> {
    const { store, clock } = this.parts;
    const approvalId = (detail as { approvalId?: unknown } | null)?.approvalId;
    if (typeof approvalId !== 'string') return;
    const approval = await store.getApproval(approvalId);
    if (approval !== undefined && approval.status !== 'pending') await store.requestRun(runId, 'resume', clock.now());
  }
}
