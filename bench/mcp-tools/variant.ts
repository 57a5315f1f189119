/**
 * One measurement of one variant, in a fresh process; prints one JSON line. Run by
 * bench/mcp-tools.bench.ts:
 *
 *   node --conditions=warden-dev bench/mcp-tools/variant.ts <variant> <calls> <dir>
 *
 * Every variant calls the `echo` tool of the same stdio MCP server (test/fixtures/mcp-unruly-server.ts,
 * a small server on the SDK's McpServer), `calls` times one after another, after 50 warm-up calls:
 * - sdk: the bare SDK `Client` over `StdioClientTransport`, `client.callTool(...)`;
 * - warden-policies: the agent tool `mcpTools(...)` makes, unsupervised, its `run` called directly
 *   (retry ∘ breaker ∘ timeout, result conversion);
 * - warden-supervised: the same, with its server a supervised child under a Warden supervisor;
 * - warden-supervised-journaled: that, with each call a journaled step of a durable run on SQLite
 *   (as an agent's tool step: the step's record is written, synchronously, before it returns).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

const [variant, callsText, dir] = process.argv.slice(2);
const calls = Number(callsText);
if (variant === undefined || !Number.isInteger(calls) || dir === undefined) throw new Error('usage: variant.ts <variant> <calls> <dir>');
mkdirSync(dir, { recursive: true });
const SERVER = new URL('../../test/fixtures/mcp-unruly-server.ts', import.meta.url).pathname;
const WARM_UP = 50;
const now = (): number => performance.now();

function summary(latencies: number[], totalMs: number): Record<string, number> {
  const sorted = [...latencies].sort((a, b) => a - b);
  const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  return { calls, totalMs, us_per_call: (totalMs * 1000) / calls, median_us: at(0.5) * 1000, p99_us: at(0.99) * 1000 };
}

async function timed(call: (i: number) => Promise<unknown>): Promise<Record<string, number>> {
  for (let i = 0; i < WARM_UP; i++) await call(i);
  const latencies: number[] = [];
  const t0 = now();
  for (let i = 0; i < calls; i++) {
    const t = now();
    await call(i);
    latencies.push(now() - t);
  }
  return summary(latencies, now() - t0);
}

async function sdk(): Promise<Record<string, number>> {
  const { Client } = await import('@modelcontextprotocol/sdk/client/index.js');
  const { StdioClientTransport } = await import('@modelcontextprotocol/sdk/client/stdio.js');
  const client = new Client({ name: 'bench', version: '1.0.0' });
  await client.connect(new StdioClientTransport({ command: process.execPath, args: [SERVER], stderr: 'pipe' }));
  try {
    return await timed(async (i) => {
      const r = await client.callTool({ name: 'echo', arguments: { text: `call ${i}` } });
      if ((r.content as { text: string }[])[0]?.text !== `call ${i}`) throw new Error('wrong answer');
    });
  } finally {
    await client.close();
  }
}

const toolContext = (i: number) => ({
  signal: new AbortController().signal,
  attempt: 1,
  agent: 'bench',
  runId: 'bench',
  callId: `c${i}`,
  idempotencyKey: undefined,
  beat() {},
});

async function wardenPolicies(): Promise<Record<string, number>> {
  const { mcpTools } = await import('../../src/agent/index.ts');
  const set = mcpTools({ command: process.execPath, args: [SERVER], name: 'bench' });
  const { echo } = await set.tools();
  try {
    return await timed(async (i) => {
      if ((await echo!.run({ text: `call ${i}` }, toolContext(i))) !== `call ${i}`) throw new Error('wrong answer');
    });
  } finally {
    await set.close();
  }
}

async function wardenSupervised(): Promise<Record<string, number>> {
  const { mcpTools } = await import('../../src/agent/index.ts');
  const { Runtime } = await import('../../src/runtime/index.ts');
  const { startSupervisor, stopSupervisor } = await import('../../src/supervisor/index.ts');
  const set = mcpTools({ command: process.execPath, args: [SERVER], name: 'bench' });
  const rt = new Runtime();
  const root = await startSupervisor(rt, { strategy: 'one_for_one', children: [{ id: 'mcp:bench', start: set.child() }] });
  const { echo } = await set.tools();
  try {
    return await timed(async (i) => {
      if ((await echo!.run({ text: `call ${i}` }, toolContext(i))) !== `call ${i}`) throw new Error('wrong answer');
    });
  } finally {
    await stopSupervisor(rt, root);
  }
}

async function wardenSupervisedJournaled(): Promise<Record<string, number>> {
  const { mcpTools } = await import('../../src/agent/index.ts');
  const { Runtime } = await import('../../src/runtime/index.ts');
  const { startSupervisor, stopSupervisor } = await import('../../src/supervisor/index.ts');
  const { openSqliteStore } = await import('../../src/store/index.ts');
  const { DurableHost, defineRun } = await import('../../src/durable/index.ts');
  const set = mcpTools({ command: process.execPath, args: [SERVER], name: 'bench' });
  const rt = new Runtime();
  const root = await startSupervisor(rt, { strategy: 'one_for_one', children: [{ id: 'mcp:bench', start: set.child() }] });
  const { echo } = await set.tools();
  const store = await openSqliteStore({ path: join(dir!, 'warden.db') });
  let result: Record<string, number> | undefined;
  const bench = defineRun('bench-mcp', async (run) => {
    let step = 0;
    result = await timed(async (i) => {
      const text = await run.step(`tool#${++step} echo`, (ctx) => echo!.run({ text: `call ${i}` }, { ...toolContext(i), signal: ctx.signal }), {
        tool: 'echo',
        args: { text: `call ${i}` },
      });
      if (text !== `call ${i}`) throw new Error('wrong answer');
    });
    return null;
  });
  const host = new DurableHost({ store, runs: [bench], owner: 'bench' });
  try {
    const outcome = await (await host.start(bench, null)).result;
    if (outcome.status !== 'completed') throw new Error(JSON.stringify(outcome));
    return result!;
  } finally {
    await host.close();
    await stopSupervisor(rt, root);
    await store.close();
  }
}

const variants: Record<string, () => Promise<Record<string, number>>> = {
  sdk,
  'warden-policies': wardenPolicies,
  'warden-supervised': wardenSupervised,
  'warden-supervised-journaled': wardenSupervisedJournaled,
};
const run = variants[variant];
if (run === undefined) throw new Error(`unknown variant ${variant} (${Object.keys(variants).join(', ')})`);
console.log(JSON.stringify({ variant, ...(await run()) }));
process.exit(0);
