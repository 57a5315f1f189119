/**
 * The runs executing in a process: a handle resolves with the execution's outcome (or
 * `interrupted` when it throws), the entry leaves when it settles but not when an older
 * execution of the same run settles after a newer one replaced it, and stopping aborts the run's
 * signal with a cancellation or an interruption.
 */
import { describe, expect, it } from 'vitest';
import { isWardenError } from '../runtime/index.ts';
import { ActiveRuns } from './active-runs.ts';
import type { RunOutcome } from './run-outcome.ts';
import { Interruption } from './run-stop.ts';

/** An execution that ends when its signal aborts, with what aborted it. */
function untilAborted(id: string): (controller: AbortController) => Promise<RunOutcome> {
  return (controller) =>
    new Promise((resolve) =>
      controller.signal.addEventListener('abort', () => {
        const reason: unknown = controller.signal.reason;
        resolve(
          reason instanceof Interruption
            ? { status: 'interrupted', runId: id, why: reason.why }
            : { status: 'cancelled', runId: id, reason: (reason as Error).message },
        );
      }),
    );
}

describe('ActiveRuns', () => {
  it('resolves a handle with the outcome and forgets the run once it settled', async () => {
    const active = new ActiveRuns();
    const handle = active.track('r1', 3, async () => ({ status: 'completed', runId: 'r1', output: 42 }));
    expect(active.ids()).toEqual(['r1']);
    expect(active.leases()).toEqual([{ id: 'r1', epoch: 3 }]);
    expect(active.handle('r1')?.result).toBe(handle.result);
    expect(await handle.result).toEqual({ status: 'completed', runId: 'r1', output: 42 });
    await active.settled();
    await Promise.resolve();
    expect(active.has('r1')).toBe(false);
    expect(active.handle('r1')).toBeUndefined();
  });

  it('reports an execution that throws as interrupted, with its message, and never rejects', async () => {
    const active = new ActiveRuns();
    const handle = active.track('r1', 1, async () => {
      throw new Error('store unreachable');
    });
    expect(await handle.result).toEqual({ status: 'interrupted', runId: 'r1', why: 'store unreachable' });
  });

  it('keeps a newer execution of a run when an older one settles after it', async () => {
    const active = new ActiveRuns();
    let endOld!: () => void;
    const old = active.track('r1', 1, () => new Promise((resolve) => (endOld = () => resolve({ status: 'interrupted', runId: 'r1', why: 'fenced' }))));
    const newer = active.track('r1', 2, untilAborted('r1'));
    endOld();
    await old.result;
    await new Promise((r) => setImmediate(r));
    expect(active.leases()).toEqual([{ id: 'r1', epoch: 2 }]);
    expect(active.handle('r1')?.result).toBe(newer.result);
    active.interruptAll('done');
    await newer.result;
  });

  it('cancels one run with a RunCancelledError and interrupts all with an Interruption', async () => {
    const active = new ActiveRuns();
    const a = active.track('a', 1, untilAborted('a'));
    const b = active.track('b', 1, untilAborted('b'));
    const c = active.track('c', 1, untilAborted('c'));
    active.cancel('a', 'by hand');
    active.cancel('nothing-here', 'ignored');
    expect(await a.result).toEqual({ status: 'cancelled', runId: 'a', reason: 'run a was cancelled: by hand' });
    active.interruptAll('the host is closing');
    await active.settled();
    expect(await b.result).toEqual({ status: 'interrupted', runId: 'b', why: 'the host is closing' });
    expect(await c.result).toEqual({ status: 'interrupted', runId: 'c', why: 'the host is closing' });
  });

  it('aborts with an error a run can tell by its code', async () => {
    const active = new ActiveRuns();
    let reason: unknown;
    const h = active.track(
      'r1',
      1,
      (controller) =>
        new Promise((resolve) =>
          controller.signal.addEventListener('abort', () => ((reason = controller.signal.reason), resolve({ status: 'cancelled', runId: 'r1', reason: 'x' }))),
        ),
    );
    active.cancel('r1', 'stop');
    await h.result;
    expect(isWardenError(reason, 'RUN_CANCELLED')).toBe(true);
  });
});
