/**
 * Durable runs against DBOS Transact (on the same Postgres) and LangGraph.js with its SQLite
 * checkpointer, in one run: per-step overhead of a journaled step, throughput with 100
 * concurrent runs (group commit), and time from restart to the first new step of a resumed
 * 1,000-step run. Each measurement runs in a fresh process (bench/durable/variant.ts) with a
 * fresh database file or Postgres schema; the variant order flips every round; we report the
 * median and every round's value.
 *
 *   npm run bench:durable                        # 5 rounds; prints a markdown section
 *   npm run bench:durable -- --rounds 3 --steps 300
 *
 * Postgres: WARDEN_BENCH_DATABASE_URL, else WARDEN_TEST_DATABASE_URL, else
 * postgres://postgres@127.0.0.1:5432/test.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { ensureBenchPeers } from './support/ensure-peers.ts';

const { values } = parseArgs({
  options: { rounds: { type: 'string' }, steps: { type: 'string' }, concurrentSteps: { type: 'string' }, peerConcurrentSteps: { type: 'string' } },
  strict: true,
});
const rounds = Number(values.rounds ?? 5);
const steps = Number(values.steps ?? 500);
const concurrentSteps = Number(values.concurrentSteps ?? 100);
const peerConcurrentSteps = Number(values.peerConcurrentSteps ?? 10);
const pgUrl = process.env.WARDEN_BENCH_DATABASE_URL ?? process.env.WARDEN_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const variantScript = new URL('./durable/variant.ts', import.meta.url).pathname;
ensureBenchPeers(); // DBOS Transact and LangGraph.js, before the first variant imports them

type Result = Record<string, number | string>;
let tag = 0;
const schemas: string[] = [];

function measure(variant: string, mode: string, n: number, dir?: string, tagOverride?: string): Result {
  const t = tagOverride ?? `${process.pid}_${++tag}`;
  if (tagOverride === undefined) schemas.push(`bench_${t}`);
  const workDir = dir ?? mkdtempSync(join(os.tmpdir(), 'warden-bench-'));
  const r = spawnSync(process.execPath, [variantScript, variant, mode, String(n), workDir, pgUrl], {
    encoding: 'utf8',
    env: { ...process.env, BENCH_TAG: t },
    maxBuffer: 16 * 1024 * 1024,
  });
  if (dir === undefined) rmSync(workDir, { recursive: true, force: true });
  const line = r.stdout
    .trim()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .pop();
  if (r.status !== 0 || line === undefined) throw new Error(`${variant} ${mode} failed (exit ${r.status}):\n${r.stderr.slice(-2000)}`);
  return JSON.parse(line) as Result;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

const perStep = ['warden-sqlite', 'langgraph-sqlite', 'langgraph-sqlite-default', 'warden-postgres', 'dbos'];
const concurrent: [string, number][] = [
  ['warden-sqlite', concurrentSteps],
  ['warden-postgres', concurrentSteps],
  ['dbos', peerConcurrentSteps],
  ['langgraph-sqlite', peerConcurrentSteps],
];
const raw: Record<string, number[]> = {};
const push = (k: string, v: number): void => {
  (raw[k] ??= []).push(v);
};

for (let round = 0; round < rounds; round++) {
  const order = round % 2 === 0 ? perStep : [...perStep].reverse();
  for (const v of order) push(`steps ${v}`, Number(measure(v, 'steps', steps).us_per_step));
  const corder = round % 2 === 0 ? concurrent : [...concurrent].reverse();
  for (const [v, n] of corder) push(`concurrent ${v}`, Number(measure(v, 'concurrent', n).steps_per_s));
  for (const v of round % 2 === 0 ? ['warden-sqlite', 'warden-postgres'] : ['warden-postgres', 'warden-sqlite']) {
    const dir = mkdtempSync(join(os.tmpdir(), 'warden-bench-resume-'));
    const t = `${process.pid}_r${++tag}`;
    schemas.push(`bench_${t}`);
    measure(v, 'resume-prepare', 1000, dir, t);
    const r = measure(v, 'resume', 1000, dir, t);
    push(`resume ${v}`, Number(r.restart_to_first_new_step_ms));
    rmSync(dir, { recursive: true, force: true });
  }
  process.stderr.write(`round ${round + 1}/${rounds} done\n`);
}

const client = new pg.Client({ connectionString: pgUrl });
await client.connect();
for (const s of schemas) await client.query(`DROP SCHEMA IF EXISTS ${s} CASCADE`);
await client.end();

const m = (k: string): number => median(raw[k] ?? [NaN]);
const fmt = (x: number, d = 0): string => (Number.isFinite(x) ? x.toFixed(d) : '—');
const fasterPeerSqlite = m('steps langgraph-sqlite');
const fasterPeerPg = m('steps dbos');
const fasterPeer = Math.min(fasterPeerSqlite, fasterPeerPg);
const cpu = os.cpus()[0]?.model ?? 'unknown CPU';

const out: string[] = [];
out.push('## Durable runs vs DBOS Transact and LangGraph.js');
out.push('');
out.push(
  `Command: \`npm run bench:durable -- --rounds ${rounds} --steps ${steps}\` (bench/durable.bench.ts, bench/durable/variant.ts). ` +
    `Node ${process.version}, ${cpu}, ${os.cpus().length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.platform()} ${os.arch()}; ` +
    `PostgreSQL on the same machine. Each measurement is a fresh process with a fresh database file or schema; the order flips every round; medians of ${rounds} rounds.`,
);
out.push('');
out.push('| per-step overhead, sequential durable steps (µs/step) | median | vs faster peer at equal durability |');
out.push('| --- | ---: | ---: |');
out.push(`| Warden, SQLite (WAL, synchronous=FULL) | ${fmt(m('steps warden-sqlite'))} | ${fmt(m('steps warden-sqlite') / fasterPeer, 2)}× |`);
out.push(`| LangGraph.js + SqliteSaver, synchronous=FULL (as Warden) | ${fmt(m('steps langgraph-sqlite'))} | |`);
out.push(`| LangGraph.js + SqliteSaver, its default (WAL, synchronous=NORMAL: not durable per step) | ${fmt(m('steps langgraph-sqlite-default'))} | |`);
out.push(`| Warden, Postgres (synchronous_commit=on) | ${fmt(m('steps warden-postgres'))} | ${fmt(m('steps warden-postgres') / fasterPeer, 2)}× |`);
out.push(`| DBOS Transact, same Postgres | ${fmt(m('steps dbos'))} | |`);
out.push('');
out.push('| throughput, 100 concurrent runs (steps/s) | median |');
out.push('| --- | ---: |');
out.push(`| Warden, SQLite, group commit (${concurrentSteps} steps per run) | ${fmt(m('concurrent warden-sqlite'))} |`);
out.push(`| Warden, Postgres, group commit (${concurrentSteps} steps per run) | ${fmt(m('concurrent warden-postgres'))} |`);
out.push(`| DBOS Transact (${peerConcurrentSteps} steps per run) | ${fmt(m('concurrent dbos'))} |`);
out.push(`| LangGraph.js + SqliteSaver, synchronous=FULL (${peerConcurrentSteps} steps per run) | ${fmt(m('concurrent langgraph-sqlite'))} |`);
out.push('');
out.push('| restart → first new step of a resumed 1,000-step run (ms, from opening the store) | median |');
out.push('| --- | ---: |');
out.push(`| Warden, SQLite | ${fmt(m('resume warden-sqlite'), 1)} |`);
out.push(`| Warden, Postgres | ${fmt(m('resume warden-postgres'), 1)} |`);
out.push('');
out.push(
  `Faster peer per step: ${fasterPeerSqlite <= fasterPeerPg ? 'LangGraph.js (SQLite, synchronous=FULL)' : 'DBOS Transact (Postgres)'}, ${fmt(fasterPeer)} µs.`,
);
out.push('');
out.push('Raw values (one per round, in round order):');
out.push('');
for (const [k, xs] of Object.entries(raw)) out.push(`- ${k}: ${xs.map((x) => fmt(x, k.startsWith('resume') ? 1 : 0)).join(', ')}`);
process.stdout.write(`${out.join('\n')}\n`);
