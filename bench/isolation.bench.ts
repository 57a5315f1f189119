/**
 * Isolation benchmark: time from "hung" (a stuck child is killed) to "replacement ready" for a
 * remote child in its own thread and one in its own process, against the raw equivalents (a bare
 * `new Worker` / child process loading the same module: spawned alone, and killed-while-spinning
 * then respawned), and memory per idle remote child against the same bare thread / process.
 *
 *   npm run bench:isolation -- [--rounds N] [--samples N]
 *
 * Each measurement runs in a fresh process (bench/isolation/run.ts); the order alternates
 * between rounds; the table reports medians across rounds, raw values follow.
 */
import { execFileSync } from 'node:child_process';
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '3' }, samples: { type: 'string', default: '20' } } });
const rounds = Number(values.rounds);
const samples = values.samples as string;
const RUN = new URL('./isolation/run.ts', import.meta.url).pathname;
const groups = [
  ['warden-thread', 'raw-replace-thread', 'raw-thread'],
  ['warden-process', 'raw-replace-process', 'raw-process'],
  ['memory-warden-thread', 'memory-raw-thread'],
  ['memory-warden-process', 'memory-raw-process'],
] as const;

const raw: Record<string, Array<Record<string, number>>> = {};
for (let round = 0; round < rounds; round++) {
  for (const group of groups) {
    for (const mode of round % 2 === 0 ? group : [...group].reverse()) {
      const out = execFileSync(process.execPath, [RUN, mode, samples], { encoding: 'utf8', timeout: 600_000 });
      const r = JSON.parse(out.trim().split('\n').at(-1) as string) as Record<string, number>;
      (raw[mode] ??= []).push(r);
      process.stderr.write(`round ${round + 1} ${mode}: ${JSON.stringify(r)}\n`);
    }
  }
}
const med = (mode: string, key: string): number => {
  const xs = (raw[mode] ?? []).map((r) => Number(r[key])).sort((a, b) => a - b);
  return xs[Math.floor(xs.length / 2)] as number;
};
const f = (x: number, d = 1): string => x.toFixed(d);
const rows = [
  ['thread: hung → replacement ready (ms, median)', med('warden-thread', 'median_ms'), med('raw-replace-thread', 'median_ms'), med('raw-thread', 'median_ms')],
  [
    'process: hung → replacement ready (ms, median)',
    med('warden-process', 'median_ms'),
    med('raw-replace-process', 'median_ms'),
    med('raw-process', 'median_ms'),
  ],
] as const;
const lines = [
  '| measure | Warden | raw: kill + respawn | raw: spawn | Warden / raw kill + respawn | Warden / raw spawn | target |',
  '| --- | --- | --- | --- | --- | --- | --- |',
  ...rows.map(([m, w, rr, rs]) => `| ${m} | ${f(w)} | ${f(rr)} | ${f(rs)} | ${f(w / rr, 2)}× | ${f(w / rs, 2)}× | ≤ 1.5× |`),
  '',
  '| measure | Warden | raw | Warden / raw |',
  '| --- | --- | --- | --- |',
  `| memory per idle thread child (MiB of process RSS) | ${f(med('memory-warden-thread', 'mib_per_child'))} | ${f(med('memory-raw-thread', 'mib_per_child'))} | ${f(med('memory-warden-thread', 'mib_per_child') / med('memory-raw-thread', 'mib_per_child'), 2)}× |`,
  `| memory per idle process child (MiB of its RSS) | ${f(med('memory-warden-process', 'mib_per_child'))} | ${f(med('memory-raw-process', 'mib_per_child'))} | ${f(med('memory-warden-process', 'mib_per_child') / med('memory-raw-process', 'mib_per_child'), 2)}× |`,
];
process.stdout.write(
  `${lines.join('\n')}\n\n${rounds} rounds × ${samples} samples; ${cpus().length} cores, Node ${process.version}.\n\nRaw values:\n\n${Object.entries(raw)
    .map(([mode, rs]) => `- ${mode}: ${rs.map((r) => JSON.stringify(r)).join('; ')}`)
    .join('\n')}\n`,
);
