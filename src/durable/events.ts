/**
 * The durable layer's events, on the one stream. Each is emitted after the state change it
 * reports is durable (for example `run.step_completed` once the journal entry is committed).
 */
import type { StoredError } from '../store/index.ts';

declare module '../runtime/index.ts' {
  interface WardenEventMap {
    /**
     * A run began executing for the first time. A replay of a dead letter names the letter, and
     * the run and trace it came from (`replayOf`), so a trace can link the two.
     */
    'run.started': {
      readonly runId: string;
      readonly name: string;
      readonly traceId: string;
      readonly replayOf?: { readonly letterId: string; readonly traceId: string; readonly runId: string | undefined };
    };
    /** A run was claimed again (after a crash, a suspension or a retry) and is replaying its journal; it keeps its `traceId`. */
    'run.resumed': { readonly runId: string; readonly name: string; readonly traceId: string; readonly epoch: number; readonly journaled: number };
    /** A step or effect is about to run for the first time (not emitted when its outcome is replayed). */
    'run.step_started': { readonly runId: string; readonly step: string; readonly seq: number; readonly kind: 'step' | 'effect' };
    /** An attempt of a step or effect that has a `retry` policy begins (`attempt` from 1). */
    'run.step_attempt': { readonly runId: string; readonly step: string; readonly seq: number; readonly attempt: number };
    /** That attempt failed; the policy decides whether another follows. */
    'run.step_attempt_failed': { readonly runId: string; readonly step: string; readonly seq: number; readonly attempt: number; readonly error: StoredError };
    'run.step_completed': {
      readonly runId: string;
      readonly step: string;
      readonly seq: number;
      readonly kind: 'step' | 'effect';
      readonly outcome: 'ok' | 'error';
    };
    /** A step's result came from the journal; the step did not run. */
    'run.step_replayed': { readonly runId: string; readonly step: string; readonly seq: number };
    'run.suspended': { readonly runId: string; readonly reason: string; readonly detail: unknown };
    'run.completed': { readonly runId: string; readonly name: string };
    'run.failed': { readonly runId: string; readonly name: string; readonly error: StoredError };
    'run.cancelled': { readonly runId: string; readonly reason: string };
    /**
     * A run was taken over before its lease expired (`leaseExpiresAt`), because the process that
     * held it (`pid`, on this machine, under owner `from`) is gone.
     */
    'run.taken_over': { readonly runId: string; readonly from: string; readonly pid: number; readonly leaseExpiresAt: number };
    /** A write for the run was refused: this incarnation was superseded (or its process fence is gone). */
    'run.fenced': { readonly runId: string; readonly epoch: number; readonly operation: string };
    'effect.intent': { readonly runId: string; readonly effect: string; readonly key: string };
    'effect.done': { readonly runId: string; readonly effect: string; readonly key: string };
    /** An effect's intent was recorded but not its outcome (a crash in between). */
    'effect.uncertain': { readonly runId: string; readonly effect: string; readonly key: string; readonly reconciled: 'done' | 'not_done' | 'escalated' };
    /** A step with `reconcile` is about to run: its intent is recorded. */
    'step.intent': { readonly runId: string; readonly step: string; readonly seq: number; readonly key: string };
    /** A step with `reconcile` was started but its outcome was lost in a crash; `reconcile` said what happened. */
    'step.uncertain': { readonly runId: string; readonly step: string; readonly seq: number; readonly key: string; readonly reconciled: 'done' | 'not_done' };
    'dlq.added': { readonly id: string; readonly source: string; readonly runId: string | undefined };
    'dlq.replayed': { readonly id: string; readonly runId: string | undefined };
    'dlq.discarded': { readonly id: string };
    'approval.requested': { readonly approvalId: string; readonly runId: string; readonly action: string; readonly reason: string };
    'approval.decided': { readonly approvalId: string; readonly runId: string; readonly decision: 'approved' | 'denied'; readonly by: string };
    /** A background pass of `serve()` failed (the store was unreachable, ...); it is tried again next poll. */
    'durable.poll_failed': { readonly owner: string; readonly error: unknown };
    /** A host's snapshot could not be published (the store was unreachable, ...); it is tried again next interval. */
    'host.snapshot_failed': { readonly host: string; readonly error: unknown };
  }
}
