/**
 * Host snapshots on a real store (SQLite and Postgres): what a host publishes (its tree with
 * each child's restarts, breakers, budgets, health) is what a reader gets back, on the injected
 * clock; a stopped host says so, a silent one grows stale; bad options are refused by name.
 */
import { describe, expect, it } from 'vitest';
import { Runtime, VirtualClock, isWardenError, type ProcessContext } from '../runtime/index.ts';
import { startSupervisor, worker, whichChildren } from '../supervisor/index.ts';
import { Budget, CircuitBreaker } from '../resilience/index.ts';
import { describeStores, waitFor } from '../testing/index.ts';
import { publishHostSnapshots, readHostSamples, readHostSnapshots } from './index.ts';

const crashOnPoke = worker(async (ctx: ProcessContext) => {
  await ctx.receive((m) => m === 'poke');
  throw new Error('poked');
});

describeStores(describe, 'host snapshots', (c) => {
  it('publishes the tree with restart counts, breakers, budgets and health, and samples restarts per interval', async () => {
    const t = await c.open();
    const clock = new VirtualClock({ startMs: 1_000_000 });
    const rt = new Runtime({ clock });
    const root = await startSupervisor(rt, { strategy: 'one_for_one', intensity: 5, periodSeconds: 5, children: [{ id: 'fetcher', start: crashOnPoke }] });
    const breaker = new CircuitBreaker({ name: 'openai', clock });
    const budget = new Budget({ scope: 'company', limits: { usd: 10 }, clock });
    const publisher = await publishHostSnapshots({
      store: t.store,
      host: 'worker-1',
      runtime: rt,
      trees: [{ name: 'app', supervisor: root }],
      breakers: [breaker],
      budgets: [budget],
      health: () => ({ status: 'ok' }),
      intervalMs: 1000,
    });
    try {
      let [first] = await readHostSnapshots(t.store, clock.now());
      expect(first).toMatchObject({
        host: 'worker-1',
        stale: false,
        stopped: false,
        health: { status: 'ok' },
        breakers: [{ name: 'openai', state: { kind: 'closed' } }],
      });
      expect(first!.trees[0]!.root.children).toMatchObject([{ id: 'fetcher', type: 'worker', restarts: 0 }]);
      expect(first!.budgets).toMatchObject([{ scope: 'company', limits: { usd: 10 }, spent: { usd: 0 } }]);

      const [child] = await whichChildren(rt, root);
      rt.send(child!.pid as never, 'poke');
      await waitFor(async () => (await whichChildren(rt, root))[0]!.pid !== child!.pid, 'the fetcher is restarted');
      await clock.advance(1000);
      await waitFor(async () => (await readHostSnapshots(t.store, clock.now()))[0]!.publishedAt === clock.now(), 'the next snapshot is written');
      [first] = await readHostSnapshots(t.store, clock.now());
      expect(first!.trees[0]!.root.children[0]).toMatchObject({ id: 'fetcher', restarts: 1 });
      expect(first!.restarts).toMatchObject({ total: 1, recent: [{ childId: 'fetcher' }] });
      const samples = await readHostSamples(t.store, { since: 0 });
      expect(samples.map((s) => s.restarts)).toEqual([0, 1]);

      expect((await readHostSnapshots(t.store, clock.now() + 3001))[0]!.stale).toBe(true);
    } finally {
      await publisher.stop();
      rt.killAll();
    }
    const [last] = await readHostSnapshots(t.store, clock.now() + 60_000);
    expect(last).toMatchObject({ stopped: true, stale: false });
    await t.cleanup();
  });

  it('refuses a bad option, naming it, and writes nothing', async () => {
    const t = await c.open();
    const e: unknown = await publishHostSnapshots({ store: t.store, host: ' ', intervalMs: 1000 }).catch((x: unknown) => x);
    expect(isWardenError(e, 'INVALID_SPEC')).toBe(true);
    expect((e as Error).message).toMatch(/host must not be empty/);
    const e2: unknown = await publishHostSnapshots({ store: t.store, host: 'h', intervalMs: 2.5 }).catch((x: unknown) => x);
    expect((e2 as Error).message).toMatch(/intervalMs/);
    expect(await readHostSnapshots(t.store, 0)).toEqual([]);
    await t.cleanup();
  });
});
