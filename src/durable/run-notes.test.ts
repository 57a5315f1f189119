/**
 * A run's notes, on SQLite and Postgres: kept beside the steps at negative sequence numbers, they
 * move no step's position, are never replayed, survive the truncation that retries a failed step,
 * and are read back by every later execution in `run.notes`.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startDurableHarness, withStores, type DurableHarness } from '../testing/index.ts';
import { defineRun, type RunNote } from './index.ts';

for (const c of withStores()) {
  describe.skipIf(c.skip)(`run notes: ${c.title}`, () => {
    let bench: DurableHarness;
    beforeEach(async () => {
      bench = await startDurableHarness({ store: c, startMs: 1_000, owner: 'worker-1' });
    });
    afterEach(() => bench.close());

    it('survive a failed step and its retry, and each execution reads those of the earlier ones', async () => {
      const seen: (readonly RunNote[])[] = [];
      let fail = true;
      const def = defineRun('paid', async (run) => {
        seen.push(run.notes);
        await run.step('first', () => 1);
        return run.step('second', async () => {
          await run.note('spent', { usd: 0.5 });
          if (fail) throw new Error('failed after paying');
          return 'done';
        });
      });
      const host = bench.host([def]);
      const { id, result } = await host.start(def, null);
      expect(await result).toMatchObject({ status: 'failed' });
      fail = false;
      const again = await host.resume(id);
      expect(await again.result).toMatchObject({ status: 'completed', output: 'done' });
      // The retry dropped the failed step's entry; both notes stay, below the steps.
      const journal = await bench.store.readJournal(id);
      expect(journal.map((e) => [e.seq, e.name, e.outcome])).toEqual([
        [-2, 'spent', 'ok'],
        [-1, 'spent', 'ok'],
        [0, 'first', 'ok'],
        [1, 'second', 'ok'],
      ]);
      expect(seen.map((notes) => notes.map((n) => n.value))).toEqual([[], [{ usd: 0.5 }]]);
      // A note is not a step: the resumed execution replayed `first` at 0, and no step was renumbered.
      expect(bench.events.filter((e) => e.type === 'run.step_replayed').map((e) => (e as { step: string }).step)).toEqual(['first']);
    });

    it('refuses a value that is not JSON data, naming the note', async () => {
      const def = defineRun('bad-note', async (run) => {
        await run.note('spent', { at: new Map() });
      });
      const { result } = await bench.host([def]).start(def, null);
      expect(await result).toMatchObject({ status: 'failed', error: { code: 'NOT_SERIALIZABLE', step: 'note "spent"' } });
    });
  });
}
