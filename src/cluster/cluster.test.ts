/**
 * The cluster on a real Postgres, nodes in one process each with its own pool (so their
 * statements race in the database as separate processes' would), on one virtual clock: a dead
 * node declared once, by one survivor, freeing what it held; a breaker opened on one node
 * refusing on another, with half-open probes counted across both; a shared budget, and model
 * calls made at once on both nodes (real HTTP to the simulated server) that together never spend
 * past it; pub/sub with
 * small and large payloads; bad options named; a SQLite store refused. The same behaviours across
 * real processes are in test/cluster.slow.test.ts.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Budget, CircuitBreaker } from '../resilience/index.ts';
import { EventBus, VirtualClock, isWardenError, settle, type WardenEvent } from '../runtime/index.ts';
import { openStore, type Store } from '../store/index.ts';
import { startSimHarness, withStores, type TestStore } from '../testing/index.ts';
import { InProcessPubSub, joinCluster, type Cluster } from './index.ts';

const T0 = 1_700_000_000_000;

for (const c of withStores()) {
  describe.skipIf(c.skip)(`cluster: ${c.title}`, () => {
    const cleanups: (() => Promise<unknown>)[] = [];
    afterEach(async () => {
      for (const f of cleanups.splice(0).reverse()) await f().catch(() => undefined);
    });

    async function fresh(): Promise<TestStore> {
      const t = await c.open();
      cleanups.push(() => t.cleanup());
      return t;
    }

    /** A node on its own store (its own pool) at `t`'s location. */
    async function node(t: TestStore, name: string, clock: VirtualClock, bus?: EventBus): Promise<{ cluster: Cluster; store: Store }> {
      const store = await openStore(t.location);
      cleanups.push(() => store.close());
      const cluster = await joinCluster({ store, name, clock, heartbeatMs: 1_000, deadAfterMs: 5_000, ...(bus === undefined ? {} : { bus }) });
      cleanups.push(() => cluster.leave());
      return { cluster, store };
    }

    if (c.kind === 'sqlite') {
      it('refuses a SQLite store: the cluster needs Postgres', async () => {
        const t = await fresh();
        const error = await joinCluster({ store: t.store }).catch((e: unknown) => e);
        expect(isWardenError(error, 'CLUSTER_NEEDS_POSTGRES')).toBe(true);
        expect((error as Error).message).toMatch(/^the cluster needs Postgres: .* is a SQLite store/);
      });
      return;
    }

    it('names a bad option by its field and value', async () => {
      const t = await fresh();
      const refused = async (options: object) => (await joinCluster({ store: t.store, ...options }).catch((e: unknown) => e)) as Error;
      expect((await refused({ heartbeatMs: -1 })).message).toMatch(/heartbeatMs.*-1/);
      expect((await refused({ heartbeatMs: 1_000, deadAfterMs: 1_500 })).message).toBe('cluster: deadAfterMs must be >= 2 x heartbeatMs (2000) (got 1500)');
      expect((await refused({ pollMs: 'soon' })).message).toMatch(/pollMs/);
      expect((await refused({ nmae: 'x' })).message).toMatch(/nmae/);
      expect(((await joinCluster({ store: undefined as never }).catch((e: unknown) => e)) as Error).message).toMatch(/store/);
      expect(() => new CircuitBreaker({ sharing: {} as never })).toThrow(/sharing.*BreakerSharing/);
      expect(() => new Budget({ scope: 'g', ledger: 42 as never })).toThrow(/ledger.*BudgetLedger/);
    });

    it('declares a node that stopped heartbeating dead once, by one survivor, freeing its reservations', async () => {
      const t = await fresh();
      const clock = new VirtualClock({ startMs: T0 });
      const events: WardenEvent<'cluster.node_dead'>[] = [];
      const busA = new EventBus(clock);
      const busB = new EventBus(clock);
      for (const bus of [busA, busB]) bus.on('cluster.node_dead', (e) => events.push(e));
      const a = await node(t, 'a', clock, busA);
      const b = await node(t, 'b', clock, busB);
      const doomed = await node(t, 'c', clock);
      // c holds a budget reservation, then loses its database: it can no longer heartbeat.
      await doomed.cluster.ledger.reserve('global', { usd: 2, tokens: 0, steps: 1 }, { usd: 10 });
      expect((await a.cluster.spending('global')).reserved.usd).toBe(2);
      await doomed.store.close();

      expect((await a.cluster.nodes()).map((n) => [n.name, n.liveness])).toEqual([
        ['a', 'alive'],
        ['b', 'alive'],
        ['c', 'alive'],
      ]);
      // Past c's deadAfterMs, both survivors sweep at once (their timers fire together too).
      await clock.advance(6_000);
      const [byA, byB] = await Promise.all([a.cluster.sweep(), b.cluster.sweep()]);
      await vi.waitFor(async () => expect((await a.cluster.nodes()).find((n) => n.name === 'c')?.liveness).toBe('dead'));
      await Promise.all([a.cluster.sweep(), b.cluster.sweep()]);
      await settle();

      expect(events).toHaveLength(1);
      const declaredBy = events[0]!.declaredBy;
      expect([a.cluster.node.id, b.cluster.node.id]).toContain(declaredBy);
      expect(events[0]).toMatchObject({ node: doomed.cluster.node.id, name: 'c', lastHeartbeatAt: T0 });
      expect(byA.length + byB.length).toBeLessThanOrEqual(1);
      const c3 = (await a.cluster.nodes()).find((n) => n.name === 'c')!;
      expect(c3).toMatchObject({ status: 'dead', declaredBy, since: T0 + 6_000 });
      expect((await b.cluster.spending('global')).reserved.usd).toBe(0);
      expect((await b.cluster.nodes()).filter((n) => n.liveness === 'alive').map((n) => n.name)).toEqual(['a', 'b']);
    });

    it('shares a breaker: opened on one node, refused on the other; half-open probes counted across both', async () => {
      const t = await fresh();
      const clock = new VirtualClock({ startMs: T0 });
      const a = await node(t, 'a', clock);
      const b = await node(t, 'b', clock);
      const options = { name: 'dep', trip: { kind: 'consecutive', failures: 1 } as const, openMs: 10_000, isFailure: () => true };
      const onA = a.cluster.breaker(options);
      const onB = b.cluster.breaker(options);
      await expect(onA.execute(() => Promise.reject(new Error('down')))).rejects.toThrow('down');
      expect(onA.state.kind).toBe('open');
      await vi.waitFor(() => expect(onB.state.kind).toBe('open'));
      const refused = await onB.execute(async () => 'called').catch((e: unknown) => e);
      expect(isWardenError(refused, 'BROKEN_CIRCUIT') && refused.state).toBe('open');

      // Open period over: one probe (halfOpenMaxProbes 1) for the whole cluster.
      await clock.advance(10_000);
      let finishProbe!: (v: string) => void;
      const probe = onA.execute(() => new Promise<string>((r) => (finishProbe = r)));
      await vi.waitFor(() => expect(finishProbe).toBeDefined());
      const second = await onB.execute(async () => 'second probe').catch((e: unknown) => e);
      expect(isWardenError(second, 'BROKEN_CIRCUIT') && second.state).toBe('half_open');
      finishProbe('ok');
      expect(await probe).toBe('ok');
      expect(onA.state.kind).toBe('closed');
      await vi.waitFor(() => expect(onB.state.kind).toBe('closed'));
      expect(await onB.execute(async () => 'through')).toBe('through');
    });

    it('shares a budget: reservations on every node count against one cap', async () => {
      const t = await fresh();
      const clock = new VirtualClock({ startMs: T0 });
      const a = await node(t, 'a', clock);
      const b = await node(t, 'b', clock);
      const onA = a.cluster.budget({ scope: 'global', limits: { usd: 3 } });
      const onB = b.cluster.budget({ scope: 'global', limits: { usd: 3 } });
      const held: (() => void)[] = [];
      const hold = (budget: Budget) => budget.run(() => new Promise<void>((r) => held.push(r)), { estimate: { usd: 1 } });
      const running = [hold(onA), hold(onB), hold(onA)];
      await vi.waitFor(() => expect(held).toHaveLength(3));
      const refused = await onB.run(async () => 'over', { estimate: { usd: 1 } }).catch((e: unknown) => e);
      expect(isWardenError(refused, 'BUDGET_EXCEEDED') && refused).toMatchObject({ scope: 'global', unit: 'usd', limit: 3, spent: 0, requested: 4 });
      expect(onB.spending.usd).toBe(0); // the refused call reserved nothing locally either
      for (const r of held) r();
      await Promise.all(running);
      expect(await a.cluster.spending('global')).toMatchObject({ spent: { usd: 3, steps: 3 }, reserved: { usd: 0, steps: 0 } });
      expect(await onA.run(async () => 'late', { estimate: { usd: 0.5 } }).catch((e: unknown) => (e as Error).message)).toMatch(
        /would exceed its usd cap: limit 3, spent 3/,
      );
    });

    it('shares a budget with model calls: ten at once across two nodes never spend past the cap', async () => {
      const t = await fresh();
      const clock = new VirtualClock({ startMs: T0 });
      const a = await node(t, 'a', clock);
      const b = await node(t, 'b', clock);
      // Every answer is cut at its output cap: each call spends about its whole upper bound (~$0.00013).
      const h = await startSimHarness({ script: { rules: [{ match: { lastUser: 'fill' }, reply: { text: 'spend '.repeat(5_000) } }] } });
      cleanups.push(() => h.close());
      const cap = 0.0004;
      const clients = [a, b].map((n) =>
        h.client({ budget: n.cluster.budget({ scope: 'models', limits: { usd: cap } }).child({ scope: 'run' }), retry: { maxAttempts: 1 } }),
      );
      const calls = Array.from({ length: 10 }, (_, i) =>
        clients[i % 2]!.complete({ messages: [{ role: 'user', content: `fill ${i}` }], maxOutputTokens: 200 }),
      );
      const settled = await Promise.allSettled(calls);
      const paid = settled.filter((r) => r.status === 'fulfilled').length;
      for (const r of settled) if (r.status === 'rejected') expect(isWardenError(r.reason, 'BUDGET_EXCEEDED')).toBe(true);
      expect(paid).toBe(3); // each node alone would have let three through: six in all
      expect(h.sim.requestCount).toBe(3);
      const shared = await a.cluster.spending('models');
      expect(shared?.spent.usd).toBeLessThanOrEqual(cap);
      expect(shared?.reserved.usd).toBeCloseTo(0, 12);
    });

    it('publishes to subscribers on every node, small payloads inline and large ones through a row', async () => {
      const t = await fresh();
      const clock = new VirtualClock({ startMs: T0 });
      const a = await node(t, 'a', clock);
      const b = await node(t, 'b', clock);
      const gotA: unknown[] = [];
      const gotB: { payload: unknown; from: string }[] = [];
      a.cluster.pubsub.subscribe('news', (p) => gotA.push(p));
      b.cluster.pubsub.subscribe('news', (payload, info) => gotB.push({ payload, from: info.from }));
      b.cluster.pubsub.subscribe('other', () => gotB.push({ payload: 'wrong topic', from: '' }));
      const big = { text: 'x'.repeat(20_000), n: 2 };
      await a.cluster.pubsub.publish('news', { n: 1 });
      await a.cluster.pubsub.publish('news', big);
      await a.cluster.pubsub.publish('news', { n: 3 });
      await vi.waitFor(() => expect(gotB).toHaveLength(3));
      expect(gotB).toEqual([
        { payload: { n: 1 }, from: a.cluster.node.id },
        { payload: big, from: a.cluster.node.id },
        { payload: { n: 3 }, from: a.cluster.node.id },
      ]);
      await vi.waitFor(() => expect(gotA).toEqual([{ n: 1 }, big, { n: 3 }]));
      await expect(a.cluster.pubsub.publish('', 1)).rejects.toThrow(/topic/);
      await expect(a.cluster.pubsub.publish('news', { f: () => 1 } as never)).resolves.toBeUndefined(); // functions are dropped by JSON, like any JSON encoder
      await expect(a.cluster.pubsub.publish('news', undefined as never)).rejects.toThrow(/payload/);
    });
  });
}

describe('InProcessPubSub', () => {
  it('delivers to the topic subscribers of this process, a copy of the payload', async () => {
    const pubsub = new InProcessPubSub();
    const got: unknown[] = [];
    const sub = pubsub.subscribe('t', (p, info) => got.push([p, info.from]));
    const payload = { n: 1 };
    await pubsub.publish('t', payload);
    await pubsub.publish('u', 2);
    await settle();
    expect(got).toEqual([[{ n: 1 }, 'local']]);
    expect((got[0] as unknown[])[0]).not.toBe(payload);
    sub.dispose();
    await pubsub.publish('t', 3);
    await settle();
    expect(got).toHaveLength(1);
  });
});
