/**
 * What telemetry costs per model call (demo-like: a durable step calling the resilient client
 * over the official SDK to the simulated server on loopback) and per durable step (SQLite), with
 * telemetry off, with instrument() on the OpenTelemetry API and no SDK, with the SDK registered
 * but exporting nothing, and with the SDK exporting every span in memory, side by side in one
 * run: the telemetry's own work (the operation's recorded events emitted again) and the
 * operation end to end. Each measurement is a fresh process (bench/otel/variant.ts); the variant
 * order flips every round; we report medians of CPU time, the ratio to `off`, and every round.
 *
 *   npm run bench:otel                          # 5 rounds; prints a markdown section
 *   npm run bench:otel -- --rounds 3 --calls 200 --steps 300 --events 20000
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: { rounds: { type: 'string' }, calls: { type: 'string' }, steps: { type: 'string' }, events: { type: 'string' } },
  strict: true,
});
const rounds = Number(values.rounds ?? 5);
const calls = Number(values.calls ?? 200);
const steps = Number(values.steps ?? 300);
const events = Number(values.events ?? 20_000);
const variantScript = new URL('./otel/variant.ts', import.meta.url).pathname;

const VARIANTS = ['off', 'no-sdk', 'sdk-no-export', 'sdk-memory'] as const;
const LABEL: Record<(typeof VARIANTS)[number], string> = {
  off: 'telemetry off (nothing listens)',
  'no-sdk': 'instrument(), no SDK (API no-op)',
  'sdk-no-export': 'instrument(), SDK registered, no exporter',
  'sdk-memory': 'instrument(), SDK exporting to memory',
};

function measure(variant: string, workload: string, n: number): { cpu_us_per_op: number; us_per_op: number; spans_exported: number } {
  const dir = mkdtempSync(join(os.tmpdir(), 'warden-bench-otel-'));
  const r = spawnSync(process.execPath, [variantScript, variant, workload, String(n), dir], { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
  rmSync(dir, { recursive: true, force: true });
  const line = r.stdout
    .trim()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .pop();
  if (r.status !== 0 || line === undefined) throw new Error(`${variant} ${workload} failed (exit ${r.status}):\n${r.stderr.slice(-2000)}`);
  return JSON.parse(line) as { cpu_us_per_op: number; us_per_op: number; spans_exported: number };
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};

const WORKLOADS = [
  ['model-events', events],
  ['step-events', events],
  ['model', calls],
  ['step', steps],
] as const;
const raw: Record<string, number[]> = {};
const wall: Record<string, number[]> = {};
const spansPerOp: Record<string, number> = {};
for (let round = 0; round < rounds; round++) {
  const order = round % 2 === 0 ? VARIANTS : [...VARIANTS].reverse();
  for (const [workload, n] of WORKLOADS) {
    for (const v of order) {
      const r = measure(v, workload, n);
      (raw[`${workload} ${v}`] ??= []).push(r.cpu_us_per_op);
      (wall[`${workload} ${v}`] ??= []).push(r.us_per_op);
      spansPerOp[`${workload} ${v}`] = r.spans_exported / (n + (workload.endsWith('events') ? 1000 : 20));
    }
  }
  process.stderr.write(`round ${round + 1}/${rounds} done\n`);
}

const m = (k: string): number => median(raw[k] ?? [Number.NaN]);
const fmt = (x: number, d = 0): string => (Number.isFinite(x) ? x.toFixed(d) : '—');
const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
const out: string[] = [];
out.push('## Telemetry: overhead per model call and per durable step');
out.push('');
out.push(
  `Command: \`npm run bench:otel -- --rounds ${rounds} --calls ${calls} --steps ${steps} --events ${events}\` (bench/otel.bench.ts, bench/otel/variant.ts). ` +
    `Node ${process.version}, ${cpu}, ${os.cpus().length} cores, ${os.platform()} ${os.arch()}. ` +
    `Each measurement is a fresh process; the order flips every round; medians of ${rounds} rounds of CPU time (user + system) per operation, ` +
    'which other load on the machine disturbs less than wall time. ' +
    '*Telemetry work*: the events of one real durable step that makes one model call (recorded from a run against the simulated server: step started, request, response, completed, step completed), or of one plain step, emitted again on the bus: what instrument() adds per operation. ' +
    "*End to end*: sequential model calls through the resilient client over the official openai SDK to the simulated server on loopback (the demo's path), and a durable run of trivial steps on SQLite (WAL, synchronous=FULL).",
);
out.push('');
out.push(
  '| variant | telemetry work per model call (µs) | per durable step (µs) | spans exported per call / step | end to end per model call (µs) | vs off | end to end per durable step (µs) | vs off |',
);
out.push('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
for (const v of VARIANTS) {
  out.push(
    `| ${LABEL[v]} | ${fmt(m(`model-events ${v}`), 1)} | ${fmt(m(`step-events ${v}`), 1)} | ${fmt(spansPerOp[`model-events ${v}`] ?? 0, 0)} / ${fmt(spansPerOp[`step-events ${v}`] ?? 0, 0)} | ${fmt(m(`model ${v}`))} | ${fmt(m(`model ${v}`) / m('model off'), 2)}× | ${fmt(m(`step ${v}`))} | ${fmt(m(`step ${v}`) / m('step off'), 2)}× |`,
  );
}
out.push('');
out.push('Raw values (CPU µs per operation, one per round, in round order; wall µs in brackets):');
out.push('');
for (const [k, xs] of Object.entries(raw)) out.push(`- ${k}: ${xs.map((x, i) => `${fmt(x, 1)} [${fmt(wall[k]?.[i] ?? Number.NaN, 1)}]`).join(', ')}`);
process.stdout.write(`${out.join('\n')}\n`);
