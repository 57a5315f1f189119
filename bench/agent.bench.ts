/**
 * Agent benchmark: what a durable agent step costs on top of the model call it makes.
 *
 * The same tool-calling loop, run three ways against the same simulated model server (its own
 * process, no added latency, so the differences are the client's own work):
 * - `bare-sdk`: a hand-written loop on the official `openai` SDK (`maxRetries: 0`): call, append
 *   the assistant's tool call and the tool's result, call again. What an agent loop you already
 *   have does.
 * - `agent-direct`: `defineAgent(...).run()` over `createModelClient` (retry ∘ breaker ∘ timeout,
 *   a budget per run reserved and committed per call, metering with prices, events with a
 *   listener), with its guards (unknown tool, loop detection, max steps), nothing journaled.
 * - `agent-durable`: the same agent as a durable run on SQLite (WAL, synchronous=FULL): every
 *   model call and tool call journaled, fsynced, before the loop moves on.
 *
 * Each run is 20 model steps (19 tool calls, then an answer); a step is one model call and, but
 * for the last, one tool call. Each variant runs in a fresh process (5 warm-up runs, then 40
 * measured), the order of variants reversed every other round; the report gives the median per
 * step and every round's value.
 *
 *   npm run bench:agent                   # 5 rounds
 *   npm run bench:agent -- --rounds 7
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServerProcess, stopServerProcess, type ServerProcess } from './support/server-process.ts';

const self = fileURLToPath(import.meta.url);
const KEY = 'sk-bench-000000000000';
const STEPS = 20;
const RUNS = 40;
const WARMUP = 5;

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

/** The model's answers for one run: STEPS - 1 tool calls with different arguments, then text. */
function script(): unknown {
  return {
    sequence: [
      ...Array.from({ length: STEPS - 1 }, (_, i) => ({ toolCalls: [{ name: 'lookup', arguments: { key: `k${i}` } }] })),
      { text: 'All keys looked up.' },
    ],
  };
}

// ---- child: the simulated server ------------------------------------------------------------

async function serve(): Promise<void> {
  const { startSimServer } = await import('../src/sim/index.ts');
  const sim = await startSimServer({ script: script() as never });
  process.stdout.write(`${sim.url}\n`);
  process.on('SIGTERM', () => {
    void sim.close().then(() => process.exit(0));
  });
}

const startServer = (): Promise<ServerProcess> => startServerProcess(self, ['--serve']);
const stopServer = stopServerProcess;

// ---- child: one variant ---------------------------------------------------------------------

type VariantName = 'bare-sdk' | 'agent-direct' | 'agent-durable';
const VARIANTS: readonly VariantName[] = ['bare-sdk', 'agent-direct', 'agent-durable'];

async function client(variant: VariantName, url: string): Promise<void> {
  const reset = async (): Promise<void> => {
    const res = await fetch(`${url}/_sim/reset`, { method: 'POST' });
    await res.arrayBuffer();
  };
  const lookup = (key: string): string => `value of ${key}`;
  const task = 'Look up the keys k0 to k18 with the lookup tool, one at a time, then say you are done.';
  let runOnce: (i: number) => Promise<number>;
  let cleanup = async (): Promise<void> => {};
  if (variant === 'bare-sdk') {
    const { default: OpenAI } = await import('openai');
    const c = new OpenAI({ apiKey: KEY, baseURL: `${url}/v1`, maxRetries: 0 });
    const tools = [
      {
        type: 'function' as const,
        function: { name: 'lookup', description: 'Look a key up', parameters: { type: 'object', properties: { key: { type: 'string' } }, required: ['key'] } },
      },
    ];
    runOnce = async () => {
      const messages: Parameters<typeof c.chat.completions.create>[0]['messages'] = [
        { role: 'system', content: 'You look keys up.' },
        { role: 'user', content: task },
      ];
      for (let step = 1; ; step++) {
        const r = await c.chat.completions.create({ model: 'sim-small', max_completion_tokens: 512, messages, tools });
        const m = r.choices[0]?.message;
        if (m === undefined) throw new Error('no answer');
        const toolCalls = m.tool_calls ?? [];
        if (toolCalls.length === 0) return step;
        messages.push({ role: 'assistant', content: m.content ?? '', tool_calls: toolCalls });
        for (const call of toolCalls) {
          if (call.type !== 'function') continue;
          const args = JSON.parse(call.function.arguments) as { key: string };
          messages.push({ role: 'tool', tool_call_id: call.id, content: lookup(args.key) });
        }
      }
    };
  } else {
    const { z } = await import('zod');
    const { defineAgent, tool } = await import('../src/agent/index.ts');
    const { createModelClient, openaiChat } = await import('../src/llm/index.ts');
    const { Budget } = await import('../src/resilience/index.ts');
    const { EventBus, realClock } = await import('../src/runtime/index.ts');
    const bus = new EventBus(realClock);
    let seen = 0;
    bus.onAny(() => seen++);
    const model = createModelClient({
      models: [openaiChat({ model: 'sim-small', apiKey: KEY, baseURL: `${url}/v1`, maxOutputTokens: 512 })],
      pricing: { 'sim-small': { inputPerMTok: 0.15, outputPerMTok: 0.6 } },
      bus,
      timeoutMs: 30_000,
    });
    const agent = defineAgent({
      name: 'bench',
      model,
      bus,
      system: 'You look keys up.',
      stream: false,
      maxSteps: STEPS,
      tools: { lookup: tool({ description: 'Look a key up', input: z.object({ key: z.string() }), run: ({ key }) => lookup(key) }) },
      budget: { limits: { usd: 1_000, steps: 1_000 }, parent: new Budget({ scope: 'bench', bus }) },
    });
    if (variant === 'agent-direct') {
      runOnce = async () => {
        const r = await agent.run(task);
        if (seen === 0) throw new Error('no events');
        return r.steps;
      };
    } else {
      const { openSqliteStore } = await import('../src/store/index.ts');
      const { DurableHost } = await import('../src/durable/index.ts');
      const dir = mkdtempSync(join(os.tmpdir(), 'warden-bench-agent-'));
      const store = await openSqliteStore({ path: join(dir, 'bench.db') });
      const host = new DurableHost({ store, runs: [agent.definition], owner: 'bench', bus });
      runOnce = async (i) => {
        const outcome = await (await host.start(agent.definition, task, { id: `run-${i}` })).result;
        if (outcome.status !== 'completed') throw new Error(`run ${i}: ${JSON.stringify(outcome)}`);
        return (outcome.output as { steps: number }).steps;
      };
      cleanup = async () => {
        await host.close();
        await store.close();
        rmSync(dir, { recursive: true, force: true });
      };
    }
  }
  const perStep: number[] = [];
  const cpu0 = process.cpuUsage();
  let cpuSteps = 0;
  for (let i = 0; i < WARMUP + RUNS; i++) {
    await reset();
    const t = process.hrtime.bigint();
    const steps = await runOnce(i);
    const ms = Number(process.hrtime.bigint() - t) / 1e6;
    if (steps !== STEPS) throw new Error(`${variant}: ${steps} steps, expected ${STEPS}`);
    if (i >= WARMUP) {
      perStep.push(ms / STEPS);
      cpuSteps += STEPS;
    }
  }
  const cpu = process.cpuUsage(cpu0);
  await cleanup();
  process.stdout.write(JSON.stringify({ medianMsPerStep: median(perStep), cpuUsPerStep: (cpu.user + cpu.system) / (cpuSteps + WARMUP * STEPS) }));
}

function runChild(args: string[]): Record<string, number> {
  const r = spawnSync(process.execPath, [self, ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${args.join(' ')} failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as Record<string, number>;
}

// ---- parent ---------------------------------------------------------------------------------

async function parent(rounds: number): Promise<void> {
  const per: Record<VariantName, number[]> = { 'bare-sdk': [], 'agent-direct': [], 'agent-durable': [] };
  const cpu: Record<VariantName, number[]> = { 'bare-sdk': [], 'agent-direct': [], 'agent-durable': [] };
  const server = await startServer();
  try {
    for (let round = 0; round < rounds; round++) {
      const order = round % 2 === 0 ? VARIANTS : [...VARIANTS].reverse();
      for (const v of order) {
        const r = runChild(['--client', v, server.url]);
        per[v].push(r.medianMsPerStep as number);
        cpu[v].push(r.cpuUsPerStep as number);
      }
      process.stderr.write(`round ${round + 1}/${rounds}\n`);
    }
  } finally {
    await stopServer(server);
  }
  const f = (x: number, d = 3): string => x.toFixed(d);
  const lines: string[] = [];
  lines.push(`Node ${process.version}, ${os.cpus()[0]?.model ?? 'cpu'} (${os.cpus().length} cores), ${os.platform()} ${os.arch()}; ${rounds} rounds.`);
  lines.push('');
  lines.push('| variant | ms per step (median) | overhead per step vs bare SDK (ms, median of per-round differences) | client CPU per step (µs) |');
  lines.push('|---|---:|---:|---:|');
  for (const v of VARIANTS) {
    const diffs = per[v].map((x, i) => x - (per['bare-sdk'][i] as number));
    lines.push(`| ${v} | ${f(median(per[v]))} | ${v === 'bare-sdk' ? '-' : f(median(diffs))} | ${f(median(cpu[v]), 0)} |`);
  }
  lines.push('');
  lines.push('Raw per-round medians (ms per step, in round order):');
  lines.push('');
  for (const v of VARIANTS) lines.push(`- ${v}: ${per[v].map((x) => f(x)).join(', ')}`);
  lines.push('');
  lines.push('Raw per-round client CPU (µs per step, in round order):');
  lines.push('');
  for (const v of VARIANTS) lines.push(`- ${v}: ${cpu[v].map((x) => f(x, 0)).join(', ')}`);
  process.stdout.write(`${lines.join('\n')}\n`);
}

const args = process.argv.slice(2);
if (args[0] === '--serve') await serve();
else if (args[0] === '--client') await client(args[1] as VariantName, args[2] as string);
else {
  const r = args.indexOf('--rounds');
  await parent(r >= 0 ? Number(args[r + 1]) : 5);
}
