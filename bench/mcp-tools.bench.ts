/**
 * The overhead of an MCP tool call through Warden against the bare SDK client calling the same
 * server, in one run: `calls` sequential calls of one stdio server's `echo` tool (see
 * bench/mcp-tools/variant.ts for the variants: the bare SDK `Client`, Warden's tool with its
 * policies, supervised, and supervised with every call a journaled step on SQLite). Each
 * measurement runs in a fresh process with a fresh server and database; the variant order flips
 * every round; we report the medians and every round.
 *
 *   npm run bench:mcp-tools                          # 5 rounds, 500 calls
 *   npm run bench:mcp-tools -- --rounds 7 --calls 1000
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { rounds: { type: 'string' }, calls: { type: 'string' } }, strict: true });
const rounds = Number(values.rounds ?? 5);
const calls = Number(values.calls ?? 500);
const variantScript = new URL('./mcp-tools/variant.ts', import.meta.url).pathname;
const VARIANTS = ['sdk', 'warden-policies', 'warden-supervised', 'warden-supervised-journaled'] as const;

type Result = { variant: string; calls: number; totalMs: number; us_per_call: number; median_us: number; p99_us: number };

function measure(variant: string): Result {
  const dir = mkdtempSync(join(os.tmpdir(), 'warden-bench-mcp-'));
  try {
    const r = spawnSync(process.execPath, ['--conditions=warden-dev', variantScript, variant, String(calls), dir], { encoding: 'utf8', maxBuffer: 1 << 24 });
    if (r.status !== 0) throw new Error(`${variant} failed:\n${r.stderr}`);
    return JSON.parse(r.stdout.trim().split('\n').pop()!) as Result;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const results = new Map<string, Result[]>(VARIANTS.map((v) => [v, []]));
for (let round = 0; round < rounds; round++) {
  const order = round % 2 === 0 ? VARIANTS : [...VARIANTS].reverse();
  for (const v of order) {
    const r = measure(v);
    results.get(v)!.push(r);
    process.stderr.write(`round ${round + 1} ${v}: ${r.us_per_call.toFixed(0)} µs/call, median ${r.median_us.toFixed(0)} µs, p99 ${r.p99_us.toFixed(0)} µs\n`);
  }
}
const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
};
const base = results.get('sdk')!;
const baseMedian = median(base.map((r) => r.median_us));
const baseMean = median(base.map((r) => r.us_per_call));
console.log('| variant | median latency (µs) | × SDK | added (µs) | mean per call (µs) | × SDK | p99 (µs) |');
console.log('| --- | --- | --- | --- | --- | --- | --- |');
for (const v of VARIANTS) {
  const rs = results.get(v)!;
  const med = median(rs.map((r) => r.median_us));
  const mean = median(rs.map((r) => r.us_per_call));
  console.log(
    `| ${v} | ${med.toFixed(0)} | ${(med / baseMedian).toFixed(2)}× | ${(med - baseMedian).toFixed(0)} | ${mean.toFixed(0)} | ${(mean / baseMean).toFixed(2)}× | ${median(rs.map((r) => r.p99_us)).toFixed(0)} |`,
  );
}
console.log(`\n${rounds} rounds; ${calls} sequential calls each after 50 warm-up calls; ${os.cpus().length} cores, Node ${process.version}.\n\nRaw values:\n`);
for (const v of VARIANTS)
  console.log(
    `- ${v}: ${results
      .get(v)!
      .map((r) => `${r.median_us.toFixed(0)}/${r.us_per_call.toFixed(0)}/${r.p99_us.toFixed(0)}`)
      .join('; ')} (median/mean/p99 µs per round)`,
  );
