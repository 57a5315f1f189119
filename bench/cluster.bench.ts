/**
 * What sharing costs per call, in one run on one Postgres: a circuit breaker check (a call
 * through a closed breaker) and a budget reservation (reserve before, settle after) shared
 * through the cluster, beside the per-process `CircuitBreaker` and `Budget` they build on. Also
 * how long a breaker opened on one node takes to refuse on another (two nodes, each with its own
 * pool and listening connection, in this process). Variants alternate order every round; we
 * report each median, its ratio to the per-process one, and every round's value.
 *
 *   npm run bench:cluster                                   # 5 rounds; prints a markdown section
 *   npm run bench:cluster -- --rounds 3 --checks 200000 --reservations 500
 *
 * Postgres: WARDEN_BENCH_DATABASE_URL, else WARDEN_TEST_DATABASE_URL, else
 * postgres://postgres@127.0.0.1:5432/test (a fresh schema, dropped at the end).
 */
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { joinCluster } from '../src/cluster/index.ts';
import { Budget, CircuitBreaker } from '../src/resilience/index.ts';
import { EventBus, realClock } from '../src/runtime/index.ts';
import { openStore } from '../src/store/index.ts';

const { values } = parseArgs({
  options: { rounds: { type: 'string' }, checks: { type: 'string' }, reservations: { type: 'string' }, opens: { type: 'string' } },
});
const rounds = Number(values.rounds ?? 5);
const checks = Number(values.checks ?? 100_000);
const reservations = Number(values.reservations ?? 1_000);
const opens = Number(values.opens ?? 10);
const url = process.env.WARDEN_BENCH_DATABASE_URL ?? process.env.WARDEN_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const schema = `bench_cluster_${randomBytes(4).toString('hex')}`;

const storeA = await openStore({ db: url, schema });
const storeB = await openStore({ db: url, schema });
const busB = new EventBus(realClock);
const a = await joinCluster({ store: storeA, name: 'bench-a' });
const b = await joinCluster({ store: storeB, name: 'bench-b', bus: busB });

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((x, y) => x - y);
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

async function perCall(n: number, call: () => Promise<unknown>): Promise<number> {
  for (let i = 0; i < Math.min(1000, n / 10); i++) await call(); // warm up
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await call();
  return ((performance.now() - t0) * 1000) / n;
}

const noop = async (): Promise<number> => 1;
const localBreaker = new CircuitBreaker({ name: 'local' });
const sharedBreaker = a.breaker({ name: 'shared' });
let scopes = 0;
const VARIANTS = {
  'breaker/local': () => perCall(checks, () => localBreaker.execute(noop)),
  'breaker/shared': () => perCall(checks, () => sharedBreaker.execute(noop)),
  'budget/local': () => {
    const budget = new Budget({ scope: `local-${++scopes}`, limits: { usd: 1e9 } });
    return perCall(reservations, () => budget.run(noop, { estimate: { usd: 0.01 } }));
  },
  'budget/shared': () => {
    const budget = a.budget({ scope: `shared-${++scopes}`, limits: { usd: 1e9 } });
    return perCall(reservations, () => budget.run(noop, { estimate: { usd: 0.01 } }));
  },
} as const;

/** Open a breaker on A; ms until B's breaker of that name has adopted it (then it refuses). */
async function propagation(i: number): Promise<number> {
  const options = { name: `prop-${i}`, trip: { kind: 'consecutive', failures: 1 } as const, isFailure: () => true };
  const onA = a.breaker(options);
  const onB = b.breaker({ ...options, bus: busB });
  await new Promise((r) => setTimeout(r, 50)); // both attached and caught up
  const adopted = busB.next('breaker.state_changed', (e) => e.breaker === options.name);
  const t0 = performance.now();
  await onA.execute(() => Promise.reject(new Error('down'))).catch(() => undefined);
  await adopted;
  const ms = performance.now() - t0;
  if (onB.state.kind !== 'open') throw new Error(`B's breaker is ${onB.state.kind}`);
  return ms;
}

const raw: Record<string, number[]> = {};
const names = Object.keys(VARIANTS) as (keyof typeof VARIANTS)[];
for (let round = 0; round < rounds; round++) {
  const order = round % 2 === 0 ? names : [...names].reverse();
  for (const v of order) {
    const us = await VARIANTS[v]();
    (raw[v] ??= []).push(us);
    process.stderr.write(`round ${round + 1} ${v}: ${us.toFixed(3)} µs/call\n`);
  }
}
const prop: number[] = [];
for (let i = 0; i < opens; i++) prop.push(await propagation(i));

await a.leave();
await b.leave();
await storeA.close();
await storeB.close();
const { default: pg } = await import('pg');
const admin = new pg.Client({ connectionString: url });
await admin.connect();
await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
await admin.end();

const fmt = (n: number) => (n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2));
const row = (label: string, local: string, shared: string) => {
  const l = median(raw[local]!);
  const s = median(raw[shared]!);
  return `| ${label} | ${fmt(l)} | ${fmt(s)} | ${(s / l).toFixed(1)}x | ${raw[local]!.map(fmt).join(', ')} / ${raw[shared]!.map(fmt).join(', ')} |`;
};
const pgVersion = (await (async () => {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  const r = await c.query('SHOW server_version');
  await c.end();
  return r.rows[0].server_version as string;
})()) as string;
process.stdout.write(`| per call (µs) | per process | shared (cluster) | ratio | rounds (per process / shared) |
|---|---|---|---|---|
${row(`breaker check, closed (${checks} calls)`, 'breaker/local', 'breaker/shared')}
${row(`budget reserve + settle (${reservations} calls)`, 'budget/local', 'budget/shared')}

Breaker opened on node A, adopted (refusing) on node B: median ${fmt(median(prop))} ms over ${opens} openings (min ${fmt(Math.min(...prop))}, max ${fmt(Math.max(...prop))}).

Node ${process.version}, Postgres ${pgVersion} on 127.0.0.1, ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? 'unknown'}), ${rounds} rounds.
`);
