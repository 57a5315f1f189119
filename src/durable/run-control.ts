/**
 * What a person (through the API or the CLI) asks of a run from outside it: cancel it, or say
 * what happened to an uncertain effect. Each request is in the audit trail. A run executing in
 * another process is never written to from here: it gets a request in the store, which its
 * host picks up on its next poll.
 */
import type { Clock, EventBus } from '../runtime/index.ts';
import type { AuditStore, EffectStore, RunStore } from '../store/index.ts';
import type { ActiveRuns } from './active-runs.ts';
import { DurableStateError, RunCancelledError } from './errors.ts';
import { toStoredError } from './stored-error.ts';

export interface RunControlParts {
  readonly store: RunStore & EffectStore & AuditStore;
  readonly clock: Clock;
  readonly bus: EventBus | undefined;
  readonly active: ActiveRuns;
}

/**
 * Cancel a run: at its next step if it executes here; at once if no host is executing it
 * (suspended, failed, or its owner's lease expired); otherwise by leaving a cancel request for
 * the host that is. Resolves with what was done.
 */
export async function cancelRun(parts: RunControlParts, id: string, options: { reason?: string; by?: string }): Promise<'cancelled' | 'requested'> {
  const { store, clock, bus, active } = parts;
  const reason = options.reason ?? 'cancelled';
  const run = await store.getRun(id);
  if (run === undefined) throw new DurableStateError(`run ${id}`, 'no such run');
  if (run.status === 'completed' || run.status === 'cancelled') throw new DurableStateError(`run ${id}`, `it is already ${run.status}`);
  await store.appendAudit({ at: clock.now(), actor: options.by ?? 'api', action: 'run.cancel', subject: `run:${id}`, reason });
  if (active.has(id)) {
    active.cancel(id, reason);
    await active.handle(id)?.result;
    return 'cancelled';
  }
  const done = await store.cancelIdleRun(id, toStoredError(new RunCancelledError(id, reason)), clock.now());
  if (done !== undefined) {
    if (bus?.wants('run.cancelled')) bus.emit({ type: 'run.cancelled', runId: id, reason });
    return 'cancelled';
  }
  await store.requestRun(id, 'cancel', clock.now());
  return 'requested';
}

/**
 * Say what happened to an uncertain effect of `runId`: `done` (the run goes on without repeating
 * it) or `not_done` (it runs again, with the same idempotency key); then ask the run to resume.
 * Refused for an effect of another run, and for one that is not uncertain.
 */
export async function resolveUncertainEffect(
  parts: Pick<RunControlParts, 'store' | 'clock'>,
  runId: string,
  key: string,
  outcome: 'done' | 'not_done',
  options: { by?: string; reason?: string },
): Promise<void> {
  const { store, clock } = parts;
  const effect = await store.getEffect(key);
  if (effect === undefined || effect.runId !== runId) throw new DurableStateError(`effect ${key}`, `no such effect in run ${runId}`);
  if (!(await store.resolveEffect(key, outcome, clock.now()))) throw new DurableStateError(`effect ${key}`, `it is ${effect.status}, not uncertain`);
  await store.appendAudit({
    at: clock.now(),
    actor: options.by ?? 'api',
    action: `effect.${outcome}`,
    subject: `effect:${key}`,
    ...(options.reason === undefined ? {} : { reason: options.reason }),
  });
  await store.requestRun(runId, 'resume', clock.now());
}
