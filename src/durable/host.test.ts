/**
 * Durable runs on both stores, on the virtual clock: journaling and replay, non-determinism,
 * serialisability, failures with attempt history into the dead-letter queue, fencing of a
 * superseded incarnation, leases, cancellation, retention and the events of a run. A "crash" is
 * simulated in-process by a step that never returns and a second host (the restarted process)
 * taking the run over; the real-process version with SIGKILL is test/durable-crash.test.ts.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isWardenError, type Fence, type VirtualClock, type WardenEvent } from '../runtime/index.ts';
import { Retry } from '../resilience/index.ts';
import { startDurableHarness, waitFor, withStores, type DurableHarness } from '../testing/index.ts';
import type { Store } from '../store/index.ts';
import { DurableHost, defineRun, type DurableHostOptions } from './index.ts';

const never = <T>(): Promise<T> => new Promise<T>(() => {});

for (const c of withStores()) {
  describe.skipIf(c.skip)(`durable runs: ${c.title}`, () => {
    let bench: DurableHarness;
    let store: Store;
    let clock: VirtualClock;
    let events: WardenEvent[];

    beforeEach(async () => {
      bench = await startDurableHarness({ store: c, startMs: 1_000_000, owner: 'worker-1' });
      ({ store, clock, events } = bench);
    });
    afterEach(() => bench.close());

    const host: DurableHarness['host'] = (runs, options) => bench.host(runs, options);

    /** Wait for a result while moving the virtual clock (retries back off on it) whenever the store is idle. */
    async function settled<T>(p: Promise<T>): Promise<T> {
      let done = false;
      void p.finally(() => (done = true));
      for (let i = 1; !done; i++) {
        await new Promise((r) => setImmediate(r));
        if (i % 20 === 0) await clock.runNext();
        if (i > 100_000) throw new Error('settled: the promise never settled');
      }
      return p;
    }

    const types = (prefix: string): string[] => events.filter((e) => e.type.startsWith(prefix)).map((e) => e.type);

    it('runs the steps in order, journals each result and completes with the output', async () => {
      const calls: string[] = [];
      const def = defineRun('plan', async (run, input: { topic: string }) => {
        const a = await run.step('search', () => (calls.push('search'), [`${input.topic}-1`, `${input.topic}-2`]));
        const b = await run.step('summarise', () => (calls.push('summarise'), { text: a.join('+') }));
        return b.text;
      });
      const { id, result } = await host([def]).start(def, { topic: 'otp' });
      expect(await result).toEqual({ status: 'completed', runId: id, output: 'otp-1+otp-2' });
      expect(calls).toEqual(['search', 'summarise']);
      expect((await store.readJournal(id)).map((e) => [e.seq, e.name, e.valueJson])).toEqual([
        [0, 'search', '["otp-1","otp-2"]'],
        [1, 'summarise', '{"text":"otp-1+otp-2"}'],
      ]);
      expect(await store.getRun(id)).toMatchObject({ status: 'completed', output: 'otp-1+otp-2' });
      expect(types('run.')).toEqual(['run.started', 'run.step_started', 'run.step_completed', 'run.step_started', 'run.step_completed', 'run.completed']);
    });

    it('resumes a crashed run from its journal without running the journaled steps again, and fences the old incarnation', async () => {
      const calls: string[] = [];
      let crashed = true;
      let releaseZombie!: () => void;
      const def = defineRun('three-steps', async (run) => {
        const a = await run.step('one', () => (calls.push('one'), 1));
        const b = await run.step('two', () => (calls.push('two'), 2));
        const c3 = await run.step('three', async () => {
          calls.push('three');
          if (crashed) {
            crashed = false;
            await new Promise<void>((r) => (releaseZombie = r));
          }
          return 3;
        });
        return a + b + c3;
      });
      const first = await host([def]).start(def, null);
      await waitFor(() => calls.length === 3);
      // The process "dies" inside step three; a restart (same owner) takes the run over.
      const restarted = host([def]);
      const [handle] = await restarted.recover();
      expect(await handle!.result).toMatchObject({ status: 'completed', output: 6 });
      expect(calls).toEqual(['one', 'two', 'three', 'three']);
      expect(types('run.step_replayed')).toHaveLength(2);
      // The zombie wakes up and tries to journal step three: refused.
      releaseZombie();
      expect(await first.result).toMatchObject({ status: 'interrupted' });
      expect(events.some((e) => e.type === 'run.fenced' && e.runId === first.id)).toBe(true);
      expect((await store.readJournal(first.id)).map((e) => e.name)).toEqual(['one', 'two', 'three']);
    });

    it('names the step when a resumed run asks for a different step than the journal holds', async () => {
      let version = 1;
      const def = defineRun('changing', async (run) => {
        await run.step('fetch', () => 1);
        if (version === 1) await run.step('hang', () => never<number>());
        else await run.step('summarise', () => 2);
      });
      const h = host([def]);
      const { id } = await h.start(def, null);
      await waitFor(() => events.some((e) => e.type === 'run.step_completed'));
      // Pretend step 1 was journaled under the old code, then the code changed.
      const run = (await store.getRun(id))!;
      await store.appendJournal({ runId: id, seq: 1, name: 'hang', kind: 'step', outcome: 'ok', valueJson: '1', at: 1 }, run.epoch);
      version = 2;
      const { result } = await host([def], { owner: 'worker-2' }).resume(id);
      const outcome = await result;
      expect(outcome).toMatchObject({ status: 'failed', error: { code: 'NON_DETERMINISM', seq: 1, expected: 'step "hang"', got: 'step "summarise"' } });
    });

    it('fails at the step, naming it and the place, when a step returns something the journal cannot hold', async () => {
      const def = defineRun('dates', async (run) => {
        await run.step('when', () => ({ at: new Date(0) }));
      });
      const { result } = await host([def]).start(def, null);
      const outcome = await result;
      expect(outcome).toMatchObject({ status: 'failed', error: { code: 'NOT_SERIALIZABLE', step: 'step "when"', path: '$.at' } });
      expect((outcome as { error: { message: string } }).error.message).toContain('use toISOString()');
    });

    it('refuses input that is not JSON data before creating the run', async () => {
      const def = defineRun('typed', async () => 1);
      await expect(host([def]).start(def, { n: 10n } as unknown as null)).rejects.toMatchObject({ code: 'INVALID_SPEC', path: 'input.n' });
      expect(await store.listRuns()).toEqual([]);
    });

    it('refuses an id that is no non-empty string before creating the run (a symbol once reached SQLite as a TypeError)', async () => {
      const def = defineRun('typed', async () => 1);
      await expect(host([def]).start(def, null, { id: Symbol('x') as never })).rejects.toMatchObject({ code: 'INVALID_SPEC', path: 'id' });
      await expect(host([def]).start(def, null, { id: '' })).rejects.toMatchObject({ code: 'INVALID_SPEC', path: 'id' });
      expect(await store.listRuns()).toEqual([]);
    });

    it('journals a step failure after its retries and puts the run in the dead-letter queue with input, error, attempts and trace id', async () => {
      let attempts = 0;
      const def = defineRun('flaky', async (run, input: { q: string }) =>
        run.step(
          'call-api',
          () => {
            attempts++;
            throw Object.assign(new Error(`503 for ${input.q}`), { status: 503 });
          },
          { retry: new Retry({ maxAttempts: 3, clock, random: () => 0 }) },
        ),
      );
      const { id, result } = await host([def]).start(def, { q: 'x' });
      const outcome = await settled(result);
      expect(outcome.status).toBe('failed');
      expect(attempts).toBe(3);
      const letters = await store.listDeadLetters();
      expect(letters).toHaveLength(1);
      const run = (await store.getRun(id))!;
      expect(letters[0]).toMatchObject({
        source: 'flaky',
        runId: id,
        input: { q: 'x' },
        traceId: run.traceId,
        status: 'pending',
        error: { code: 'STEP_FAILED' },
      });
      expect(letters[0]!.attempts.map((a) => a.attempt)).toEqual([1, 2, 3]);
      expect(letters[0]!.attempts[0]!.error).toMatchObject({ message: '503 for x', status: 503 });
      expect(types('dlq.')).toEqual(['dlq.added']);
    });

    it('replays a dead letter with edited input as a new run, once', async () => {
      const def = defineRun('divide', async (run, input: { by: number }) =>
        run.step('divide', () => {
          if (input.by === 0) throw new RangeError('division by zero');
          return 10 / input.by;
        }),
      );
      const h = host([def]);
      await (await h.start(def, { by: 0 })).result;
      const [letter] = await h.deadLetters.list();
      const replay = await h.deadLetters.replay(letter!.id, { input: { by: 5 } });
      expect(replay.runId).toBe(`replay-${letter!.id}`);
      expect(await store.getDeadLetter(letter!.id)).toMatchObject({ status: 'replayed', replayedAs: replay.runId, replayInput: { by: 5 } });
      await waitFor(() => events.some((e) => e.type === 'run.completed'));
      expect(await store.getRun(replay.runId!)).toMatchObject({ status: 'completed', output: 2, replayOf: letter!.id });
      await expect(h.deadLetters.replay(letter!.id)).rejects.toMatchObject({ code: 'DURABLE_STATE', message: expect.stringContaining('it is replayed') });
    });

    it('discards a dead letter with an audit entry and refuses to replay it afterwards', async () => {
      const h = host([]);
      const letter = await h.deadLetters.add({ source: 'inbox', input: { id: 7 }, error: new Error('bad mail') });
      await h.deadLetters.discard(letter.id, { by: 'ops', reason: 'spam' });
      expect((await store.listAudit({ subject: `dlq:${letter.id}` }))[0]).toMatchObject({ actor: 'ops', reason: 'spam' });
      await expect(h.deadLetters.replay(letter.id, { handler: () => 1 })).rejects.toMatchObject({ code: 'DURABLE_STATE' });
    });

    it('replays a non-run dead letter through a handler with the stored input', async () => {
      const h = host([]);
      const letter = await h.deadLetters.add({ source: 'inbox', input: { id: 7 }, error: new Error('bad mail') });
      const seen: unknown[] = [];
      const r = await h.deadLetters.replay(letter.id, { handler: (input) => (seen.push(input), 'ok') });
      expect(r.result).toBe('ok');
      expect(seen).toEqual([{ id: 7 }]);
    });

    it('retries a failed run from its failed step when it is resumed', async () => {
      let fail = true;
      const calls: string[] = [];
      const def = defineRun('retry-later', async (run) => {
        await run.step('a', () => (calls.push('a'), 1));
        return run.step('b', () => {
          calls.push('b');
          if (fail) throw new Error('down');
          return 2;
        });
      });
      const h = host([def]);
      const { id, result } = await h.start(def, null);
      expect((await result).status).toBe('failed');
      fail = false;
      const again = await h.resume(id);
      expect(await again.result).toMatchObject({ status: 'completed', output: 2 });
      expect(calls).toEqual(['a', 'b', 'b']);
    });

    it('lets another host take a run over only after the owner lease expired', async () => {
      const def = defineRun('long', async (run) => run.step('wait', () => never<number>()));
      const a = host([def], { owner: 'a', leaseMs: 30_000 });
      const { id } = await a.start(def, null);
      await waitFor(() => a.activeRuns.length === 1);
      const b = host([def], { owner: 'b', leaseMs: 30_000 });
      expect(await b.recover()).toEqual([]);
      await clock.advance(20_000);
      expect(await a.renewLeases()).toBe(1); // what a's timer does every leaseMs / 3
      await clock.advance(25_000);
      expect(await b.recover()).toEqual([]);
      await a.close(); // a stops renewing (as if it died)
      await clock.advance(30_001);
      const taken = await b.recover();
      expect(taken.map((t) => t.id)).toEqual([id]);
      expect((await store.getRun(id))?.owner).toBe('b');
    });

    it('never moves a lease back when a slow renewal lands after a later one', async () => {
      let release!: () => void;
      const held = new Promise<void>((r) => (release = r));
      let first = true;
      // The first renewal's write waits (a slow store) until a later renewal has been asked for.
      const slowFirstRenewal = new Proxy(store, {
        get(target, key) {
          if (key === 'renewRunLeases') {
            return async (...args: Parameters<Store['renewRunLeases']>) => {
              if (first) await ((first = false), held);
              return target.renewRunLeases(...args);
            };
          }
          const v: unknown = Reflect.get(target, key);
          return typeof v === 'function' ? v.bind(target) : v;
        },
      });
      const def = defineRun('long', async (run) => run.step('wait', () => never<number>()));
      const a = host([def], { owner: 'a', leaseMs: 30_000, store: slowFirstRenewal });
      const { id } = await a.start(def, null);
      await waitFor(() => a.activeRuns.length === 1);
      const slow = a.renewLeases();
      await clock.advance(5_000); // before a's own renewal timer (every 10 s)
      const later = a.renewLeases();
      release();
      await Promise.all([slow, later]);
      expect((await store.getRun(id))?.leaseExpiresAt).toBe(clock.now() + 30_000);
    });

    it('refuses every write once the process fence says the incarnation is gone', async () => {
      let current = true;
      const fence: Fence = {
        owner: 'agent',
        generation: 7,
        isCurrent: () => current,
        check(operation) {
          if (!current) throw Object.assign(new Error(`fenced: ${operation}`), { code: 'FENCED', operation });
        },
      };
      let release!: () => void;
      const def = defineRun('fenced', async (run) => {
        await run.step('a', () => new Promise<number>((r) => (release = () => r(1))));
        await run.step('b', () => 2);
      });
      const { id, result } = await host([def], { fence }).start(def, null);
      await waitFor(() => release !== undefined);
      current = false;
      release();
      expect((await result).status).toBe('interrupted');
      expect(await store.readJournal(id)).toEqual([]);
    });

    it('cancels a suspended run at once and a running one at its next step', async () => {
      let release!: () => void;
      let stepSignal: AbortSignal | undefined;
      const ran: string[] = [];
      const def = defineRun('cancellable', async (run) => {
        await run.step('a', ({ signal }) => new Promise<void>((r) => ((stepSignal = signal), (release = r))));
        await run.step('b', () => ran.push('b'));
      });
      const h = host([def]);
      const { id, result } = await h.start(def, null);
      await waitFor(() => release !== undefined);
      const cancelling = h.cancel(id, { reason: 'not needed', by: 'ops' });
      // The step ends once the cancellation has reached the run (cancel() reads and audits first):
      // ended before, the run would complete before it is asked to stop.
      await waitFor(() => stepSignal?.aborted, 'the cancellation reaches the run');
      release();
      expect(await cancelling).toBe('cancelled');
      expect(await result).toMatchObject({ status: 'cancelled' });
      expect(ran).toEqual([]);
      expect((await store.getRun(id))?.status).toBe('cancelled');
      await expect(h.cancel(id)).rejects.toMatchObject({ code: 'DURABLE_STATE' });
    });

    it('stops a run it executes when another process leaves a cancel request, on its next poll', async () => {
      let release!: () => void;
      const def = defineRun('remote-cancel', async (run) => {
        await run.step('slow', () => new Promise<void>((r) => (release = r)));
        await run.step('never', () => 1);
      });
      const h = host([def]);
      const { id, result } = await h.start(def, null);
      await waitFor(() => release !== undefined);
      expect(await store.requestRun(id, 'cancel', clock.now())).toBe(true); // what `warden runs cancel` does
      await h.tick();
      expect(await result).toMatchObject({ status: 'cancelled', reason: expect.stringContaining('cancel requested') });
      expect((await store.readJournal(id)).map((e) => e.name)).toEqual([]);
      expect((await store.getRun(id))?.status).toBe('cancelled');
    });

    it('picks up a resume request left in the store on its next poll', async () => {
      let allowed = false;
      const def = defineRun('gated', async (run) => {
        await run.effect('send', () => 'sent', { irreversible: true });
        return allowed;
      });
      const h = host([def], { pollMs: 500 });
      const { id, result } = await h.start(def, null);
      expect(await result).toMatchObject({ status: 'suspended', reason: 'approval' });
      // Decided by another process (the CLI): only the store knows.
      allowed = true;
      await store.decideApproval(`${id}:0`, 'approved', 'alice', 'ok', clock.now());
      h.serve();
      await waitFor(() => events.some((e) => e.type === 'run.completed'));
      expect(await store.getRun(id)).toMatchObject({ status: 'completed', output: true });
    });

    it('archives finished runs past the retention period and keeps the others', async () => {
      const def = defineRun('short', async (run) => run.step('x', () => 1));
      const h = host([def], { retention: { keepFinishedMs: 60_000 } });
      const { id, result } = await h.start(def, null);
      await result;
      expect(await h.compact()).toBe(0);
      await clock.advance(60_000);
      expect(await h.compact()).toBe(1);
      expect(await store.readJournal(id)).toEqual([]);
      expect((await store.readArchivedJournal(id))?.map((e) => e.name)).toEqual(['x']);
    });

    it('keeps the journal, effects and approvals across a reopen of the store', async () => {
      const def = defineRun('persist', async (run) => {
        await run.step('a', () => 'A');
        await run.effect('mail', () => 'sent', { irreversible: true });
      });
      const { id, result } = await host([def]).start(def, null);
      expect((await result).status).toBe('suspended');
      store = await bench.restart();
      const again = host([def]);
      expect((await store.getRun(id))?.status).toBe('suspended');
      await again.approvals.approve(`${id}:1`, { by: 'bob', reason: 'fine' });
      await waitFor(() => events.some((e) => e.type === 'run.completed'));
      expect((await store.readJournal(id)).map((e) => e.name)).toEqual(['a', 'mail']);
    });

    it('refuses to start a definition it does not know, naming the known ones', async () => {
      const def = defineRun('known', async () => 1);
      await expect(host([def]).start('unknown', null)).rejects.toMatchObject({ code: 'UNKNOWN_RUN', known: ['known'] });
    });

    it('validates its options, naming the field', () => {
      expect(() => new DurableHost({ store, leaseMs: 0 })).toThrow(/leaseMs must be >= 1/);
      expect(() => new DurableHost({ store, bogus: 1 } as unknown as DurableHostOptions)).toThrow(/bogus is not a known option/);
      expect(() => defineRun('has space', async () => 1)).toThrow(/name/);
    });

    it('reports errors by code across the journal', async () => {
      const def = defineRun('coded', async (run) => {
        try {
          await run.step('boom', () => {
            throw new TypeError('bad');
          });
        } catch (e) {
          return isWardenError(e, 'STEP_FAILED') ? 'caught' : 'other';
        }
        return 'none';
      });
      const h = host([def]);
      const { id, result } = await h.start(def, null);
      expect(await result).toMatchObject({ output: 'caught' });
      // Replaying the journal throws the same error again.
      const replay = await store.readJournal(id);
      expect(replay[0]).toMatchObject({ outcome: 'error', error: { name: 'TypeError', message: 'bad' } });
    });
  });
}
