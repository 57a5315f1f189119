/**
 * The AI SDK provider path through Warden against a bare AI SDK `generateText`, in one run, on
 * the simulated model server (`@ai-sdk/openai`'s chat model with `baseURL` at the server):
 *
 * - `bare-generateText`: `generateText({ model: openai.chat('sim-small'), maxRetries: 0 })`, the peer;
 * - `warden-aiSdkModel`: the same AI SDK model as a Warden provider (`aiSdkModel`) in the
 *   resilient client's full stack (retry ∘ breaker ∘ timeout, budget reserve/commit, metering
 *   with a pricing table, events with a listener), called with `client.complete`;
 * - `warden-generateText`: the bare call's code with its model swapped for that client as an AI
 *   SDK model (`generateText({ model: asAiSdkModel(client) })`): both layers, the AI SDK's and Warden's.
 *
 * With the server adding 100 ms to every answer (the overhead as a share of a realistic call)
 * and with none (the overhead in µs). Each variant runs in a fresh process, the order alternates
 * every round, and the report gives medians and every round's value.
 *
 *   npm run bench:ai-sdk                    # 5 rounds
 *   npm run bench:ai-sdk -- --rounds 3
 */
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { startServerProcess, stopServerProcess, type ServerProcess } from './support/server-process.ts';

const self = fileURLToPath(import.meta.url);
const KEY = 'sk-bench-000000000000';
const PROMPT = 'Summarise supervision trees in one line.';

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

// ---- child: one client variant --------------------------------------------------------------

type VariantName = 'bare-generateText' | 'warden-aiSdkModel' | 'warden-generateText';
const VARIANTS: readonly VariantName[] = ['bare-generateText', 'warden-aiSdkModel', 'warden-generateText'];

async function client(variant: VariantName, url: string, calls: number, warmup: number): Promise<void> {
  const { createOpenAI } = await import('@ai-sdk/openai');
  const { generateText } = await import('ai');
  const openai = createOpenAI({ apiKey: KEY, baseURL: `${url}/v1` });
  let call: () => Promise<string>;
  if (variant === 'bare-generateText') {
    const model = openai.chat('sim-small');
    call = async () => (await generateText({ model, prompt: PROMPT, maxRetries: 0 })).text;
  } else {
    const llm = await import('../src/llm/index.ts');
    const { Budget } = await import('../src/resilience/index.ts');
    const { EventBus, realClock } = await import('../src/runtime/index.ts');
    const bus = new EventBus(realClock);
    let seen = 0;
    bus.onAny(() => seen++);
    const pricing = { 'sim-small': { inputPerMTok: 0.15, outputPerMTok: 0.6 } };
    const budget = new Budget({ scope: 'bench', limits: { usd: 1_000_000, tokens: 1e12 }, bus });
    const c = llm.createModelClient({ models: [llm.aiSdkModel(openai.chat('sim-small'))], budget, pricing, bus, retry: { maxAttempts: 3 }, timeoutMs: 30_000 });
    if (variant === 'warden-aiSdkModel') {
      call = async () => {
        const r = await c.complete({ messages: [{ role: 'user', content: PROMPT }] });
        if (seen === 0) throw new Error('no events');
        return r.text;
      };
    } else {
      const model = llm.asAiSdkModel(c);
      call = async () => {
        const r = await generateText({ model, prompt: PROMPT, maxRetries: 0 });
        if (seen === 0) throw new Error('no events');
        return r.text;
      };
    }
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
  process.stdout.write(JSON.stringify({ medianMs: median(ms), cpuUsPerCall: (cpu.user + cpu.system) / calls }));
}

function runChild(args: string[]): Record<string, unknown> {
  const r = spawnSync(process.execPath, [self, ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${args.join(' ')} failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as Record<string, unknown>;
}

// ---- parent ---------------------------------------------------------------------------------

async function parent(rounds: number): Promise<void> {
  const log = (s: string): void => {
    process.stderr.write(`${s}\n`);
  };
  const wall: Record<string, Record<VariantName, number[]>> = {};
  const cpuUs: Record<string, Record<VariantName, number[]>> = {};
  const empty = (): Record<VariantName, number[]> => ({ 'bare-generateText': [], 'warden-aiSdkModel': [], 'warden-generateText': [] });
  for (const [label, latencyMs, calls, warmup] of [
    ['100 ms', 100, 40, 5],
    ['0 ms', 0, 1000, 100],
  ] as const) {
    const server = await startServer(latencyMs);
    const per = empty();
    const cpu = empty();
    try {
      for (let round = 0; round < rounds; round++) {
        const order = round % 2 === 0 ? VARIANTS : [...VARIANTS].reverse();
        for (const v of order) {
          const r = runChild(['--client', v, server.url, String(calls), String(warmup)]);
          per[v].push(r.medianMs as number);
          cpu[v].push(r.cpuUsPerCall as number);
        }
        log(`${label} round ${round + 1}/${rounds}`);
      }
    } finally {
      await stopServerProcess(server);
    }
    wall[label] = per;
    cpuUs[label] = cpu;
  }

  const f = (x: number, d = 2): string => x.toFixed(d);
  const lines: string[] = [];
  lines.push(`Node ${process.version}, ${os.cpus()[0]?.model ?? 'cpu'} (${os.cpus().length} cores), ${os.platform()} ${os.arch()}; ${rounds} rounds.`);
  lines.push('');
  lines.push('| added latency | variant | ms per call (median) | wall vs bare generateText | client CPU (µs/call) | CPU vs bare |');
  lines.push('|---|---|---:|---:|---:|---:|');
  for (const [label, per] of Object.entries(wall)) {
    const bare = median(per['bare-generateText']);
    const cpuBare = median(cpuUs[label]?.['bare-generateText'] ?? []);
    for (const v of VARIANTS) {
      const w = median(per[v]);
      const c = median(cpuUs[label]?.[v] ?? []);
      lines.push(`| ${label} | ${v} | ${f(w, 3)} | ${f(w / bare, 3)}× | ${f(c, 0)} | ${f(c / cpuBare, 2)}× |`);
    }
  }
  lines.push('');
  lines.push('Raw per-round medians (ms per call) and client CPU (µs per call), in round order:');
  lines.push('');
  for (const [label, per] of Object.entries(wall)) {
    for (const [v, xs] of Object.entries(per)) {
      lines.push(`- ${label} ${v}: ${xs.map((x) => f(x, 3)).join(', ')} ms; ${(cpuUs[label]?.[v as VariantName] ?? []).map((x) => f(x, 0)).join(', ')} µs`);
    }
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}

const args = process.argv.slice(2);
if (args[0] === '--serve') await serve(Number(args[1]));
else if (args[0] === '--client') await client(args[1] as VariantName, args[2] as string, Number(args[3]), Number(args[4]));
else {
  const r = args.indexOf('--rounds');
  await parent(r >= 0 ? Number(args[r + 1]) : 5);
}
