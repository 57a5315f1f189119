/**
 * One isolation measurement per run, printed as one JSON line:
 *   node bench/isolation/run.ts <mode> [n]
 *
 * - warden-thread / warden-process: a supervisor with one remote child that hangs (spins); kill
 *   it (as a watchdog or a shutdown timeout would) and time until its replacement's main
 *   process runs. n samples; median and p90 in ms.
 * - raw-thread / raw-process: spawn a bare `new Worker` / `fork` that loads the same module and
 *   reports ready; n samples.
 * - raw-replace-thread / raw-replace-process: the raw equivalent of the restart: make a bare
 *   worker/process spin, kill it and spawn a new one at once.
 * - memory-warden-thread / memory-warden-process / memory-raw-thread / memory-raw-process: start
 *   n idle children and report memory per child: this process's RSS growth for threads, the
 *   children's own RSS for processes.
 * Everything enables V8's compile cache, as Warden's guests do.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { enableCompileCache } from 'node:module';
import { Worker } from 'node:worker_threads';
import { Runtime, realClock, type Pid } from '../../src/runtime/index.ts';
import { childProcess, thread } from '../../src/isolation/index.ts';
import { startSupervisor, stopSupervisor, whichChildren } from '../../src/supervisor/index.ts';

enableCompileCache();
const FIXTURE = new URL('../../test/fixtures/remote/echo.ts', import.meta.url);
// A bare worker that loads the module, reports ready and stays idle (a port listener keeps it alive).
const RAW_THREAD = `require('node:module').enableCompileCache(); const { parentPort } = require('node:worker_threads'); parentPort.on('message', () => {}); import(${JSON.stringify(FIXTURE.href)}).then(() => parentPort.postMessage('ready'))`;
const RAW_CHILD = new URL('./raw-child.ts', import.meta.url);
/** A bare child process, booted the fastest way (a script that imports the TypeScript entry), with IPC. */
function rawFork(args: string[]): ChildProcess {
  const boot = `require('node:module').enableCompileCache?.(); import(${JSON.stringify(RAW_CHILD.href)});`;
  return spawn(process.execPath, ['-e', boot, '--', ...args], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], serialization: 'advanced' });
}
const [mode = 'warden-thread', nArg] = process.argv.slice(2);
const n = Number(nArg ?? 20);
const now = (): number => performance.now();

function stats(samples: number[]): { median_ms: number; p90_ms: number } {
  const s = [...samples].sort((a, b) => a - b);
  return { median_ms: s[Math.floor(s.length / 2)] as number, p90_ms: s[Math.min(s.length - 1, Math.floor(s.length * 0.9))] as number };
}

async function wardenRestart(isolation: 'thread' | 'process'): Promise<object> {
  const rt = new Runtime({ clock: realClock });
  const start = isolation === 'thread' ? thread(FIXTURE) : childProcess(FIXTURE);
  const sup = await startSupervisor(rt, { intensity: 1000, periodSeconds: 1, children: [{ id: 'c', start }] });
  const samples: number[] = [];
  for (let i = 0; i < n + 2; i++) {
    const [c] = await whichChildren(rt, sup);
    rt.send(c?.pid as Pid, { op: 'spin' }); // hung
    const ready = rt.events.next('supervisor.child_restarted');
    const t0 = now();
    rt.sendExit(c?.pid as Pid, 'kill');
    await ready;
    if (i >= 2) samples.push(now() - t0);
  }
  await stopSupervisor(rt, sup);
  return stats(samples);
}

/** The raw equivalent of a restart: a spinning worker/process is killed and a new one spawned at once. */
async function rawReplace(isolation: 'thread' | 'process'): Promise<object> {
  const samples: number[] = [];
  const spawnOne = async (): Promise<{ kill(): void }> => {
    if (isolation === 'thread') {
      const w = new Worker(RAW_THREAD + `; parentPort.on('message', () => { for (;;) {} })`, { eval: true });
      await new Promise((r) => w.once('message', r));
      return { kill: () => void w.terminate(), spin: () => w.postMessage('spin') } as { kill(): void; spin(): void };
    }
    const c = rawFork([FIXTURE.href, 'spin']);
    await new Promise((r) => c.once('message', r));
    return { kill: () => c.kill('SIGKILL'), spin: () => c.send('spin') } as { kill(): void; spin(): void };
  };
  let current = (await spawnOne()) as { kill(): void; spin(): void };
  for (let i = 0; i < n + 2; i++) {
    current.spin();
    const t0 = now();
    current.kill();
    current = (await spawnOne()) as { kill(): void; spin(): void };
    if (i >= 2) samples.push(now() - t0);
  }
  current.kill();
  return stats(samples);
}

async function rawSpawn(isolation: 'thread' | 'process'): Promise<object> {
  const samples: number[] = [];
  for (let i = 0; i < n + 2; i++) {
    const t0 = now();
    if (isolation === 'thread') {
      const w = new Worker(RAW_THREAD, { eval: true });
      await new Promise((r) => w.once('message', r));
      if (i >= 2) samples.push(now() - t0);
      await w.terminate();
    } else {
      const c = rawFork([FIXTURE.href]);
      await new Promise((r) => c.once('message', r));
      if (i >= 2) samples.push(now() - t0);
      c.kill('SIGKILL');
      await new Promise((r) => c.once('exit', r));
    }
  }
  return stats(samples);
}

const rssOf = (pid: number): number => {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m?.[1] ?? 0) * 1024;
};

async function memory(kind: 'warden-thread' | 'warden-process' | 'raw-thread' | 'raw-process'): Promise<object> {
  const before = process.memoryUsage().rss;
  const osPids: number[] = [];
  const cleanup: Array<() => unknown> = [];
  const rt = new Runtime({ clock: realClock });
  rt.events.on('isolation.started', (e) => e.osId !== undefined && osPids.push(e.osId));
  for (let i = 0; i < n; i++) {
    if (kind === 'warden-thread' || kind === 'warden-process') {
      const sup = await startSupervisor(rt, { children: [{ id: 'c', start: kind === 'warden-thread' ? thread(FIXTURE) : childProcess(FIXTURE) }] });
      cleanup.push(() => stopSupervisor(rt, sup));
    } else if (kind === 'raw-thread') {
      const w = new Worker(RAW_THREAD, { eval: true });
      await new Promise((r) => w.once('message', r));
      cleanup.push(() => w.terminate());
    } else {
      const c = rawFork([FIXTURE.href]);
      await new Promise((r) => c.once('message', r));
      if (c.pid !== undefined) osPids.push(c.pid);
      cleanup.push(() => c.kill('SIGKILL'));
    }
  }
  await realClock.sleep(500); // let start-up garbage be collected before reading memory
  const perChild = kind.endsWith('process') ? osPids.reduce((sum, p) => sum + rssOf(p), 0) / n : (process.memoryUsage().rss - before) / n;
  for (const c of cleanup) await c();
  return { mib_per_child: perChild / 2 ** 20 };
}

const modes: Record<string, () => Promise<object>> = {
  'warden-thread': () => wardenRestart('thread'),
  'warden-process': () => wardenRestart('process'),
  'raw-thread': () => rawSpawn('thread'),
  'raw-process': () => rawSpawn('process'),
  'raw-replace-thread': () => rawReplace('thread'),
  'raw-replace-process': () => rawReplace('process'),
  'memory-warden-thread': () => memory('warden-thread'),
  'memory-warden-process': () => memory('warden-process'),
  'memory-raw-thread': () => memory('raw-thread'),
  'memory-raw-process': () => memory('raw-process'),
};
const fn = modes[mode];
if (fn === undefined) throw new Error(`unknown mode ${mode}`);
console.log(JSON.stringify({ mode, n, ...(await fn()) }));
process.exit(0);
