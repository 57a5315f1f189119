/**
 * The libraries the benchmarks compare Warden with (LangGraph.js, DBOS Transact, cockatiel,
 * opossum) are the benchmarks' own dependencies, in bench/package.json, so that installing
 * Warden does not install them. A benchmark that needs them awaits `ensureBenchPeers()` before
 * its first import of one; on the first run this installs them into bench/node_modules from
 * bench/package-lock.json (`npm ci --prefix bench`, a minute or so), later runs find them there.
 *
 *   node bench/support/ensure-peers.ts     # install them now (npm run bench:peers)
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const BENCH = fileURLToPath(new URL('..', import.meta.url));

/** The names in bench/package.json's dependencies that bench/node_modules does not have. */
export function missingBenchPeers(): string[] {
  const manifest = JSON.parse(readFileSync(`${BENCH}package.json`, 'utf8')) as { dependencies: Record<string, string> };
  return Object.keys(manifest.dependencies).filter((name) => !existsSync(`${BENCH}node_modules/${name}/package.json`));
}

/** Install the benchmarks' peers into bench/node_modules unless they are all there. */
export function ensureBenchPeers(): void {
  const missing = missingBenchPeers();
  if (missing.length === 0) return;
  process.stderr.write(`bench: installing the benchmarks' peers into bench/node_modules (missing: ${missing.join(', ')})\n`);
  // Under `npm run`, the npm that runs us; otherwise the one on PATH.
  const npmCli = process.env.npm_execpath;
  const [command, args] = npmCli?.endsWith('.js') ? [process.execPath, [npmCli]] : ['npm', []];
  const r = spawnSync(command, [...args, 'ci', '--prefix', BENCH, '--no-audit', '--no-fund'], { stdio: ['ignore', 'inherit', 'inherit'] });
  const still = r.status === 0 ? missingBenchPeers() : missing;
  if (r.status !== 0 || still.length > 0) {
    throw new Error(
      `bench: could not install the benchmarks' peers (npm ci --prefix bench ${r.error ? `failed: ${r.error.message}` : `exited ${r.status}`}; missing: ${still.join(', ')})`,
    );
  }
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) ensureBenchPeers();
