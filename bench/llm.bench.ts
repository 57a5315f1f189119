/**
 * Model-layer benchmarks, in one run:
 *
 * 1. The simulated model server's throughput: requests/s for non-streamed and streamed chat
 *    completions, from a small keep-alive load generator written here on `node:http` (no load
 *    tool such as autocannon or wrk is installed here), server and generator in separate
 *    processes.
 * 2. The overhead of Warden's full stack per model call (retry ∘ breaker ∘ timeout, budget
 *    reserve/commit, metering with a pricing table, events with a listener) against a bare
 *    official SDK call to the same simulated server: with the server adding 100 ms to every
 *    answer (the target: ≤ 1% of that call), and with no added latency (the overhead in µs).
 *
 * Each variant runs in a fresh process; the order of variants alternates every round; the
 * report gives medians and every round's value.
 *
 *   npm run bench:llm                    # 5 rounds
 *   npm run bench:llm -- --rounds 7
 */
import { spawnSync } from 'node:child_process';
import { Agent, request } from 'node:http';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { startServerProcess, stopServerProcess, type ServerProcess } from './support/server-process.ts';

const self = fileURLToPath(import.meta.url);
const KEY = 'sk-bench-000000000000';
const BODY = (stream: boolean): string =>
  JSON.stringify({
    model: 'sim-small',
    messages: [{ role: 'user', content: 'Summarise supervision trees in one line.' }],
    stream,
    ...(stream ? { stream_options: { include_usage: true } } : {}),
  });

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

// ---- child: the simulated server ------------------------------------------------------------

async function serve(latencyMs: number): Promise<void> {
  const { startSimServer } = await import('../src/sim/index.ts');
  const sim = await startSimServer({ latencyMs });
  process.stdout.write(`${sim.url}\n`);
  process.on('SIGTERM', () => {
    void sim.close().then(() => process.exit(0));
  });
}

const startServer = (latencyMs: number): Promise<ServerProcess> => startServerProcess(self, ['--serve', String(latencyMs)]);
const stopServer = stopServerProcess;

// ---- child: the load generator --------------------------------------------------------------

async function load(url: string, concurrency: number, total: number, stream: boolean): Promise<void> {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const body = BODY(stream);
  const target = new URL(`${url}/v1/chat/completions`);
  const one = (): Promise<void> =>
    new Promise((resolve, reject) => {
      const req = request(
        {
          hostname: target.hostname,
          port: target.port,
          path: target.pathname,
          method: 'POST',
          agent,
          headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY}`, 'content-length': Buffer.byteLength(body) },
        },
        (res) => {
          if (res.statusCode !== 200) reject(new Error(`status ${res.statusCode}`));
          res.resume();
          res.on('end', resolve);
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  let issued = 0;
  const worker = async (): Promise<void> => {
    while (issued < total) {
      issued++;
      await one();
    }
  };
  // warm-up
  issued = total - Math.min(total, 500);
  await Promise.all(Array.from({ length: concurrency }, worker));
  issued = 0;
  const start = process.hrtime.bigint();
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  agent.destroy();
  process.stdout.write(JSON.stringify({ rps: total / seconds }));
}

// ---- child: one client variant --------------------------------------------------------------

type VariantName = 'bare-openai' | 'warden-openai' | 'bare-anthropic' | 'warden-anthropic';
const VARIANTS: readonly VariantName[] = ['bare-openai', 'warden-openai', 'bare-anthropic', 'warden-anthropic'];

async function client(variant: VariantName, url: string, calls: number, warmup: number): Promise<void> {
  const question = 'Summarise supervision trees in one line.';
  let call: () => Promise<string>;
  if (variant === 'bare-openai') {
    const { default: OpenAI } = await import('openai');
    const c = new OpenAI({ apiKey: KEY, baseURL: `${url}/v1`, maxRetries: 0 });
    call = async () =>
      (await c.chat.completions.create({ model: 'sim-small', max_completion_tokens: 4096, messages: [{ role: 'user', content: question }] })).choices[0]
        ?.message.content ?? '';
  } else if (variant === 'bare-anthropic') {
    const { default: Anthropic } = await import('@anthropic-ai/sdk');
    const c = new Anthropic({ apiKey: KEY, baseURL: url, maxRetries: 0 });
    call = async () => {
      const m = await c.messages.create({ model: 'sim-large', max_tokens: 4096, messages: [{ role: 'user', content: question }] });
      return m.content[0]?.type === 'text' ? m.content[0].text : '';
    };
  } else {
    const llm = await import('../src/llm/index.ts');
    const { Budget } = await import('../src/resilience/index.ts');
    const { EventBus, realClock } = await import('../src/runtime/index.ts');
    const bus = new EventBus(realClock);
    let seen = 0;
    bus.onAny(() => seen++);
    const pricing = { 'sim-small': { inputPerMTok: 0.15, outputPerMTok: 0.6 }, 'sim-large': { inputPerMTok: 0.8, outputPerMTok: 4 } };
    const budget = new Budget({ scope: 'bench', limits: { usd: 1_000_000, tokens: 1e12 }, bus });
    const model =
      variant === 'warden-openai'
        ? llm.openaiChat({ model: 'sim-small', apiKey: KEY, baseURL: `${url}/v1` })
        : llm.anthropicMessages({ model: 'sim-large', apiKey: KEY, baseURL: url });
    const c = llm.createModelClient({ models: [model], budget, pricing, bus, retry: { maxAttempts: 3 }, timeoutMs: 30_000 });
    call = async () => {
      const r = await c.complete({ messages: [{ role: 'user', content: question }] });
      if (seen === 0) throw new Error('no events');
      return r.text;
    };
  }
  for (let i = 0; i < warmup; i++) await call();
  const ms: number[] = [];
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < calls; i++) {
    const t = process.hrtime.bigint();
    const text = await call();
    ms.push(Number(process.hrtime.bigint() - t) / 1e6);
    if (text === '') throw new Error('empty answer');
  }
  const cpu = process.cpuUsage(cpu0);
  process.stdout.write(JSON.stringify({ medianMs: median(ms), cpuUsPerCall: (cpu.user + cpu.system) / calls, ms }));
}

function runChild(args: string[]): Record<string, unknown> {
  const r = spawnSync(process.execPath, [self, ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${args.join(' ')} failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as Record<string, unknown>;
}

// ---- parent ---------------------------------------------------------------------------------

async function parent(rounds: number): Promise<void> {
  const lines: string[] = [];
  const log = (s: string): void => {
    process.stderr.write(`${s}\n`);
  };

  // 1. throughput
  const throughput: Record<string, number[]> = { 'non-streamed': [], streamed: [] };
  for (let round = 0; round < rounds; round++) {
    const kinds = round % 2 === 0 ? (['non-streamed', 'streamed'] as const) : (['streamed', 'non-streamed'] as const);
    for (const kind of kinds) {
      const server = await startServer(0);
      try {
        const r = runChild(['--load', server.url, '32', '20000', kind === 'streamed' ? '1' : '0']);
        throughput[kind]?.push(r.rps as number);
      } finally {
        await stopServer(server);
      }
    }
    log(`throughput round ${round + 1}/${rounds}`);
  }

  // 2. overhead, with 100 ms added latency and with none
  const overhead: Record<string, Record<VariantName, number[]>> = {};
  const cpuUs: Record<string, Record<VariantName, number[]>> = {};
  for (const [label, latencyMs, calls, warmup] of [
    ['100 ms', 100, 60, 5],
    ['0 ms', 0, 2000, 200],
  ] as const) {
    const server = await startServer(latencyMs);
    const per: Record<VariantName, number[]> = { 'bare-openai': [], 'warden-openai': [], 'bare-anthropic': [], 'warden-anthropic': [] };
    const cpu: Record<VariantName, number[]> = { 'bare-openai': [], 'warden-openai': [], 'bare-anthropic': [], 'warden-anthropic': [] };
    try {
      for (let round = 0; round < rounds; round++) {
        const order = round % 2 === 0 ? VARIANTS : [...VARIANTS].reverse();
        for (const v of order) {
          const r = runChild(['--client', v, server.url, String(calls), String(warmup)]);
          per[v].push(r.medianMs as number);
          cpu[v].push(r.cpuUsPerCall as number);
        }
        log(`overhead ${label} round ${round + 1}/${rounds}`);
      }
    } finally {
      await stopServer(server);
    }
    overhead[label] = per;
    cpuUs[label] = cpu;
  }

  const f = (x: number, d = 2): string => x.toFixed(d);
  lines.push(`Node ${process.version}, ${os.cpus()[0]?.model ?? 'cpu'} (${os.cpus().length} cores), ${os.platform()} ${os.arch()}; ${rounds} rounds.`);
  lines.push('');
  lines.push('| simulated server | requests/s (median) | rounds |');
  lines.push('|---|---:|---|');
  for (const [k, xs] of Object.entries(throughput))
    lines.push(`| ${k} chat completion, 32 connections | ${f(median(xs), 0)} | ${xs.map((x) => f(x, 0)).join(', ')} |`);
  lines.push('');
  lines.push(
    '| added latency | SDK | bare SDK call (ms) | Warden full stack (ms) | wall overhead (ms) | wall overhead / 100 ms | client CPU bare (µs/call) | client CPU Warden (µs/call) | CPU overhead / 100 ms |',
  );
  lines.push('|---|---|---:|---:|---:|---:|---:|---:|---:|');
  for (const [label, per] of Object.entries(overhead)) {
    for (const sdk of ['openai', 'anthropic'] as const) {
      const bare = median(per[`bare-${sdk}`]);
      const warden = median(per[`warden-${sdk}`]);
      const diffs = per[`warden-${sdk}`].map((w, i) => w - (per[`bare-${sdk}`][i] as number));
      const d = median(diffs);
      const cb = median(cpuUs[label]?.[`bare-${sdk}`] ?? []);
      const cw = median(cpuUs[label]?.[`warden-${sdk}`] ?? []);
      lines.push(`| ${label} | ${sdk} | ${f(bare, 3)} | ${f(warden, 3)} | ${f(d, 3)} | ${f(d, 2)}% | ${f(cb, 0)} | ${f(cw, 0)} | ${f((cw - cb) / 1000, 3)}% |`);
    }
  }
  lines.push('');
  lines.push('Raw per-round medians (ms per call, in round order):');
  lines.push('');
  for (const [label, per] of Object.entries(overhead))
    for (const [v, xs] of Object.entries(per)) lines.push(`- ${label} ${v}: ${xs.map((x) => f(x, 3)).join(', ')}`);
  lines.push('');
  lines.push('Raw per-round client CPU (µs per call, in round order):');
  lines.push('');
  for (const [label, per] of Object.entries(cpuUs))
    for (const [v, xs] of Object.entries(per)) lines.push(`- ${label} ${v}: ${xs.map((x) => f(x, 0)).join(', ')}`);
  process.stdout.write(`${lines.join('\n')}\n`);
}

const args = process.argv.slice(2);
if (args[0] === '--serve') await serve(Number(args[1]));
else if (args[0] === '--load') await load(args[1] as string, Number(args[2]), Number(args[3]), args[4] === '1');
else if (args[0] === '--client') await client(args[1] as VariantName, args[2] as string, Number(args[3]), Number(args[4]));
else {
  const r = args.indexOf('--rounds');
  await parent(r >= 0 ? Number(args[r + 1]) : 5);
}
