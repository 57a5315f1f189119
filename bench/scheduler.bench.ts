/**
 * The durable scheduler against pg-boss's schedules on the same Postgres, in one run:
 * - firing latency: 100 cron schedules ("* * * * *") in each, served side by side on the real
 *   clock through the same minute: the delay from the minute to each slot's code running;
 * - 10,000 schedules in one store: the time to define them, heap used, and, for Warden, the time
 *   of a pass deciding and starting the slots due that minute (about 1,000: every 10 minutes,
 *   spread) and until their runs have ended, on SQLite and Postgres, and of a pass with nothing
 *   due; for pg-boss, how long its cron pass takes to send the minute's 10,000 jobs.
 * Each measurement runs in a fresh process (bench/scheduler/variant.ts) with a fresh database
 * file or Postgres schema. Two minute boundaries are waited for, so a run takes 3-5 minutes.
 *
 *   npm run bench:scheduler                       # prints a markdown section
 *   npm run bench:scheduler -- --schedules 2000 --latency 50
 *
 * Postgres: WARDEN_BENCH_DATABASE_URL, else WARDEN_TEST_DATABASE_URL, else
 * postgres://postgres@127.0.0.1:5432/test.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { ensureBenchPeers } from './support/ensure-peers.ts';

const { values } = parseArgs({ options: { schedules: { type: 'string' }, latency: { type: 'string' } }, strict: true });
const schedules = Number(values.schedules ?? 10_000);
const latencyN = Number(values.latency ?? 100);
const pgUrl = process.env.WARDEN_BENCH_DATABASE_URL ?? process.env.WARDEN_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const variantScript = new URL('./scheduler/variant.ts', import.meta.url).pathname;
ensureBenchPeers(); // pg-boss, before the first variant imports it

type Result = Record<string, number | string | number[]>;
let tag = 0;
const schemas: string[] = [];

function args(variant: string, kind: string, n: number): { argv: string[]; env: NodeJS.ProcessEnv; dir: string } {
  const t = `${process.pid}_${++tag}`;
  schemas.push(`bench_${t}`);
  const dir = mkdtempSync(join(os.tmpdir(), 'warden-bench-'));
  return { argv: ['--expose-gc', variantScript, variant, kind, String(n), dir, pgUrl], env: { ...process.env, BENCH_TAG: t }, dir };
}

function lastJson(stdout: string, what: string, status: number | null, stderr: string): Result {
  const line = stdout
    .trim()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .pop();
  if (status !== 0 || line === undefined) throw new Error(`${what} failed (exit ${status}):\n${stderr.slice(-2000)}`);
  return JSON.parse(line) as Result;
}

function measure(variant: string, kind: string, n: number): Result {
  const { argv, env, dir } = args(variant, kind, n);
  const r = spawnSync(process.execPath, argv, { encoding: 'utf8', env, maxBuffer: 16 * 1024 * 1024 });
  rmSync(dir, { recursive: true, force: true });
  return lastJson(r.stdout, `${variant} ${kind}`, r.status, r.stderr);
}

function measureAsync(variant: string, kind: string, n: number): Promise<Result> {
  const { argv, env, dir } = args(variant, kind, n);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, argv, { env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('exit', (status) => {
      rmSync(dir, { recursive: true, force: true });
      try {
        resolve(lastJson(stdout, `${variant} ${kind}`, status, stderr));
      } catch (e) {
        reject(e);
      }
    });
  });
}

process.stderr.write(`scheduler bench: latency with ${latencyN} cron schedules each (waits for the next minute)\n`);
const [wardenLate, bossLate] = await Promise.all([measureAsync('warden-latency', 'postgres', latencyN), measureAsync('pgboss-latency', 'postgres', latencyN)]);
process.stderr.write(`scheduler bench: ${schedules} schedules in one store\n`);
const wardenSqlite = measure('warden-scale', 'sqlite', schedules);
const wardenPostgres = measure('warden-scale', 'postgres', schedules);
const boss = measure('pgboss-scale', 'postgres', schedules);

const client = new pg.Client({ connectionString: pgUrl });
await client.connect();
for (const s of schemas) await client.query(`DROP SCHEMA IF EXISTS ${s} CASCADE`);
await client.end();

const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
const lines = [
  `## Scheduler: firing latency and 10,000 schedules, against pg-boss`,
  '',
  `\`npm run bench:scheduler\` (${schedules.toLocaleString('en-US')} schedules, ${latencyN} for latency) on Node ${process.version}, ${os.cpus().length} × ${cpu}, Postgres at ${new URL(pgUrl).host}; pg-boss ${bossVersion()} with its defaults (cron pass every 30 s, polling every 2 s).`,
  '',
  `Firing latency, ${latencyN} cron schedules \`* * * * *\` each, served side by side through the same minute on the same Postgres (from the minute to the slot's code running):`,
  '',
  '| | fired | median | p95 | max |',
  '|---|---:|---:|---:|---:|',
  `| Warden (Postgres) | ${wardenLate.fired} | ${wardenLate.median_late_ms} ms | ${wardenLate.p95_late_ms} ms | ${wardenLate.max_late_ms} ms |`,
  `| pg-boss | ${bossLate.fired} | ${bossLate.median_late_ms} ms | ${bossLate.p95_late_ms} ms | ${bossLate.max_late_ms} ms |`,
  '',
  `${schedules.toLocaleString('en-US')} schedules in one store:`,
  '',
  '| | define all | heap | slots per pass | pass (decide + start) | pass until runs ended | pass, nothing due |',
  '|---|---:|---:|---:|---:|---:|---:|',
  ...[wardenSqlite, wardenPostgres].map(
    (r) =>
      `| Warden (${String(r.variant).replace('warden-', '')}) | ${r.define_ms} ms | ${r.heap_mb} MB | ${r.slots_per_pass} | ${r.pass_ms} ms | ${r.pass_to_runs_ended_ms} ms | ${r.idle_pass_ms} ms |`,
  ),
  `| pg-boss | ${boss.define_ms} ms | ${boss.heap_mb} MB | ${boss.jobs_sent} jobs (every schedule due) | ${boss.minute_to_last_job_ms} ms from the minute to its last job | - | - |`,
  '',
  `Raw pass times (ms, 5 virtual minutes): SQLite ${(wardenSqlite.raw_pass_ms as number[]).join(', ')}; Postgres ${(wardenPostgres.raw_pass_ms as number[]).join(', ')}.`,
  '',
];
process.stdout.write(`${lines.join('\n')}\n`);

function bossVersion(): string {
  const r = spawnSync(process.execPath, ['-p', "require('./bench/node_modules/pg-boss/package.json').version"], { encoding: 'utf8' });
  return r.stdout.trim() || '?';
}
