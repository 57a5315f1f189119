/**
 * One measurement of bench/memory.bench.ts, in a fresh process: 8 MCP clients over stdio (the
 * SDK's client transport), each spawning its own server process on one shared graph of 10,000
 * entities, each making `writes` sequential writes (alternately create_entities of a new entity
 * and add_observations to an existing one). Prints one JSON line: ops/s over the whole run,
 * latency median and p99, and how many acknowledged writes are missing afterwards.
 *
 * The `warden-http-*` variants run ONE Warden server process (Streamable HTTP) that the 8
 * clients share, Warden's own way to serve many agents (the reference has no such mode). The
 * `-alone` variants are the stdio ones with `--no-share`: every server writes for itself.
 *
 *   node bench/memory/variant.ts <reference|warden-file|warden-sqlite|warden-file-alone|warden-sqlite-alone|warden-http-file|warden-http-sqlite> <writes-per-client> <dir>
 */
import { copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { spawn, type ChildProcess } from 'node:child_process';
import { openMemoryGraph, importJsonl } from '../../src/memory/index.ts';

const [variant, writesArg, dir] = process.argv.slice(2) as [string, string, string];
const writes = Number(writesArg);
const CLIENTS = 8;
const ENTITIES = 10_000;
const repo = new URL('../../', import.meta.url).pathname;

const seed = join(dir, 'seed.jsonl');
const lines: string[] = [];
for (let i = 0; i < ENTITIES; i++)
  lines.push(
    JSON.stringify({
      type: 'entity',
      name: `entity-${i}`,
      entityType: ['person', 'project', 'decision'][i % 3],
      observations: [`observation ${i} a`, `observation ${i} b`, `batch ${i % 17}`],
    }),
  );
for (let i = 0; i < ENTITIES; i++)
  lines.push(JSON.stringify({ type: 'relation', from: `entity-${i}`, to: `entity-${(i * 7 + 1) % ENTITIES}`, relationType: 'relates_to' }));
writeFileSync(seed, lines.join('\n'));

let command: string[];
let env: Record<string, string> = {};
if (variant === 'reference') {
  const file = join(dir, 'reference.jsonl');
  copyFileSync(seed, file);
  command = [join(repo, 'node_modules/@modelcontextprotocol/server-memory/dist/index.js')];
  env = { MEMORY_FILE_PATH: file };
} else if (variant === 'warden-file' || variant === 'warden-file-alone') {
  const file = join(dir, 'warden.jsonl');
  copyFileSync(seed, file);
  command = [join(repo, 'bin/warden'), 'memory', 'serve', '--file', file];
} else if (variant === 'warden-sqlite' || variant === 'warden-sqlite-alone' || variant === 'warden-http-sqlite') {
  const db = join(dir, 'warden.db');
  const g = await openMemoryGraph({ db });
  await importJsonl(g, seed);
  await g.close();
  command = [join(repo, 'bin/warden'), 'memory', 'serve', '--db', db];
} else if (variant === 'warden-http-file') {
  const file = join(dir, 'warden.jsonl');
  copyFileSync(seed, file);
  command = [join(repo, 'bin/warden'), 'memory', 'serve', '--file', file];
} else {
  throw new Error(`unknown variant ${variant}`);
}

// The `-alone` variants: each stdio server writes for itself, through the store's lock (no shared writer).
if (variant.endsWith('-alone')) command.push('--no-share');

/** For the HTTP variants: one server process, started once, its URL read from its stderr. */
let httpServer: ChildProcess | undefined;
let httpUrl: URL | undefined;
if (variant.startsWith('warden-http-')) {
  httpServer = spawn(process.execPath, [...command, '--http', '--port', '0'], { stdio: ['ignore', 'ignore', 'pipe'] });
  httpUrl = await new Promise<URL>((resolve, reject) => {
    let err = '';
    httpServer?.stderr?.on('data', (chunk: Buffer) => {
      err += chunk.toString();
      const m = /listening on (\S+)/.exec(err);
      if (m) resolve(new URL(m[1] as string));
    });
    httpServer?.once('exit', (code) => reject(new Error(`server exited ${code}: ${err}`)));
  });
}

async function connect(): Promise<Client> {
  const client = new Client({ name: 'bench', version: '1.0.0' });
  if (httpUrl !== undefined) await client.connect(new StreamableHTTPClientTransport(httpUrl));
  else
    await client.connect(
      new StdioClientTransport({ command: process.execPath, args: command, env: { ...(process.env as Record<string, string>), ...env }, stderr: 'ignore' }),
    );
  return client;
}

const clients = await Promise.all(Array.from({ length: CLIENTS }, connect));
// Warm up each server (module load, first parse) outside the measurement.
await Promise.all(clients.map((c) => c.callTool({ name: 'search_nodes', arguments: { query: 'warm-up' } })));
const latencies: number[] = [];
const acked: { kind: 'entity' | 'observation'; id: string; entity?: string }[] = [];
let failed = 0;
const t0 = performance.now();
await Promise.all(
  clients.map(async (c, k) => {
    for (let i = 0; i < writes; i++) {
      const id = `bench-${k}-${i}`;
      const target = `entity-${(k * 1000 + i) % ENTITIES}`;
      const start = performance.now();
      const r =
        i % 2 === 0
          ? await c.callTool({ name: 'create_entities', arguments: { entities: [{ name: id, entityType: 'bench', observations: ['x'] }] } })
          : await c.callTool({ name: 'add_observations', arguments: { observations: [{ entityName: target, contents: [id] }] } });
      latencies.push(performance.now() - start);
      if (r.isError === true) failed++;
      else acked.push(i % 2 === 0 ? { kind: 'entity', id } : { kind: 'observation', id, entity: target });
    }
  }),
);
const seconds = (performance.now() - t0) / 1000;
await Promise.all(clients.map((c) => c.close()));

// Count losses through a fresh server process reading what is on disk (for HTTP: after stopping the server).
if (httpServer !== undefined) {
  const exited = new Promise((r) => httpServer?.once('exit', r));
  httpServer.kill('SIGTERM');
  await exited;
  httpUrl = undefined;
}
const check = await connect();
const g = (await check.callTool({ name: 'read_graph', arguments: {} })).structuredContent as { entities: { name: string; observations: string[] }[] };
await check.close();
const byName = new Map(g.entities.map((e) => [e.name, new Set(e.observations)]));
const lost = acked.filter((a) => (a.kind === 'entity' ? !byName.has(a.id) : byName.get(a.entity!)?.has(a.id) !== true)).length;
latencies.sort((a, b) => a - b);
const q = (p: number): number => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))]!;
console.log(
  JSON.stringify({
    variant,
    writes: CLIENTS * writes,
    opsPerSec: (CLIENTS * writes) / seconds,
    medianMs: q(0.5),
    p99Ms: q(0.99),
    failed,
    lost,
    entitiesAfter: g.entities.length,
  }),
);
