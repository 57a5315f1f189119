/**
 * Start-up time as an installed user sees it: `warden --help`, `import 'warden/runtime'`,
 * `import 'warden'` and `import 'warden/memory'` from the compiled package, beside a bare
 * `node` start and the import of peers a user might pick instead (LangGraph.js, DBOS Transact,
 * cockatiel), each in a fresh process, in one run.
 *
 * The package is built into `bench/out/startup/node_modules/warden/` (dist/, bin/ and
 * package.json, as `npm install` lays it out), so the CLI runs its compiled dist/ exactly as an
 * installed one does and dependencies resolve from the checkout's node_modules. Every variant
 * runs once to warm the compile cache and the file system cache, then `--rounds` times in
 * alternating order; we report the median, p95 and worst wall time of the whole process
 * (what a person waits for) and, for imports, the time of the import alone inside it.
 *
 *   npm run bench:startup                 # 15 rounds
 *   npm run bench:startup -- --rounds 30
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { ensureBenchPeers } from './support/ensure-peers.ts';

const repo = fileURLToPath(new URL('..', import.meta.url));
const app = `${repo}bench/out/startup/`;
const installed = `${app}node_modules/warden/`;

function option(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const value = i < 0 ? fallback : Number(process.argv[i + 1]);
  if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} must be a positive integer (got "${process.argv[i + 1]}")`);
  return value;
}
const rounds = option('rounds', 15);

function install(): void {
  rmSync(app, { recursive: true, force: true });
  mkdirSync(installed, { recursive: true });
  const build = spawnSync(process.execPath, [`${repo}node_modules/typescript/bin/tsc`, '-p', `${repo}tsconfig.build.json`, '--outDir', `${installed}dist`], {
    stdio: 'inherit',
  });
  if (build.status !== 0) throw new Error('the build failed');
  cpSync(`${repo}bin`, `${installed}bin`, { recursive: true });
  cpSync(`${repo}package.json`, `${installed}package.json`);
  writeFileSync(`${app}package.json`, JSON.stringify({ name: 'startup-bench-app', private: true, type: 'module' }));
  // One script per import, timing the import alone and printing it.
  writeFileSync(`${app}import.mjs`, 'const t = performance.now(); await import(process.argv[2]); process.stdout.write(String(performance.now() - t));\n');
}

interface Variant {
  readonly name: string;
  readonly args: readonly string[];
  /** The peer the variant stands for, or undefined for Warden's own. */
  readonly peer?: string;
}

ensureBenchPeers(); // LangGraph.js, DBOS Transact and cockatiel, in bench/node_modules

/** A peer's import, from the benchmarks' own install (bench/node_modules). */
function peerImport(name: string, module: string): Variant {
  return { name: `import '${module}'`, args: [`${app}import.mjs`, import.meta.resolve(module)], peer: name };
}

const variants: Variant[] = [
  { name: 'node (empty script)', args: ['-e', ''], peer: 'Node.js itself' },
  { name: 'warden --help', args: [`${installed}bin/warden`, '--help'] },
  { name: "import 'warden/runtime'", args: [`${app}import.mjs`, 'warden/runtime'] },
  { name: "import 'warden'", args: [`${app}import.mjs`, 'warden'] },
  { name: "import 'warden/memory'", args: [`${app}import.mjs`, 'warden/memory'] },
  peerImport('LangGraph.js', '@langchain/langgraph'),
  peerImport('DBOS Transact', '@dbos-inc/dbos-sdk'),
  peerImport('cockatiel', 'cockatiel'),
];

interface Sample {
  readonly wallMs: number;
  readonly importMs: number | undefined;
}

function runOnce(v: Variant): Sample {
  const start = performance.now();
  const r = spawnSync(process.execPath, [...v.args], { cwd: app, encoding: 'utf8' });
  const wallMs = performance.now() - start;
  if (r.status !== 0) throw new Error(`${v.name} exited ${r.status}: ${r.stderr.trim().split('\n')[0]}`);
  const printed = v.args[0] === `${app}import.mjs` ? Number(r.stdout) : undefined;
  return { wallMs, importMs: printed };
}

function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
}

install();
const samples = new Map<string, Sample[]>(variants.map((v) => [v.name, []]));
for (const v of variants) runOnce(v); // warm the compile cache and the page cache
for (let round = 0; round < rounds; round++) {
  const order = round % 2 === 0 ? variants : [...variants].reverse();
  for (const v of order) samples.get(v.name)?.push(runOnce(v));
}

const ms = (n: number | undefined): string => (n === undefined || Number.isNaN(n) ? '—' : n.toFixed(0));
const lines = [`| command | peer | wall median (ms) | wall p95 (ms) | wall worst (ms) | import alone, median (ms) |`, `| --- | --- | --- | --- | --- | --- |`];
for (const v of variants) {
  const s = samples.get(v.name) ?? [];
  const wall = s.map((x) => x.wallMs);
  const imports = s.flatMap((x) => (x.importMs === undefined ? [] : [x.importMs]));
  lines.push(
    `| ${v.name} | ${v.peer ?? 'Warden'} | ${ms(quantile(wall, 0.5))} | ${ms(quantile(wall, 0.95))} | ${ms(Math.max(...wall))} | ${imports.length === 0 ? '—' : ms(quantile(imports, 0.5))} |`,
  );
}
const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
console.log(lines.join('\n'));
console.log(`\n${rounds} rounds; ${os.cpus().length} × ${cpu}, Node ${process.version}.`);
