/**
 * `serveMemory`: the whole memory server as `warden memory serve` runs it. A supervisor (one
 * child, `graph`: the memory service, inline or in its own OS process) and an MCP front on
 * stdio or Streamable HTTP that calls it. If the service crashes it is restarted (its `init`
 * reads and repairs the graph again) while clients stay connected; calls made meanwhile wait
 * for it. If it keeps crashing (more than `intensity` restarts in `periodSeconds`), the
 * supervisor gives up, the front closes and `done` resolves with the reason.
 */
import { resolve } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { Runtime, type ExitReason, type Pid } from '../runtime/index.ts';
import { startSupervisor, stopSupervisor } from '../supervisor/index.ts';
import { isPostgresUrl, storeLocation } from '../store/index.ts';
import { childProcess } from '../isolation/index.ts';
import { startMemoryHttp, type MemoryHttpOptions } from './http.ts';
import { createMemoryMcpServer } from './mcp-server.ts';
import type { MemoryBackendOptions } from './open.ts';
import { MEMORY_SERVICE_MODULE, memoryService, serviceAccess } from './service.ts';
import { shareWrites, writerAddress } from './shared-writer.ts';
import './events.ts';

export interface ServeMemoryOptions {
  readonly backend: MemoryBackendOptions;
  /** `'stdio'` (process stdin/stdout unless `stdio` is given) or Streamable HTTP. */
  readonly transport: 'stdio' | { readonly http: MemoryHttpOptions };
  /** Where the graph runs: in this event loop, or in its own OS process. @default 'inline' */
  readonly isolation?: 'inline' | 'process';
  /** @default a new Runtime */
  readonly runtime?: Runtime;
  /** Restarts allowed within `periodSeconds` before giving up. @default 5 */
  readonly intensity?: number;
  /** @default 10 */
  readonly periodSeconds?: number;
  /** Streams for the stdio transport. @default process.stdin and process.stdout */
  readonly stdio?: { readonly input: Readable; readonly output: Writable };
  /**
   * Let one server make the writes of every server on this SQLite store or file (shared-writer.ts):
   * much faster when many servers share a graph, and never needed for correctness. @default true
   */
  readonly shareWrites?: boolean;
}

export const SERVE_MEMORY_DEFAULTS = { isolation: 'inline', intensity: 5, periodSeconds: 10, shareWrites: true } as const;

/** Where the writer for this backend listens; `undefined` for Postgres, or when the path is too long for a socket. */
function writerAddressOf(backend: MemoryBackendOptions): string | undefined {
  if (backend.file !== undefined) return writerAddress({ file: resolve(backend.file) });
  const location = storeLocation(backend.db === undefined ? {} : { db: backend.db });
  return isPostgresUrl(location) ? undefined : writerAddress({ sqlite: location, graph: backend.graph ?? 'default' });
}

export interface MemoryServerHandle {
  readonly runtime: Runtime;
  /** The supervisor of the memory service. */
  readonly supervisor: Pid;
  /** The HTTP endpoint (HTTP only). */
  readonly url: string | undefined;
  /** Resolves when the server stops: `normal` on close (or stdin closed), the supervisor's reason if it gave up. */
  readonly done: Promise<ExitReason>;
  close(): Promise<void>;
}

/**
 * Run the memory server.
 *
 * @example
 * ```ts
 * const server = await serveMemory({ backend: { file: 'memory.jsonl' }, transport: { http: { port: 8788 } } });
 * console.log(server.url);
 * await server.done;
 * ```
 */
export async function serveMemory(options: ServeMemoryOptions): Promise<MemoryServerHandle> {
  const rt = options.runtime ?? new Runtime();
  const isolation = options.isolation ?? SERVE_MEMORY_DEFAULTS.isolation;
  const supervisor = await startSupervisor(rt, {
    name: 'memory',
    strategy: 'one_for_one',
    intensity: options.intensity ?? SERVE_MEMORY_DEFAULTS.intensity,
    periodSeconds: options.periodSeconds ?? SERVE_MEMORY_DEFAULTS.periodSeconds,
    children: [
      {
        id: 'graph',
        start: isolation === 'process' ? childProcess(MEMORY_SERVICE_MODULE, { arg: options.backend, label: 'memory' }) : memoryService(options.backend),
        shutdown: 10_000,
      },
    ],
  });
  const service = await serviceAccess(rt, supervisor, 'graph');
  const address = options.shareWrites ?? SERVE_MEMORY_DEFAULTS.shareWrites ? writerAddressOf(options.backend) : undefined;
  const shared = address === undefined ? undefined : shareWrites(service, { address, events: rt.events, clock: rt.clock });
  const access = shared ?? service;
  let closeFront: () => Promise<void>;
  let url: string | undefined;
  let finish!: (reason: ExitReason) => void;
  const done = new Promise<ExitReason>((resolve) => (finish = resolve));
  let closing: Promise<void> | undefined;

  const close = (reason: ExitReason = 'normal'): Promise<void> =>
    (closing ??= (async () => {
      await closeFront().catch(() => {});
      await shared?.close();
      service.dispose();
      if (rt.isAlive(supervisor)) await stopSupervisor(rt, supervisor).catch(() => {});
      finish(reason);
    })());

  if (options.transport === 'stdio') {
    const input = options.stdio?.input ?? process.stdin;
    const output = options.stdio?.output ?? process.stdout;
    const mcp = createMemoryMcpServer(access);
    const transport = new StdioServerTransport(input, output);
    await mcp.connect(transport);
    input.once('end', () => void close());
    input.once('close', () => void close());
    closeFront = () => mcp.close();
    rt.events.emit({ type: 'memory.listening', transport: 'stdio', url: undefined });
  } else {
    const http = await startMemoryHttp(access, { clock: rt.clock, events: rt.events, ...options.transport.http });
    url = http.url;
    closeFront = () => http.close();
  }
  void rt.whenExited(supervisor).then((reason) => {
    if (closing === undefined) void close(reason);
  });
  return { runtime: rt, supervisor, url, done, close: () => close() };
}
