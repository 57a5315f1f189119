/**
 * What a step or effect is given and how it is configured: the context its function receives
 * (the run's signal, the attempt number and, for an effect, its idempotency key), and the
 * options of `run.step` and `run.effect` (retries, approval, reconciliation) with their
 * defaults. A step given `reconcile` is recorded intent → done like an effect, so a crash while
 * it ran is reconciled on resume instead of running it again.
 */
import type { Policy } from '../resilience/index.ts';
import type { Json } from '../store/index.ts';

/** What a step's function receives. */
export interface StepContext {
  /** Aborted when the run is cancelled (or a retry policy gives up on the attempt). */
  readonly signal: AbortSignal;
  /** 1 on the first attempt. */
  readonly attempt: number;
}

/** What an effect's function receives. */
export interface EffectContext extends StepContext {
  /** Stable across attempts, crashes and resumes: forward it to the service (an `Idempotency-Key` header). */
  readonly idempotencyKey: string;
}

export interface StepOptions {
  /** Retry policy for the attempts (e.g. `new Retry({ maxAttempts: 3 })`); each attempt is recorded. @default none */
  readonly retry?: Pick<Policy, 'execute'>;
  /** Needs approval before it runs. @default false */
  readonly irreversible?: boolean;
  /** For approval policies: the tool it calls. */
  readonly tool?: string;
  /** For approval policies (and shown to the approver): its arguments. */
  readonly args?: Json;
  /** For approval policies: its estimated cost, USD. */
  readonly costUsd?: number;
  /**
   * For a step that is not idempotent: record its intent before it runs, and if a crash loses
   * its outcome, ask this what happened on resume instead of running it again. `{ done: true,
   * value }` journals `value` as the step's result; `{ done: false }` runs it again. Without it
   * (the default) a step interrupted by a crash simply runs again: at least once.
   */
  readonly reconcile?: (info: ReconcileInfo) => Promise<ReconcileResult> | ReconcileResult;
}

export type ReconcileResult = { readonly done: true; readonly value?: unknown } | { readonly done: false };

/** What a `reconcile` function is asked about: the step or effect whose outcome a crash lost. */
export interface ReconcileInfo {
  /** The effect's idempotency key; for a step, `${runId}:${seq}:${name}`, stable across resumes. */
  readonly idempotencyKey: string;
  readonly name: string;
  /** The `args` option it was given. */
  readonly args: Json | undefined;
}

export interface EffectOptions extends StepOptions {
  /** The idempotency key. @default `${runId}:${seq}:${name}` (unique per run and position) */
  readonly idempotencyKey?: string;
  /**
   * Decide an uncertain effect (intent recorded, outcome lost in a crash): ask the service
   * whether the key was done. `{ done: false }` lets the effect run again, with the same key.
   * Without it, an uncertain effect suspends the run (`uncertain_effect`).
   */
  readonly reconcile?: (info: ReconcileInfo) => Promise<ReconcileResult> | ReconcileResult;
}
