/**
 * The durable harness on every store of the matrix: its hosts run on its store, clock and bus
 * with every event recorded; `restart()` closes the hosts and reopens the store, and a new host
 * resumes the run from its journal without running a journaled step again; `close()` closes
 * everything and removes the store's location.
 */
import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { defineRun } from '../durable/index.ts';
import { startDurableHarness, waitFor, withStores } from './index.ts';

for (const c of withStores()) {
  describe.skipIf(c.skip)(`the durable harness: ${c.title}`, () => {
    it('runs hosts on its store, clock and bus, and records their events', async () => {
      const h = await startDurableHarness({ store: c, startMs: 5_000 });
      try {
        const def = defineRun('greet', async (run, name: string) => run.step('hello', () => `hello ${name}`));
        const { id, result } = await h.host([def]).start(def, 'ada');
        expect(await result).toEqual({ status: 'completed', runId: id, output: 'hello ada' });
        expect(h.types('run.')).toEqual(['run.started', 'run.step_started', 'run.step_completed', 'run.completed']);
        expect(h.of('run.completed')[0]).toMatchObject({ runId: id, at: 5_000 });
      } finally {
        await h.close();
      }
    });

    it('restarts like a process: hosts closed, the store reopened, the run resumed from its journal', async () => {
      const h = await startDurableHarness({ store: c, owner: 'worker-1' });
      try {
        const calls: string[] = [];
        let hang = true;
        const def = defineRun('two-steps', async (run) => {
          await run.step('one', () => (calls.push('one'), 1));
          return run.step('two', async () => {
            calls.push('two');
            if (hang) await new Promise(() => {}); // the process dies here
            return 2;
          });
        });
        const first = h.host([def]);
        const { id } = await first.start(def, null);
        await waitFor(() => calls.includes('two'), 'step two to start');
        expect((await h.store.getRun(id))?.owner).toBe('worker-1');
        const before = h.store;
        hang = false;
        const reopened = await h.restart();
        expect(reopened).not.toBe(before);
        expect(h.store).toBe(reopened);
        const [handle] = await h.host([def]).recover();
        expect(await handle!.result).toMatchObject({ status: 'completed', runId: id, output: 2 });
        expect(calls).toEqual(['one', 'two', 'two']);
      } finally {
        await h.close();
      }
    });

    it('removes the store on close, and closing twice is fine', async () => {
      const h = await startDurableHarness({ store: c });
      h.host([]);
      await h.close();
      await h.close();
      if (h.location.kind === 'sqlite') expect(existsSync(dirname(h.location.db))).toBe(false);
      else {
        const client = new pg.Client({ connectionString: h.location.db });
        await client.connect();
        const found = await client.query('SELECT 1 FROM information_schema.schemata WHERE schema_name = $1', [h.location.schema]).finally(() => client.end());
        expect(found.rowCount).toBe(0);
      }
    });
  });
}
