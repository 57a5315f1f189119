/**
 * The cluster across real processes on one Postgres (test/cluster/node.ts is one node): a
 * breaker opened on node A refuses on node B; a budget shared by three processes never spends
 * past its cap when estimates are upper bounds, and past it only by what calls in flight spent
 * beyond their estimates when they are not; a node killed with SIGKILL is declared dead once, by
 * one of two survivors; a topic published on one node reaches a subscriber on another, a large
 * payload too. Waits only on IPC messages and process exits.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { joinCluster, type Cluster } from '../src/cluster/index.ts';
import { withStores, type TestStore } from '../src/testing/index.ts';

const NODE = new URL('./cluster/node.ts', import.meta.url).pathname;
const pg = withStores().find((c) => c.kind === 'postgres')!;

interface Message {
  readonly type: string;
  readonly [key: string]: unknown;
}

/** A node process and the messages it sent. */
class NodeProcess {
  readonly child: ChildProcess;
  readonly messages: Message[] = [];
  private readonly waiters: { type: string; resolve: (m: Message) => void }[] = [];
  private stderr = '';
  readonly exited: Promise<number | null>;

  constructor(t: TestStore, name: string, role: string, extra: Record<string, string> = {}) {
    const env = { ...process.env, CLUSTER_DB: t.location.db, CLUSTER_SCHEMA: t.location.schema!, NODE_NAME: name, ROLE: role, ...extra };
    this.child = fork(NODE, [], { env, stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
    this.child.stderr?.on('data', (c: Buffer) => (this.stderr += c.toString()));
    this.child.on('message', (m: Message) => {
      this.messages.push(m);
      if (m.type === 'error') throw new Error(`${name}: ${String(m.message)}`);
      for (const w of this.waiters.filter((x) => x.type === m.type)) {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        w.resolve(m);
      }
    });
    this.exited = new Promise((resolve) => this.child.on('exit', (code) => resolve(code)));
    void this.exited.then(() => {
      for (const w of this.waiters.splice(0)) w.resolve({ type: 'exited', stderr: this.stderr });
    });
  }

  /** The first message of `type` (one already received, or the next). */
  next(type: string): Promise<Message> {
    const had = this.messages.find((m) => m.type === type);
    if (had !== undefined) return Promise.resolve(had);
    return new Promise((resolve) => this.waiters.push({ type, resolve }));
  }

  send(type: string): void {
    this.child.send({ type });
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.send('exit');
    await this.exited;
  }
}

describe.skipIf(pg.skip)('cluster across processes (postgres)', () => {
  let t: TestStore;
  const nodes: NodeProcess[] = [];
  let observer: Cluster | undefined;
  afterEach(async () => {
    await Promise.all(nodes.splice(0).map((n) => n.stop()));
    await observer?.leave();
    observer = undefined;
    await t.cleanup();
  });
  const start = (name: string, role: string, extra?: Record<string, string>) => {
    const n = new NodeProcess(t, name, role, extra);
    nodes.push(n);
    return n;
  };

  it('a breaker opened on node A refuses calls on node B', async () => {
    t = await pg.open();
    const b = start('b', 'breaker-watch');
    const a = start('a', 'breaker-open');
    await Promise.all([a.next('ready'), b.next('ready')]);
    a.send('go');
    const opened = await a.next('opened');
    expect(opened.state).toBe('open');
    const refused = await b.next('refused');
    expect(refused.state).toBe('open');
    // For the record (not asserted: the machine may be loaded): how long B took to refuse.
    console.log(`breaker open on A -> refused on B after ${Number(refused.at) - Number(opened.at)} ms`);
  });

  for (const { actual, why } of [
    { actual: '0.75', why: 'estimates are upper bounds: never past the cap' },
    { actual: '1.5', why: 'calls spend past their estimates: past the cap by at most what the calls in flight overspent' },
  ]) {
    it(`a budget shared by three processes: ${why}`, async () => {
      t = await pg.open();
      const CAP = 40;
      const CONCURRENCY = 4;
      const extra = { CAP_USD: String(CAP), CALLS: '40', CONCURRENCY: String(CONCURRENCY), ACTUAL_USD: actual };
      const procs = ['a', 'b', 'c'].map((n) => start(n, 'budget', extra));
      await Promise.all(procs.map((p) => p.next('ready')));
      for (const p of procs) p.send('go');
      const done = await Promise.all(procs.map((p) => p.next('done')));
      observer = await joinCluster({ store: t.store, name: 'observer' });
      const shared = await observer.spending('global');
      const admitted = done.reduce((n, d) => n + Number(d.admitted), 0);
      const localSpent = done.reduce((n, d) => n + Number(d.spent), 0);
      expect(shared.reserved).toEqual({ usd: 0, tokens: 0, steps: 0 });
      expect(shared.spent.usd).toBeCloseTo(localSpent, 6);
      expect(shared.spent.usd).toBeCloseTo(admitted * Number(actual), 6);
      expect(done.reduce((n, d) => n + Number(d.refused), 0)).toBeGreaterThan(0); // the shared cap was reached
      const inFlight = 3 * CONCURRENCY;
      const overspendPerCall = Math.max(0, Number(actual) - 1);
      expect(shared.spent.usd).toBeLessThanOrEqual(CAP + inFlight * overspendPerCall);
      if (overspendPerCall === 0) expect(shared.spent.usd).toBeLessThanOrEqual(CAP);
    });
  }

  it('a node killed with SIGKILL is declared dead once, by one of the survivors', async () => {
    t = await pg.open();
    const survivors = [start('a', 'member'), start('b', 'member')];
    const doomed = start('c', 'member');
    const [, , c] = await Promise.all([...survivors.map((s) => s.next('ready')), doomed.next('ready')]);
    doomed.child.kill('SIGKILL');
    await doomed.exited;
    const first = await Promise.race(survivors.map((s) => s.next('declared')));
    expect(first).toMatchObject({ node: c!.id, name: 'c' });
    // Let both survivors sweep a few more times: nobody declares it again.
    observer = await joinCluster({ store: t.store, name: 'observer', heartbeatMs: 100, deadAfterMs: 600 });
    for (let i = 0; i < 3; i++) await observer.heartbeat();
    await Promise.all(survivors.map((s) => s.stop()));
    const declared = survivors.flatMap((s) => s.messages.filter((m) => m.type === 'declared'));
    expect(declared).toHaveLength(1);
    const row = (await observer.nodes()).find((n) => n.id === c!.id)!;
    expect(row.liveness).toBe('dead');
    expect([survivors[0]!.messages[0]!.id, survivors[1]!.messages[0]!.id]).toContain(row.declaredBy);
  });

  it('a topic published on one node reaches the subscriber on another, large payloads too', async () => {
    t = await pg.open();
    const sub = start('sub', 'sub');
    const pub = start('pub', 'pub');
    await Promise.all([sub.next('ready'), pub.next('ready')]);
    pub.send('go');
    const { from } = await pub.next('published');
    while (sub.messages.filter((m) => m.type === 'got').length < 3) await new Promise((r) => sub.child.once('message', r));
    const got = sub.messages.filter((m) => m.type === 'got');
    expect(got.map((m) => (m.payload as { n: number }).n)).toEqual([1, 2, 3]);
    expect((got[1]!.payload as { text: string }).text).toHaveLength(20_000);
    expect(got.every((m) => m.from === from)).toBe(true);
  });
});
