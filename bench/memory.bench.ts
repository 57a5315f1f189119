/**
 * The memory server against the reference (`@modelcontextprotocol/server-memory`), in one run:
 * write throughput and latency on a 10,000-entity graph (plus 10,000 relations) with 8
 * concurrent MCP clients over stdio, each with its own server process on the one shared graph
 * (as 8 agents each configured with a stdio memory server), and how many acknowledged writes
 * were lost. The `warden-http-*` variants serve the same 8 clients from one Warden server process
 * over Streamable HTTP, a mode the reference does not have. The `-alone` variants are the stdio
 * ones without the shared writer (`--no-share`: each server writes for itself). Each
 * measurement runs in a fresh process (bench/memory/variant.ts) on a fresh copy of the graph;
 * the variant order flips every round; we report the median and every round.
 *
 *   npm run bench:memory                                   # 3 rounds, 1,000 writes per client
 *   npm run bench:memory -- --rounds 5 --writes 1000 --reference-writes 25
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { rounds: { type: 'string' }, writes: { type: 'string' }, 'reference-writes': { type: 'string' } }, strict: true });
const rounds = Number(values.rounds ?? 3);
const writes = Number(values.writes ?? 1000);
const referenceWrites = Number(values['reference-writes'] ?? 25);
const variantScript = new URL('./memory/variant.ts', import.meta.url).pathname;
const VARIANTS = ['reference', 'warden-file', 'warden-sqlite', 'warden-file-alone', 'warden-sqlite-alone', 'warden-http-file', 'warden-http-sqlite'] as const;

type Result = { variant: string; writes: number; opsPerSec: number; medianMs: number; p99Ms: number; failed: number; lost: number };

function measure(variant: string): Result {
  const dir = mkdtempSync(join(os.tmpdir(), 'warden-bench-memory-'));
  try {
    const n = variant === 'reference' ? referenceWrites : writes;
    const r = spawnSync(process.execPath, ['--conditions=warden-dev', variantScript, variant, String(n), dir], { encoding: 'utf8', maxBuffer: 1 << 24 });
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
    process.stderr.write(
      `round ${round + 1} ${v}: ${r.opsPerSec.toFixed(1)} ops/s, median ${r.medianMs.toFixed(2)} ms, p99 ${r.p99Ms.toFixed(2)} ms, lost ${r.lost}/${r.writes}\n`,
    );
  }
}
const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
};
const ref = median(results.get('reference')!.map((r) => r.opsPerSec));
console.log('| variant | writes/s (median) | × reference | latency median (ms) | latency p99 (ms) | writes lost (all rounds) |');
console.log('| --- | --- | --- | --- | --- | --- |');
for (const v of VARIANTS) {
  const rs = results.get(v)!;
  const ops = median(rs.map((r) => r.opsPerSec));
  const lost = rs.reduce((a, r) => a + r.lost, 0);
  const total = rs.reduce((a, r) => a + r.writes, 0);
  console.log(
    `| ${v} | ${ops.toFixed(1)} | ${(ops / ref).toFixed(1)}× | ${median(rs.map((r) => r.medianMs)).toFixed(2)} | ${median(rs.map((r) => r.p99Ms)).toFixed(2)} | ${lost} of ${total} |`,
  );
}
console.log(
  `\n${rounds} rounds; 8 clients; ${writes} writes per client (reference: ${referenceWrites}); ${os.cpus().length} cores, Node ${process.version}.\n\nRaw values:\n`,
);
for (const v of VARIANTS)
  console.log(
    `- ${v}: ${results
      .get(v)!
      .map((r) => JSON.stringify(r))
      .join('; ')}`,
  );
