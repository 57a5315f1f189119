/**
 * The Warden side of the runtime benchmark. One measurement per run, in a fresh process,
 * printed as one JSON line: `node --expose-gc warden.ts <mode> [n]`.
 *
 * - restart: a one_for_one supervisor, one child; kill the child and wait until its
 *   replacement runs; n times (a fresh supervisor every 100). Median and p99 in µs.
 * - messages: one process sends n messages to another, which receives them all in a
 *   `receive` loop (one await per message).
 * - server-messages: the same, received by a server's handleInfo (no await per message).
 * - call: n sequential request/reply round trips to a server, from a process.
 * - memory: n idle processes (each waiting in receive); bytes of heap per process.
 * - server-memory: n idle servers; bytes of heap per server.
 * Throughput modes run a tenth of the work first, so both runtimes are measured warm.
 * - spawn: spawn n processes and wait until all are running and idle; total ms and heap.
 */
import { Runtime, realClock, reply, startServer, type Pid, type ProcessContext } from '../../src/runtime/index.ts';
import { startSupervisor, stopSupervisor, worker } from '../../src/supervisor/index.ts';

const [mode = 'restart', nArg] = process.argv.slice(2);
const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});
const now = (): number => performance.now();

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

/** Restart latency; a fresh supervisor for every 100 restarts keeps its restart window small (as OTP's). */
async function restart(n: number): Promise<object> {
  const rt = new Runtime({ clock: realClock });
  let onStart: ((pid: Pid) => void) | undefined;
  const child = worker(async (ctx: ProcessContext) => {
    onStart?.(ctx.self);
    await ctx.receive(() => false);
  });
  const samples: number[] = [];
  const warmup = 2000;
  for (let done = 0; done < n + warmup; ) {
    let current: Pid | undefined;
    onStart = (pid) => (current = pid);
    const sup = await startSupervisor(rt, { intensity: 1000, periodSeconds: 1, children: [{ id: 'c', start: child }] });
    for (let k = 0; k < 100; k++, done++) {
      const started = new Promise<Pid>((resolve) => (onStart = resolve));
      const t0 = now();
      rt.sendExit(current as Pid, 'kill');
      current = await started;
      const dt = now() - t0;
      if (done >= warmup) samples.push(dt * 1000);
    }
    onStart = undefined;
    await stopSupervisor(rt, sup);
  }
  samples.sort((a, b) => a - b);
  return { median_us: percentile(samples, 50), p99_us: percentile(samples, 99), n: samples.length };
}

async function messages(n: number): Promise<object> {
  const once = async (count: number): Promise<number> => {
    const rt = new Runtime({ clock: realClock, mailbox: { capacity: Infinity } });
    let done!: () => void;
    const finished = new Promise<void>((r) => (done = r));
    const receiver = rt.spawn(async (ctx) => {
      for (let i = 0; i < count; i++) await ctx.receive();
      done();
    });
    const t0 = now();
    rt.spawn(async (ctx) => {
      for (let i = 0; i < count; i++) ctx.send(receiver, i);
    });
    await finished;
    return now() - t0;
  };
  await once(n / 10);
  const ms = await once(n);
  return { msgs_per_s: n / (ms / 1000), ms, n };
}

/** The receiver is a server: each message goes to handleInfo, with no await per message. */
async function serverMessages(n: number): Promise<object> {
  const once = async (count: number): Promise<number> => {
    const rt = new Runtime({ clock: realClock, mailbox: { capacity: Infinity } });
    let done!: () => void;
    const finished = new Promise<void>((r) => (done = r));
    const started = await startServer(
      rt,
      {
        init: () => 0,
        handleInfo: (_m, received: number) => {
          if (received + 1 === count) done();
          return received + 1;
        },
      },
      undefined,
      { mailbox: { capacity: Infinity } },
    );
    if (started.status !== 'started') throw new Error('server did not start');
    const receiver = started.pid;
    const t0 = now();
    rt.spawn(async (ctx) => {
      for (let i = 0; i < count; i++) ctx.send(receiver, i);
    });
    await finished;
    return now() - t0;
  };
  await once(n / 10);
  const ms = await once(n);
  return { msgs_per_s: n / (ms / 1000), ms, n };
}

async function call(n: number): Promise<object> {
  const rt = new Runtime({ clock: realClock });
  const started = await startServer(rt, { init: () => 0, handleCall: (req, _from, s: number) => reply(req, s) }, undefined);
  if (started.status !== 'started') throw new Error('server did not start');
  const srv = started.pid;
  let result!: number;
  const p = rt.spawn(async (ctx) => {
    for (let i = 0; i < n / 10; i++) await ctx.call(srv, i);
    const t0 = now();
    for (let i = 0; i < n; i++) await ctx.call(srv, i);
    result = now() - t0;
  });
  await rt.whenExited(p);
  return { round_trip_us: (result * 1000) / n, n };
}

async function idle(rt: Runtime, n: number): Promise<void> {
  const body = async (ctx: ProcessContext): Promise<void> => {
    await ctx.receive();
  };
  for (let i = 0; i < n; i++) rt.spawn(body);
  await new Promise((r) => setImmediate(r));
}

/** Idle servers: message handlers, no suspended async function each. */
async function serverMemory(n: number): Promise<object> {
  const rt = new Runtime({ clock: realClock });
  const behaviour = { init: () => 0, handleInfo: (_m: unknown, s: number) => s };
  gc();
  gc();
  const before = process.memoryUsage();
  for (let i = 0; i < n; i++) await startServer(rt, behaviour, undefined);
  gc();
  gc();
  const after = process.memoryUsage();
  return { bytes_per_process: (after.heapUsed - before.heapUsed) / n, n, alive: rt.processCount };
}

async function memory(n: number): Promise<object> {
  const rt = new Runtime({ clock: realClock });
  gc();
  gc();
  const before = process.memoryUsage();
  await idle(rt, n);
  gc();
  gc();
  const after = process.memoryUsage();
  const alive = rt.processCount;
  return { bytes_per_process: (after.heapUsed - before.heapUsed) / n, rss_bytes_per_process: (after.rss - before.rss) / n, n, alive };
}

async function spawn(n: number): Promise<object> {
  const rt = new Runtime({ clock: realClock });
  gc();
  const before = process.memoryUsage();
  const t0 = now();
  await idle(rt, n);
  const ms = now() - t0;
  gc();
  const after = process.memoryUsage();
  return { ms, heap_mib: (after.heapUsed - before.heapUsed) / 2 ** 20, rss_mib: after.rss / 2 ** 20, n, alive: rt.processCount };
}

const modes: Record<string, (n: number) => Promise<object>> = {
  restart,
  messages,
  'server-messages': serverMessages,
  call,
  memory,
  'server-memory': serverMemory,
  spawn,
};
const defaults: Record<string, number> = {
  restart: 20_000,
  messages: 2_000_000,
  'server-messages': 2_000_000,
  call: 1_000_000,
  memory: 100_000,
  'server-memory': 100_000,
  spawn: 1_000_000,
};
const fn = modes[mode];
if (fn === undefined) throw new Error(`unknown mode ${mode}`);
const n = Number(nArg ?? defaults[mode]);
console.log(JSON.stringify({ runtime: 'warden', mode, ...(await fn(n)) }));
process.exit(0);
