/**
 * `serveMemory`: the whole memory server as `warden memory serve` runs it. A supervisor (one
 * child, `graph`: the memory service, inline or in its own OS process) and an MCP front on
 * stdio or Streamable HTTP that calls it. If the service crashes it is restarted (its `init`
 * reads and repairs the graph again) while clients stay connected; calls made meanwhile wait
 * for it. If it keeps crashing (more than `intensity` restarts in `periodSeconds`), the
 * supervisor gives up, the front closes and `done` resolves with the reason.
 */
import { resolve } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { InvalidSpecError, Runtime, type ExitReason, type Pid } from '../runtime/index.ts';
import { startSupervisor, stopSupervisor } from '../supervisor/index.ts';
import { isPostgresUrl, storeLocation } from '../store/index.ts';
import { childProcess } from '../isolation/index.ts';
import { checkMemoryHttpOptions, startMemoryHttp, type MemoryHttpOptions } from './http.ts';
import { createMemoryMcpServer } from './mcp-server.ts';
import type { MemoryBackendOptions } from './open.ts';
import { MEMORY_SERVICE_MODULE, memoryService, serviceAccess } from './service.ts';
import { shareWrites, writerAddress } from './shared-writer.ts';
import { BOUNDED_STDIO_DEFAULTS, BoundedStdioTransport } from './stdio-transport.ts';
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
   * stdio: the longest message (line) read, in bytes. A longer one is answered with a JSON-RPC
   * error (and a `memory.message_refused` event) and the server reads on. @default 10_485_760 (10 MiB)
   */
  readonly maxMessageBytes?: number;
  /**
   * Let one server make the writes of every server on this SQLite store or file (shared-writer.ts):
   * much faster when many servers share a graph, and never needed for correctness. @default true
   */
  readonly shareWrites?: boolean;
}

export const SERVE_MEMORY_DEFAULTS = {
  isolation: 'inline',
  intensity: 5,
  periodSeconds: 10,
  shareWrites: true,
  maxMessageBytes: BOUNDED_STDIO_DEFAULTS.maxMessageBytes,
} as const;

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
  // Refuse bad HTTP options (listening off loopback without a token) before anything starts.
  if (options.transport !== 'stdio') checkMemoryHttpOptions(options.transport.http);
  const max = options.maxMessageBytes;
  if (max !== undefined && (!Number.isSafeInteger(max) || max < 1))
    throw new InvalidSpecError('memory server', 'maxMessageBytes', max, 'must be an integer >= 1');
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
  const address = (options.shareWrites ?? SERVE_MEMORY_DEFAULTS.shareWrites) ? writerAddressOf(options.backend) : undefined;
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
    const mcp = await createMemoryMcpServer(access);
    const transport = new BoundedStdioTransport(input, output, {
      maxMessageBytes: options.maxMessageBytes ?? SERVE_MEMORY_DEFAULTS.maxMessageBytes,
      onRefused: (r) => rt.events.emit({ type: 'memory.message_refused', transport: 'stdio', bytes: r.bytes, limit: r.limit, id: r.id }),
    });
    await mcp.connect(transport);
    input.once('end', () => void close());
    input.once('close', () => void close());
    closeFront = () => mcp.close();
    rt.events.emit({ type: 'memory.listening', transport: 'stdio', url: undefined });
  } else {
    let http;
    try {
      http = await startMemoryHttp(access, { clock: rt.clock, events: rt.events, ...options.transport.http });
    } catch (e) {
      // Could not listen (the port is taken...): stop what was started, then say why.
      closeFront = async () => {};
      await close();
      throw e;
    }
    url = http.url;
    closeFront = () => http.close();
  }
  void rt.whenExited(supervisor).then((reason) => {
    if (closing === undefined) void close(reason);
  });
  return { runtime: rt, supervisor, url, done, close: () => close() };
}
