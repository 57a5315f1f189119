/**
 * Where an agent's steps are recorded. The loop asks for `step(name, fn)` and `effect(name, fn)`
 * and does not care which of two journals answers:
 * - the durable journal is a durable run's `RunContext`: every step is journaled in the store and
 *   replayed from it on resume, and notes (what a model call was paid) are kept beside the steps;
 * - the ephemeral journal runs everything directly and records nothing (`agent.run()`), for
 *   agents that need no resume; effects still get idempotency keys, and irreversible actions
 *   still need an approval (from the `approve` hook; without one, or when it says no, the action
 *   is refused with `NotApprovedError`, `APPROVAL_DENIED`, and the model is told).
 */
import type { EffectContext, EffectOptions, RunContext, RunNote, StepContext, StepOptions } from '../durable/index.ts';
import type { Json } from '../store/index.ts';
import { NotApprovedError } from './errors.ts';

export interface StepJournal {
  readonly runId: string;
  readonly durable: boolean;
  /** True while the next step's outcome comes from the journal (nothing is executed). */
  readonly isReplaying: boolean;
  step<T>(name: string, fn: (ctx: StepContext) => T | PromiseLike<T>, options?: StepOptions): Promise<T>;
  effect<T>(name: string, fn: (ctx: EffectContext) => T | PromiseLike<T>, options?: EffectOptions): Promise<T>;
  /** Notes earlier executions kept beside the steps (a durable run's `run.notes`; none otherwise). */
  readonly notes: readonly RunNote[];
  /** Keep a note beside the steps, durably for a durable run (`run.note`); nothing otherwise. */
  note(name: string, value: Json): Promise<void>;
}

/** A durable run's context as a journal. */
export function durableJournal(run: RunContext): StepJournal {
  return {
    runId: run.id,
    durable: true,
    get isReplaying() {
      return run.isReplaying;
    },
    step: (name, fn, options) => run.step(name, fn, options),
    effect: (name, fn, options) => run.effect(name, fn, options),
    notes: run.notes,
    note: (name, value) => run.note(name, value),
  };
}

/** What an irreversible action looks like to the `approve` hook of an ephemeral run. */
export interface ApprovalRequest {
  readonly runId: string;
  readonly name: string;
  readonly tool: string | undefined;
  readonly args: unknown;
}

/** A journal that executes every step directly and keeps nothing. */
export function ephemeralJournal(
  runId: string,
  signal: AbortSignal,
  approve: ((request: ApprovalRequest) => boolean | PromiseLike<boolean>) | undefined,
): StepJournal {
  let seq = 0;
  const attempt = async <T>(fn: (ctx: EffectContext) => T | PromiseLike<T>, key: string, options: StepOptions | undefined): Promise<T> => {
    let attempts = 0;
    const once = async (ctx?: { signal: AbortSignal }): Promise<T> => fn({ signal: ctx?.signal ?? signal, attempt: ++attempts, idempotencyKey: key });
    return options?.retry === undefined ? once() : options.retry.execute(once, signal);
  };
  return {
    runId,
    durable: false,
    isReplaying: false,
    notes: [],
    note: async () => undefined,
    step: (name, fn, options) => attempt(fn, `${runId}:${seq++}:${name}`, options),
    async effect(name, fn, options) {
      const key = options?.idempotencyKey ?? `${runId}:${seq++}:${name}`;
      if (options?.irreversible === true) {
        if (approve === undefined) throw new NotApprovedError(runId, name, 'irreversible, and this run has no approve hook; run it durably or pass approve');
        const ok = await approve({ runId, name, tool: options.tool, args: options.args });
        if (!ok) throw new NotApprovedError(runId, name, 'the approve hook said no');
      }
      return attempt(fn, key, options);
    },
  };
}
