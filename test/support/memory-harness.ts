/**
 * Real processes and real MCP clients for the memory server's tests: Warden's server
 * (`bin/warden memory serve`) and the reference server (`@modelcontextprotocol/server-memory`)
 * spawned over stdio by the SDK's own client transport, Warden's HTTP server as a child process,
 * and fresh backends (a JSONL file, a SQLite store, a Postgres schema of the store matrix of
 * `warden/testing`). Waits only on protocol answers and process events, never on time.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { storeCase } from '../../src/testing/index.ts';

export const REPO = new URL('../../', import.meta.url).pathname;
export const WARDEN_BIN = join(REPO, 'bin/warden');
export const REFERENCE_BIN = join(REPO, 'node_modules/@modelcontextprotocol/server-memory/dist/index.js');

export type BackendKind = 'file' | 'sqlite' | 'postgres';

const postgres = storeCase('postgres');

export const BACKEND_CASES: readonly { kind: BackendKind; title: string; skip: boolean }[] = [
  { kind: 'file', title: 'JSONL file', skip: false },
  { kind: 'sqlite', title: 'SQLite store', skip: false },
  { kind: 'postgres', title: postgres.skip === false ? 'Postgres store' : `Postgres store (${postgres.skip})`, skip: postgres.skip !== false },
];

export interface Backend {
  readonly kind: BackendKind;
  /** `warden memory` options naming it. */
  readonly args: readonly string[];
  readonly dir: string;
  /** The JSONL file (file backend). */
  readonly file?: string;
  /** Options for `openMemoryGraph`. */
  readonly options: { file: string } | { db: string; schema?: string };
  drop(): Promise<void>;
}

export function tempDir(prefix = 'warden-memory-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** A fresh, empty backend of the given kind. */
export function freshBackend(kind: BackendKind): Backend {
  const dir = tempDir();
  if (kind === 'file') {
    const file = join(dir, 'memory.jsonl');
    return { kind, dir, file, args: ['--file', file], options: { file }, drop: async () => {} };
  }
  if (kind === 'sqlite') {
    const db = join(dir, 'warden.db');
    return { kind, dir, args: ['--db', db], options: { db }, drop: async () => {} };
  }
  const location = postgres.location();
  const schema = location.schema!;
  return {
    kind,
    dir,
    args: ['--db', location.db, '--schema', schema],
    options: { db: location.db, schema },
    drop: () => location.drop(),
  };
}

export interface StdioServer {
  readonly client: Client;
  readonly transport: StdioClientTransport;
  /** The server process's pid. */
  readonly pid: number;
  readonly stderr: () => string;
  /** Resolves once the server's stderr matches `pattern`. */
  stderrMatches(pattern: RegExp): Promise<void>;
  close(): Promise<void>;
}

async function connectStdio(command: string, args: readonly string[], env: Record<string, string>): Promise<StdioServer> {
  const transport = new StdioClientTransport({ command, args: [...args], env: { ...(process.env as Record<string, string>), ...env }, stderr: 'pipe' });
  let err = '';
  transport.stderr?.on('data', (c: Buffer) => (err += c.toString()));
  const stderrMatches = (pattern: RegExp): Promise<void> =>
    new Promise((resolve) => {
      if (pattern.test(err)) return resolve();
      const check = (): void => {
        if (!pattern.test(err)) return;
        transport.stderr?.off('data', check);
        resolve();
      };
      transport.stderr?.on('data', check);
    });
  const client = new Client({ name: 'warden-memory-test', version: '1.0.0' });
  await client.connect(transport);
  return { client, transport, pid: transport.pid!, stderr: () => err, stderrMatches, close: () => client.close() };
}

/** Warden's memory server over stdio, spawned by the SDK's client transport. */
export function wardenStdio(args: readonly string[]): Promise<StdioServer> {
  return connectStdio(process.execPath, [WARDEN_BIN, 'memory', 'serve', ...args], {});
}

/** The reference memory server over stdio, on `file`. */
export function referenceStdio(file: string): Promise<StdioServer> {
  return connectStdio(process.execPath, [REFERENCE_BIN], { MEMORY_FILE_PATH: file });
}

export interface HttpServerProcess {
  readonly url: string;
  readonly proc: ChildProcess;
  readonly exited: Promise<number | null>;
  stderr(): string;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

/** `warden memory serve --http --port 0 ...` in a child process (with `env` added to this one's); resolves once it listens. */
export async function wardenHttp(args: readonly string[], env: Record<string, string> = {}): Promise<HttpServerProcess> {
  const proc = spawn(process.execPath, [WARDEN_BIN, 'memory', 'serve', '--http', ...args], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, ...env },
  });
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  let err = '';
  const url = await new Promise<string>((resolve, reject) => {
    const lines = createInterface({ input: proc.stderr! });
    lines.on('line', (line) => {
      err += `${line}\n`;
      const m = /listening on (\S+)/.exec(line);
      if (m !== null) resolve(m[1]!);
    });
    void exited.then((code) => reject(new Error(`the server exited (${code}) before listening:\n${err}`)));
  });
  return {
    url,
    proc,
    exited,
    stderr: () => err,
    kill: async (signal = 'SIGTERM') => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
      await exited;
    },
  };
}

/** An SDK client over Streamable HTTP. */
export async function httpClient(url: string): Promise<Client> {
  const client = new Client({ name: 'warden-memory-test', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(url)));
  return client;
}

export type ToolOutcome = { readonly ok: true; readonly value: unknown; readonly text: string } | { readonly ok: false; readonly error: string };

/** Call a tool; a tool error (isError) or a protocol error becomes `{ ok: false, error }`. */
export async function callTool(client: Client, name: string, args: Record<string, unknown>): Promise<ToolOutcome> {
  try {
    const r = await client.callTool({ name, arguments: args });
    const text = (r.content as { type: string; text: string }[])[0]?.text ?? '';
    if (r.isError === true) return { ok: false, error: text };
    return { ok: true, value: r.structuredContent, text };
  } catch (e) {
    return { ok: false, error: (e as Error).message };
  }
}

/** Like callTool, but throws on an error. */
export async function tool(client: Client, name: string, args: Record<string, unknown>): Promise<unknown> {
  const r = await callTool(client, name, args);
  if (!r.ok) throw new Error(`${name} failed: ${r.error}`);
  return r.value;
}

export interface GraphShape {
  entities: { name: string; entityType: string; observations: string[] }[];
  relations: { from: string; to: string; relationType: string }[];
}

export async function readGraph(client: Client): Promise<GraphShape> {
  return (await tool(client, 'read_graph', {})) as GraphShape;
}

/** Resolve when the process has exited (after a kill). */
export function exitOf(pid: number): Promise<void> {
  return new Promise((resolve) => {
    const check = (): void => {
      try {
        process.kill(pid, 0);
        setImmediate(check);
      } catch {
        resolve();
      }
    };
    check();
  });
}
