/**
 * What the live reliability figures cost: the ReliabilityTracker (MTBF/MTTR kept up to date
 * from the bus) beside nothing listening, and beside the other way to get the same figures
 * (keeping every event, then one `reliabilityOf` over them), per event emitted and per crash →
 * restart cycle of a real supervisor. Each measurement is a fresh process
 * (bench/health/variant.ts); the variant order flips every round; we report the median, its
 * ratio to `none`, and every round's value.
 *
 *   npm run bench:health                       # 5 rounds; prints a markdown section
 *   npm run bench:health -- --rounds 3 --events 500000 --restarts 10000
 */
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { rounds: { type: 'string' }, events: { type: 'string' }, restarts: { type: 'string' } }, strict: true });
const rounds = Number(values.rounds ?? 5);
const events = Number(values.events ?? 500_000);
const restarts = Number(values.restarts ?? 10_000);
const variantScript = new URL('./health/variant.ts', import.meta.url).pathname;

const VARIANTS = ['none', 'tracker', 'recorder'] as const;
const LABEL: Record<(typeof VARIANTS)[number], string> = {
  none: 'nothing listens',
  tracker: 'live ReliabilityTracker',
  recorder: 'every event kept, then reliabilityOf',
};

function measure(variant: string, workload: string, n: number): number {
  const r = spawnSync(process.execPath, [variantScript, variant, workload, String(n)], { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
  const line = r.stdout
    .trim()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .pop();
  if (r.status !== 0 || line === undefined) throw new Error(`${variant} ${workload} failed (exit ${r.status}):\n${r.stderr.slice(-2000)}`);
  return (JSON.parse(line) as { us_per_op: number }).us_per_op;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};

const WORKLOADS = [
  ['emit', events, 'per supervisor event emitted (µs)'],
  ['restart', restarts, 'per crash → restart of a real child (µs)'],
] as const;
const raw: Record<string, number[]> = {};
for (let round = 0; round < rounds; round++) {
  const order = round % 2 === 0 ? VARIANTS : [...VARIANTS].reverse();
  for (const [workload, n] of WORKLOADS) {
    for (const v of order) {
      const us = measure(v, workload, n);
      (raw[`${workload}/${v}`] ??= []).push(us);
      process.stderr.write(`round ${round + 1} ${workload} ${v}: ${us.toFixed(4)} µs\n`);
    }
  }
}

const lines: string[] = [];
lines.push(`Node ${process.version}, ${os.cpus()[0]?.model ?? 'cpu'} × ${os.cpus().length}, ${rounds} rounds, ${events} events, ${restarts} restarts.`, '');
lines.push('| workload | variant | median µs | vs nothing listening | rounds (µs) |', '|---|---|---|---|---|');
for (const [workload, , title] of WORKLOADS) {
  const base = median(raw[`${workload}/none`] ?? []);
  for (const v of VARIANTS) {
    const xs = raw[`${workload}/${v}`] ?? [];
    const m = median(xs);
    lines.push(`| ${title} | ${LABEL[v]} | ${m.toFixed(4)} | ${(m / base).toFixed(2)}× | ${xs.map((x) => x.toFixed(4)).join(', ')} |`);
  }
}
console.log(lines.join('\n'));
