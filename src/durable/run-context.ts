/**
 * The `run` object a durable run function receives: `run.step(name, fn)` and
 * `run.effect(name, fn)`. Every step and effect takes the next sequence number; its outcome is
 * journaled under (run, sequence) before the call returns, and on a resumed run a journaled
 * outcome is returned (or its failure thrown again) without running anything. The journal is
 * checked by name at every position: asking for a different step than the journal holds there
 * is a `NonDeterminismError`, never silent divergence.
 *
 * Effects are recorded intent → done. A done effect is never repeated. An effect whose intent
 * was recorded but whose outcome was not (the process died in between) is *uncertain*: it goes
 * to the effect's `reconcile` function, or, without one, the run suspends with reason
 * `uncertain_effect` until a person says what happened. It is never blindly retried.
 *
 * A step runs again if a crash interrupts it (at least once), unless it is given `reconcile`:
 * then it is recorded intent → done like an effect, and one interrupted by a crash goes to its
 * `reconcile` on resume (done: its value is journaled; not done: it runs again).
 *
 * Once something ends the run (a suspension, a cancellation, a fence, a journal write refused
 * because the store's disk is full: `JournalFullError`), every later call throws the same thing
 * again, so run code that catches it cannot carry on writing.
 *
 * Notes (`run.note(name, value)`) are records kept beside the steps, journaled at negative
 * sequence numbers, outside the step order: never replayed, they do not move the sequence, and
 * they survive what drops steps (a failed step's retry truncates the journal from that step on)
 * and a crash after them; every later execution reads them back in `run.notes`. They are for
 * facts a step that never completed must not take with it, such as the money a model call was
 * paid before its step failed or the process died.
 *
 * Before a step or effect first runs it passes the approval gate (approval-gate.ts). The options
 * and what a step's function receives are in step-options.ts; what a suspension and an
 * interruption are, in run-stop.ts; how a journaled failure is thrown again, in stored-error.ts.
 */
import type { Clock, EventBus, Fence } from '../runtime/index.ts';
import { InvalidSpecError, isWardenError } from '../runtime/index.ts';
import { raceAbort } from '../runtime/internal.ts';
import type { Attempt, JournalEntry, JournalKind, Json, Store, StoredError } from '../store/index.ts';
import { approvalNeeded, approvalOf } from './approval-gate.ts';
import type { ApprovalPolicy } from './approval-policy.ts';
import { ApprovalDeniedError, JournalFullError, NonDeterminismError, NotSerializableError, StepFailedError } from './errors.ts';
import { fromJournalJson, toJournalJson } from './json.ts';
import { Suspension } from './run-stop.ts';
import type { EffectContext, EffectOptions, StepContext, StepOptions } from './step-options.ts';
import { errorFromJournal, toStoredError } from './stored-error.ts';

/** @hidden What the host gives a run context. */
export interface RunEnv {
  readonly store: Store;
  readonly clock: Clock;
  readonly bus: EventBus | undefined;
  readonly fence: Fence;
  readonly policies: readonly ApprovalPolicy[];
  readonly runId: string;
  readonly runName: string;
  readonly traceId: string;
  readonly epoch: number;
  readonly signal: AbortSignal;
}

const STEP_NAME = /^[^\s].{0,199}$/s;

/** A note an execution of the run kept (see the module comment). */
export interface RunNote {
  readonly name: string;
  readonly value: unknown;
  readonly at: number;
}

export class RunContext {
  /** The run's id. */
  readonly id: string;
  /** The run definition's name. */
  readonly name: string;
  readonly traceId: string;
  /** The owner epoch this execution holds. */
  readonly epoch: number;
  /** Aborted when the run is cancelled. */
  readonly signal: AbortSignal;
  private readonly env: RunEnv;
  private readonly journal: Map<number, JournalEntry>;
  private readonly lastJournaled: number;
  private seq = 0;
  private readonly kept: readonly RunNote[];
  /** Where the next note goes: below every note journaled so far. */
  private nextNote: number;
  /** What ended the run, thrown again by every later call. */
  stopped: unknown = undefined;

  constructor(env: RunEnv, journal: readonly JournalEntry[]) {
    this.env = env;
    this.id = env.runId;
    this.name = env.runName;
    this.traceId = env.traceId;
    this.epoch = env.epoch;
    this.signal = env.signal;
    const steps = journal.filter((e) => e.seq >= 0);
    const notes = journal.filter((e) => e.seq < 0);
    this.journal = new Map(steps.map((e) => [e.seq, e]));
    this.lastJournaled = steps.length === 0 ? -1 : steps[steps.length - 1]!.seq;
    this.kept = notes.map((e) => ({ name: e.name, value: fromJournalJson(e.valueJson), at: e.at }));
    this.nextNote = Math.min(0, ...notes.map((e) => e.seq)) - 1;
  }

  /** The notes earlier executions of this run kept, oldest first (not those of this execution). */
  get notes(): readonly RunNote[] {
    return this.kept;
  }

  /**
   * Journal a note beside the steps (see the module comment): resolves once it is durable. The
   * value must be JSON data. Not refused once the run is stopping: what it records happened.
   */
  async note(name: string, value: unknown): Promise<void> {
    this.checkName('note', name);
    const j = toJournalJson(value);
    if ('problem' in j) throw new NotSerializableError(this.id, `note "${name}"`, j.problem.path, j.problem.why);
    const seq = this.nextNote--;
    await this.write(
      { runId: this.id, seq, name, kind: 'step', outcome: 'ok', ...(j.json === undefined ? {} : { valueJson: j.json }), at: this.env.clock.now() },
      undefined,
    );
  }

  /** True while the run is replaying journaled steps (the next call's outcome is in the journal). */
  get isReplaying(): boolean {
    return this.seq <= this.lastJournaled;
  }

  /**
   * Run `fn` once, durably: its result is journaled before this resolves, and returned from the
   * journal (without running `fn`) when the run is resumed. The result must be JSON data.
   * A failure (after `retry`, if given) is journaled too and thrown as `StepFailedError`.
   */
  async step<T>(name: string, fn: (ctx: StepContext) => T | PromiseLike<T>, options: StepOptions = {}): Promise<T> {
    this.checkName('step', name);
    this.gate();
    const seq = this.seq++;
    const entry = this.journal.get(seq);
    if (entry !== undefined) return this.replay(entry, 'step', name) as T;
    const call = (attempt: number, signal: AbortSignal): T | PromiseLike<T> => fn({ signal, attempt });
    if (options.reconcile !== undefined) return this.reconciledStep(seq, name, options, call) as Promise<T>;
    await this.approve('step', name, seq, options);
    return this.execute(seq, 'step', name, options, call, undefined) as Promise<T>;
  }

  /**
   * Perform a side effect at most once, with an idempotency key: intent is recorded before `fn`
   * runs and done (with the result) after. On resume a done effect returns its journaled result;
   * an uncertain one is reconciled or escalated, never blindly repeated.
   */
  async effect<T>(name: string, fn: (ctx: EffectContext) => T | PromiseLike<T>, options: EffectOptions = {}): Promise<T> {
    this.checkName('effect', name);
    this.gate();
    const seq = this.seq++;
    const key = options.idempotencyKey ?? `${this.id}:${seq}:${name}`;
    if (typeof key !== 'string' || key === '') throw new InvalidSpecError(`effect "${name}"`, 'idempotencyKey', key, 'must be a non-empty string');
    const entry = this.journal.get(seq);
    if (entry !== undefined) return this.replay(entry, 'effect', name) as T;
    const call = (attempt: number, signal: AbortSignal): T | PromiseLike<T> => fn({ idempotencyKey: key, signal, attempt });
    const existing = await this.env.store.getEffect(key);
    if (existing !== undefined && existing.runId !== this.id) {
      throw new InvalidSpecError(`effect "${name}"`, 'idempotencyKey', key, `is already used by run ${existing.runId}; keys must be unique across runs`);
    }
    if (existing !== undefined && existing.seq !== seq) {
      throw this.halt(new NonDeterminismError(this.id, seq, `effect "${existing.name}" at position ${existing.seq}`, `effect "${name}"`));
    }
    if (existing?.status === 'done') {
      // Resolved as done from outside (a person checked): journal it without a value.
      await this.write({ runId: this.id, seq, name, kind: 'effect', outcome: 'ok', at: this.env.clock.now() }, key);
      this.emitDone(name, seq, key);
      return undefined as T;
    }
    if (existing?.status === 'intent') {
      if (options.reconcile === undefined) {
        this.emit({ type: 'effect.uncertain', runId: this.id, effect: name, key, reconciled: 'escalated' });
        throw this.suspend('uncertain_effect', { effect: name, key, seq });
      }
      const verdict = await options.reconcile({ idempotencyKey: key, name, args: options.args });
      this.gate();
      if (verdict.done) {
        this.emit({ type: 'effect.uncertain', runId: this.id, effect: name, key, reconciled: 'done' });
        return this.record(seq, 'effect', name, verdict.value, key) as T;
      }
      this.emit({ type: 'effect.uncertain', runId: this.id, effect: name, key, reconciled: 'not_done' });
      return this.execute(seq, 'effect', name, options, call, key) as Promise<T>;
    }
    await this.approve('effect', name, seq, options);
    this.env.fence.check(`record intent of effect "${name}" in run ${this.id}`);
    try {
      await this.env.store.recordEffectIntent(
        { key, runId: this.id, seq, name, intentAt: this.env.clock.now(), ...(options.args === undefined ? {} : { input: options.args }) },
        this.epoch,
      );
    } catch (e) {
      throw this.journalFailure(e, `the intent of effect "${name}"`, seq);
    }
    this.emit({ type: 'effect.intent', runId: this.id, effect: name, key });
    return this.execute(seq, 'effect', name, options, call, key) as Promise<T>;
  }

  /**
   * A step with `reconcile`: its intent is recorded (with the effects, under the key
   * `${runId}:${seq}:${name}`) before it first runs and marked done with its journaled outcome.
   * On resume, an intent without an outcome (a crash while it ran) goes to `reconcile`: done
   * journals the value it gives, not done runs the step again.
   */
  private async reconciledStep(seq: number, name: string, options: StepOptions, call: (attempt: number, signal: AbortSignal) => unknown): Promise<unknown> {
    const reconcile = options.reconcile;
    if (typeof reconcile !== 'function') throw new InvalidSpecError(`step "${name}"`, 'reconcile', reconcile, 'must be a function');
    const key = `${this.id}:${seq}:${name}`;
    const existing = await this.env.store.getEffect(key);
    if (existing !== undefined && existing.status !== 'not_done') {
      // Started before, outcome not journaled: ask what happened.
      const verdict = await reconcile({ idempotencyKey: key, name, args: options.args });
      this.gate();
      if (verdict.done) {
        this.emit({ type: 'step.uncertain', runId: this.id, step: name, seq, key, reconciled: 'done' });
        return this.record(seq, 'step', name, verdict.value, key);
      }
      this.emit({ type: 'step.uncertain', runId: this.id, step: name, seq, key, reconciled: 'not_done' });
      return this.execute(seq, 'step', name, options, call, key);
    }
    await this.approve('step', name, seq, options);
    this.env.fence.check(`record intent of step "${name}" in run ${this.id}`);
    try {
      await this.env.store.recordEffectIntent(
        { key, runId: this.id, seq, name, intentAt: this.env.clock.now(), ...(options.args === undefined ? {} : { input: options.args }) },
        this.epoch,
      );
    } catch (e) {
      throw this.journalFailure(e, `the intent of step "${name}"`, seq);
    }
    this.emit({ type: 'step.intent', runId: this.id, step: name, seq, key });
    return this.execute(seq, 'step', name, options, call, key);
  }

  /** The clock's time, journaled: the same value on every replay. */
  now(): Promise<number> {
    return this.step('warden:now', () => this.env.clock.now());
  }

  // ---- internals

  private checkName(kind: string, name: string): void {
    if (typeof name !== 'string' || !STEP_NAME.test(name)) {
      throw new InvalidSpecError(`run ${this.id}`, `${kind} name`, name, 'must be a non-empty string of at most 200 characters, not starting with a space');
    }
  }

  /** Throw whatever ended the run, or the cancellation. */
  private gate(): void {
    if (this.stopped !== undefined) throw this.stopped;
    if (this.signal.aborted) throw this.halt(this.signal.reason);
  }

  private halt(reason: unknown): unknown {
    if (this.stopped === undefined) this.stopped = reason;
    return reason;
  }

  private suspend(reason: string, detail: Json): Suspension {
    return this.halt(new Suspension(reason, detail)) as Suspension;
  }

  private emit(event: Parameters<EventBus['emit']>[0]): void {
    if (this.env.bus?.wants(event.type)) this.env.bus.emit(event);
  }

  private emitDone(name: string, seq: number, key: string): void {
    this.emit({ type: 'run.step_completed', runId: this.id, step: name, seq, kind: 'effect', outcome: 'ok' });
    this.emit({ type: 'effect.done', runId: this.id, effect: name, key });
  }

  private replay(entry: JournalEntry, kind: 'step' | 'effect', name: string): unknown {
    if (entry.kind !== kind || entry.name !== name) {
      throw this.halt(new NonDeterminismError(this.id, entry.seq, `${entry.kind} "${entry.name}"`, `${kind} "${name}"`));
    }
    this.emit({ type: 'run.step_replayed', runId: this.id, step: name, seq: entry.seq });
    if (entry.outcome === 'error') throw errorFromJournal(this.id, name, entry.seq, entry.error ?? { name: 'Error', message: 'failed' });
    return fromJournalJson(entry.valueJson);
  }

  private async write(entry: JournalEntry, effectDone: string | undefined): Promise<void> {
    this.env.fence.check(`journal ${entry.kind} "${entry.name}" of run ${this.id}`);
    try {
      await this.env.store.appendJournal(entry, this.epoch, effectDone);
    } catch (e) {
      throw this.journalFailure(e, `the ${entry.outcome === 'error' ? 'failure' : 'outcome'} of ${entry.kind} "${entry.name}"`, entry.seq);
    }
  }

  /** A journal write that failed: a full disk ends the run here (`JournalFullError`); anything else is thrown as it is. */
  private journalFailure(e: unknown, what: string, seq: number): unknown {
    return isWardenError(e, 'STORE_FULL') ? this.halt(new JournalFullError(this.id, what, seq, e)) : e;
  }

  /** Journal a result (or, if it cannot be journaled, the error saying so) and return it as replay would. */
  private async record(seq: number, kind: 'step' | 'effect', name: string, value: unknown, effectKey: string | undefined): Promise<unknown> {
    const j = toJournalJson(value);
    const at = this.env.clock.now();
    if ('problem' in j) {
      const error = new NotSerializableError(this.id, `${kind} "${name}"`, j.problem.path, j.problem.why);
      await this.write({ runId: this.id, seq, name, kind, outcome: 'error', error: toStoredError(error), at }, effectKey);
      this.emit({ type: 'run.step_completed', runId: this.id, step: name, seq, kind, outcome: 'error' });
      throw error;
    }
    await this.write({ runId: this.id, seq, name, kind, outcome: 'ok', ...(j.json === undefined ? {} : { valueJson: j.json }), at }, effectKey);
    if (effectKey !== undefined && kind === 'effect') this.emitDone(name, seq, effectKey);
    else this.emit({ type: 'run.step_completed', runId: this.id, step: name, seq, kind, outcome: 'ok' });
    return fromJournalJson(j.json);
  }

  private async execute(
    seq: number,
    kind: JournalKind & ('step' | 'effect'),
    name: string,
    options: StepOptions,
    call: (attempt: number, signal: AbortSignal) => unknown,
    effectKey: string | undefined,
  ): Promise<unknown> {
    const attempts: Attempt[] = [];
    let attempt = 0;
    const retried = options.retry !== undefined;
    const once = async (ctx?: { signal: AbortSignal }): Promise<unknown> => {
      attempt++;
      if (retried) this.emit({ type: 'run.step_attempt', runId: this.id, step: name, seq, attempt });
      try {
        // Stop waiting once the run is cancelled or its host closes, even if the step's code
        // ignores its signal (it may go on running; its result is never journaled).
        return await raceAbort(call(attempt, ctx?.signal ?? this.signal), this.signal);
      } catch (e) {
        const error = toStoredError(e);
        attempts.push({ attempt, at: this.env.clock.now(), error });
        if (retried) this.emit({ type: 'run.step_attempt_failed', runId: this.id, step: name, seq, attempt, error });
        throw e;
      }
    };
    this.emit({ type: 'run.step_started', runId: this.id, step: name, seq, kind });
    let value: unknown;
    try {
      value = options.retry === undefined ? await once() : await options.retry.execute(once, this.signal);
    } catch (e) {
      this.gate();
      const stored: StoredError = { ...toStoredError(e), attempts };
      await this.write({ runId: this.id, seq, name, kind, outcome: 'error', error: stored, at: this.env.clock.now() }, undefined);
      if (effectKey !== undefined) await this.env.store.resolveEffect(effectKey, 'not_done', this.env.clock.now());
      this.emit({ type: 'run.step_completed', runId: this.id, step: name, seq, kind, outcome: 'error' });
      throw new StepFailedError(this.id, name, seq, stored, attempts, { cause: e });
    }
    this.gate();
    return this.record(seq, kind, name, value, effectKey);
  }

  /** Pass the approval gate (approval-gate.ts): returns when the action may run. */
  private async approve(kind: 'step' | 'effect', name: string, seq: number, options: StepOptions): Promise<void> {
    const reason = approvalNeeded(this.env, kind, name, options);
    if (reason === undefined) return;
    const id = `${this.id}:${seq}`;
    const approval = await approvalOf(this.env, kind, name, seq, options, reason);
    if (approval.status === 'pending') throw this.suspend('approval', { approvalId: id, action: name, reason });
    if (approval.status === 'denied') {
      const error = new ApprovalDeniedError(this.id, id, name, approval.decidedBy ?? 'unknown', approval.decisionReason ?? '');
      await this.write({ runId: this.id, seq, name, kind, outcome: 'error', error: toStoredError(error), at: this.env.clock.now() }, undefined);
      this.emit({ type: 'run.step_completed', runId: this.id, step: name, seq, kind, outcome: 'error' });
      throw error;
    }
  }
}
