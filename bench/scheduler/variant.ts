/**
 * One measurement of bench/scheduler.bench.ts, in a fresh process; prints one JSON line.
 *
 *   node bench/scheduler/variant.ts warden-scale <sqlite|postgres> <n> <workDir> <pgUrl>
 *   node bench/scheduler/variant.ts pgboss-scale postgres <n> <workDir> <pgUrl>
 *   node bench/scheduler/variant.ts warden-latency postgres <n> <workDir> <pgUrl>
 *   node bench/scheduler/variant.ts pgboss-latency postgres <n> <workDir> <pgUrl>
 *
 * - warden-scale: n interval schedules (every 10 min, anchors spread over the 10 minutes, so about
 *   n/10 come due each minute) defined in one store; then 5 virtual minutes, a pass each minute,
 *   each starting its due slots as durable runs. Reports the time to define them, heap used, the
 *   pass time (deciding and starting the due slots) and the time until their runs have ended, and
 *   a pass with nothing due.
 * - pgboss-scale: n pg-boss schedules ("* * * * *", one queue, a key each) on the same Postgres;
 *   reports the time to define them, heap used, and, for the next minute, how many jobs its cron
 *   pass sent and how long it took from the minute to the last one (created_on).
 * - warden-latency: n cron schedules ("* * * * *") served on the real clock; for the next minute
 *   (with pgboss-latency running beside it) the delay from the minute to each slot's run step.
 * - pgboss-latency: the same with pg-boss (defaults: cron pass every 30 s, polling every 2 s),
 *   the delay from the minute to each job's handler.
 */
import pg from 'pg';
import { DurableHost, defineRun } from '../../src/durable/index.ts';
import { VirtualClock, realClock } from '../../src/runtime/index.ts';
import { defineSchedule, openScheduler, type SlotInput } from '../../src/scheduler/index.ts';
import { openPostgresStore, openSqliteStore, type Store } from '../../src/store/index.ts';

const [mode, kind, nText, workDir, pgUrl] = process.argv.slice(2) as [string, string, string, string, string];
const n = Number(nText);
const tag = process.env.BENCH_TAG ?? String(process.pid);
const schema = `bench_${tag}`;
const MIN = 60_000;
const out = (r: Record<string, unknown>): void => void process.stdout.write(`${JSON.stringify(r)}\n`);
const heapMb = (): number => {
  (globalThis as { gc?: () => void }).gc?.();
  return Math.round((process.memoryUsage().heapUsed / 1e6) * 10) / 10;
};
const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length === 0 ? Number.NaN : s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const pct = (xs: number[], p: number): number => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))] ?? Number.NaN;

async function openBenchStore(): Promise<Store> {
  return kind === 'sqlite' ? openSqliteStore({ path: `${workDir}/warden.db` }) : openPostgresStore({ url: pgUrl, schema });
}

async function wardenScale(): Promise<void> {
  const clock = new VirtualClock({ startMs: Date.UTC(2026, 0, 5) });
  const store = await openBenchStore();
  const work = defineRun('report', async (run, slot: SlotInput) => run.step('work', async () => slot.slotAt));
  const host = new DurableHost({ store, runs: [work], clock, owner: 'bench' });
  const heapBefore = heapMb();
  const schedules = Array.from({ length: n }, (_, i) => defineSchedule({ id: `s-${i}`, run: work, everyMs: 10 * MIN, anchor: ((i * 600) % (10 * MIN)) + 1 }));
  const t0 = performance.now();
  const scheduler = await openScheduler({ host, schedules, batchSize: 100_000 });
  const defineMs = performance.now() - t0;
  const heapAfter = heapMb();
  const passMs: number[] = [];
  const endMs: number[] = [];
  const started: number[] = [];
  for (let m = 1; m <= 5; m++) {
    await clock.advanceTo(Date.UTC(2026, 0, 5) + m * MIN);
    const a = performance.now();
    const summary = await scheduler.tick();
    const b = performance.now();
    await scheduler.idle();
    const c = performance.now();
    passMs.push(b - a);
    endMs.push(c - a);
    started.push(summary.started);
  }
  const i0 = performance.now();
  await scheduler.tick(); // nothing due: the cost of a pass over n schedules
  const idleMs = performance.now() - i0;
  await scheduler.close();
  await host.close();
  await store.close();
  out({
    variant: `warden-${kind}`,
    schedules: n,
    define_ms: Math.round(defineMs),
    heap_mb: Math.round((heapAfter - heapBefore) * 10) / 10,
    slots_per_pass: median(started),
    pass_ms: Math.round(median(passMs)),
    pass_to_runs_ended_ms: Math.round(median(endMs)),
    idle_pass_ms: Math.round(idleMs * 10) / 10,
    raw_pass_ms: passMs.map(Math.round),
  });
}

async function bossOf(): Promise<import('pg-boss').PgBoss> {
  const mod = (await import('pg-boss')) as unknown as {
    PgBoss?: new (o: object) => import('pg-boss').PgBoss;
    default?: new (o: object) => import('pg-boss').PgBoss;
  };
  const PgBoss = (mod.PgBoss ?? mod.default)!;
  const boss = new PgBoss({ connectionString: pgUrl, schema });
  boss.on('error', (e: unknown) => process.stderr.write(`pg-boss: ${String(e)}\n`));
  await boss.start();
  await boss.createQueue('report');
  return boss;
}

/** Milliseconds to the next minute, at least `atLeastMs` ahead. */
function nextMinute(atLeastMs: number): number {
  const now = Date.now();
  let t = Math.ceil(now / MIN) * MIN;
  if (t - now < atLeastMs) t += MIN;
  return t;
}

async function pgbossScale(): Promise<void> {
  const boss = await bossOf();
  const heapBefore = heapMb();
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await boss.schedule('report', '* * * * *', { i }, { key: `s-${i}` });
  const defineMs = performance.now() - t0;
  const heapAfter = heapMb();
  const minute = nextMinute(5_000);
  const client = new pg.Client({ connectionString: pgUrl });
  await client.connect();
  // Wait for the cron pass after the minute to have sent every job (it runs every 30 s).
  let sent = 0;
  let lastMs = Number.NaN;
  const deadline = minute + 75_000;
  while (Date.now() < deadline) {
    await realClock.sleep(2_000);
    const r = await client.query(
      `SELECT count(*)::int AS n, extract(epoch from max(created_on)) * 1000 AS last FROM ${schema}.job WHERE name = 'report' AND created_on >= to_timestamp($1 / 1000.0)`,
      [minute],
    );
    sent = r.rows[0].n;
    lastMs = Number(r.rows[0].last) - minute;
    if (sent >= n) break;
  }
  await client.end();
  await boss.stop({ graceful: false });
  out({
    variant: 'pgboss',
    schedules: n,
    define_ms: Math.round(defineMs),
    heap_mb: Math.round((heapAfter - heapBefore) * 10) / 10,
    jobs_sent: sent,
    minute_to_last_job_ms: Math.round(lastMs),
  });
}

async function wardenLatency(): Promise<void> {
  const store = await openBenchStore();
  const minute = nextMinute(5_000);
  const late: number[] = [];
  const work = defineRun('report', async (run, slot: SlotInput) =>
    run.step('work', async () => {
      if (slot.slotAt === minute) late.push(Date.now() - minute);
      return slot.slotAt;
    }),
  );
  const host = new DurableHost({ store, runs: [work], owner: 'bench' });
  host.serve();
  const scheduler = await openScheduler({
    host,
    schedules: Array.from({ length: n }, (_, i) => defineSchedule({ id: `c-${i}`, run: work, cron: '* * * * *' })),
  });
  scheduler.serve();
  while (late.length < n && Date.now() < minute + 30_000) await realClock.sleep(200);
  await scheduler.close();
  await host.close();
  await store.close();
  out({
    variant: 'warden-postgres',
    schedules: n,
    fired: late.length,
    median_late_ms: Math.round(median(late)),
    p95_late_ms: Math.round(pct(late, 95)),
    max_late_ms: Math.round(Math.max(...late)),
  });
}

async function pgbossLatency(): Promise<void> {
  const boss = await bossOf();
  for (let i = 0; i < n; i++) await boss.schedule('report', '* * * * *', { i }, { key: `c-${i}` });
  const minute = nextMinute(5_000);
  const late: number[] = [];
  await boss.work('report', { batchSize: 50 }, async (jobs) => {
    for (const _ of jobs) if (Date.now() >= minute) late.push(Date.now() - minute);
  });
  while (late.length < n && Date.now() < minute + 75_000) await realClock.sleep(200);
  await boss.stop({ graceful: false });
  out({
    variant: 'pgboss',
    schedules: n,
    fired: late.length,
    median_late_ms: Math.round(median(late)),
    p95_late_ms: Math.round(pct(late, 95)),
    max_late_ms: Math.round(Math.max(...late)),
  });
}

const modes: Record<string, () => Promise<void>> = {
  'warden-scale': wardenScale,
  'pgboss-scale': pgbossScale,
  'warden-latency': wardenLatency,
  'pgboss-latency': pgbossLatency,
};
await modes[mode]!();
process.exit(0);
