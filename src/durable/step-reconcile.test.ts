/**
 * Steps given `reconcile`, on both stores: the intent is recorded before the step runs and
 * marked done with its outcome; a step interrupted while it ran (its host closed mid-step, so its
 * outcome was never journaled) is not blindly run again on resume: `reconcile` says whether it
 * happened, and only a "not done" runs it again. Without `reconcile` nothing changes: the
 * interrupted step runs again (at least once) and nothing is recorded beside the journal.
 * The SIGKILL version is test/durable-step-reconcile.slow.test.ts.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { WardenEvent } from '../runtime/index.ts';
import { describeStores, startDurableHarness, waitFor, type DurableHarness } from '../testing/index.ts';
import { InvalidSpecError } from '../runtime/index.ts';
import { defineRun, StepFailedError, type ReconcileResult } from './index.ts';

describeStores(describe, 'steps with reconcile', (c) => {
  let bench: DurableHarness;
  let events: WardenEvent[];

  beforeEach(async () => {
    bench = await startDurableHarness({ store: c, startMs: 5_000, owner: 'worker-1' });
    ({ events } = bench);
  });
  afterEach(() => bench.close());

  /** A service that counts what it was asked to do: the step's side effect. */
  function ledger() {
    const charges: string[] = [];
    return { charges, charge: (order: string) => (charges.push(order), `receipt-${charges.length}`) };
  }

  /**
   * A run whose step charges, then hangs on its first execution until its host closes: the
   * charge happened, its outcome was never journaled. Resolves to the run's id.
   */
  async function interruptMidStep(def: Parameters<DurableHarness['host']>[0][number], started: () => boolean): Promise<string> {
    const first = bench.host([def]);
    const { id } = await first.start(def, 'order-7');
    await waitFor(started);
    await bench.closeHosts();
    return id;
  }

  const stepEvents = () => events.filter((e) => e.type.startsWith('step.') || e.type.startsWith('effect.')).map((e) => e.type);

  it('records the intent before the step runs and marks it done with the outcome', async () => {
    const svc = ledger();
    const def = defineRun('charge', async (run, order: string) => run.step('charge', () => svc.charge(order), { reconcile: () => ({ done: false }) }));
    const { id, result } = await bench.host([def]).start(def, 'order-1');
    expect(await result).toMatchObject({ status: 'completed', output: 'receipt-1' });
    expect(await bench.store.getEffect(`${id}:0:charge`)).toMatchObject({ status: 'done', runId: id, seq: 0, name: 'charge' });
    expect(stepEvents()).toEqual(['step.intent']);
    expect(events.find((e) => e.type === 'run.step_completed')).toMatchObject({ step: 'charge', kind: 'step', outcome: 'ok' });
  });

  for (const wasDone of [true, false]) {
    it(`asks reconcile about a step interrupted mid-run and runs it again only if it was not done (${wasDone ? 'done' : 'not done'})`, async () => {
      const svc = ledger();
      let hang = true;
      const asked: unknown[] = [];
      const def = defineRun('charge', async (run, order: string) => {
        const receipt = await run.step(
          'charge',
          async () => {
            const r = svc.charge(order);
            if (hang) await new Promise<void>(() => {});
            return r;
          },
          {
            args: { order },
            reconcile: (info): ReconcileResult => {
              asked.push(info);
              return wasDone ? { done: true, value: `found-${svc.charges.length}` } : { done: false };
            },
          },
        );
        return run.step('after', () => `${receipt} then after`);
      });
      const id = await interruptMidStep(def, () => svc.charges.length === 1);
      expect(await bench.store.getEffect(`${id}:0:charge`)).toMatchObject({ status: 'intent' });
      hang = false;
      const [h] = await bench.host([def]).recover();
      const outcome = await h!.result;
      expect(asked).toEqual([{ idempotencyKey: `${id}:0:charge`, name: 'charge', args: { order: 'order-7' } }]);
      if (wasDone) {
        expect(outcome).toMatchObject({ status: 'completed', output: 'found-1 then after' });
        expect(svc.charges).toEqual(['order-7']);
      } else {
        expect(outcome).toMatchObject({ status: 'completed', output: 'receipt-2 then after' });
        expect(svc.charges).toEqual(['order-7', 'order-7']);
      }
      expect(await bench.store.getEffect(`${id}:0:charge`)).toMatchObject({ status: 'done' });
      expect(events.find((e) => e.type === 'step.uncertain')).toMatchObject({
        runId: id,
        step: 'charge',
        seq: 0,
        key: `${id}:0:charge`,
        reconciled: wasDone ? 'done' : 'not_done',
      });
      expect(stepEvents()).toEqual(['step.intent', 'step.uncertain']);
    });
  }

  it('without reconcile, runs an interrupted step again (at least once) and records nothing beside the journal', async () => {
    const svc = ledger();
    let hang = true;
    const def = defineRun('charge', async (run, order: string) =>
      run.step('charge', async () => {
        const r = svc.charge(order);
        if (hang) await new Promise<void>(() => {});
        return r;
      }),
    );
    const id = await interruptMidStep(def, () => svc.charges.length === 1);
    hang = false;
    const [h] = await bench.host([def]).recover();
    expect(await h!.result).toMatchObject({ status: 'completed', output: 'receipt-2' });
    expect(svc.charges).toEqual(['order-7', 'order-7']);
    expect(await bench.store.getEffect(`${id}:0:charge`)).toBeUndefined();
    expect(stepEvents()).toEqual([]);
  });

  it('records a failed step as not done, so a retried run records a fresh intent', async () => {
    let fail = true;
    const def = defineRun('charge', async (run) =>
      run.step(
        'charge',
        () => {
          if (fail) throw new Error('card declined');
          return 'ok';
        },
        { reconcile: () => ({ done: true, value: 'never asked' }) },
      ),
    );
    const h = bench.host([def]);
    const { id, result } = await h.start(def, null);
    const outcome = await result;
    expect(outcome).toMatchObject({ status: 'failed' });
    expect(outcome.status === 'failed' && outcome.error).toMatchObject({ name: StepFailedError.name });
    expect(await bench.store.getEffect(`${id}:0:charge`)).toMatchObject({ status: 'not_done' });
    fail = false;
    const retried = await h.resume(id);
    expect(await retried.result).toMatchObject({ status: 'completed', output: 'ok' });
    expect(events.some((e) => e.type === 'step.uncertain')).toBe(false);
  });

  it('refuses a reconcile that is not a function, naming the field', async () => {
    const def = defineRun('bad', async (run) => run.step('charge', () => 1, { reconcile: 'yes' as never }));
    const { result } = await bench.host([def]).start(def, null);
    const outcome = await result;
    expect(outcome.status === 'failed' && outcome.error).toMatchObject({ name: InvalidSpecError.name });
    expect(outcome.status === 'failed' && outcome.error.message).toMatch(/reconcile.*must be a function/);
  });
});
