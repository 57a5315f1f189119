/**
 * The Streamable HTTP front (MCP's HTTP transport, through the SDK's
 * `StreamableHTTPServerTransport`): one MCP session per client, each with its own `McpServer`
 * on the shared memory access, at `path` (default `/mcp`).
 *
 * - **Loopback by default** (`127.0.0.1`). On a loopback address, requests whose `Host` is not a
 *   loopback name, or whose `Origin` is not a loopback page, are refused (403): a web page the
 *   user visits cannot reach the server through DNS rebinding.
 * - **Bounded**: at most `maxSessions` sessions (a new one beyond that gets 503), and a session
 *   idle for `sessionIdleMs` is closed. A client whose session is unknown (the server restarted)
 *   gets the SDK's 404 "Session not found" and reconnects with a new session.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { realClock, type Clock, type EventBus, type Timer } from '../runtime/index.ts';
import { createMemoryMcpServer, type MemoryAccess } from './mcp-server.ts';
import './events.ts';

export interface MemoryHttpOptions {
  /** 0 picks a free port. @default 0 */
  readonly port?: number;
  /** @default '127.0.0.1' */
  readonly host?: string;
  /** @default '/mcp' */
  readonly path?: string;
  /** @default 256 */
  readonly maxSessions?: number;
  /** Close a session unused this long. @default 1_800_000 (30 minutes) */
  readonly sessionIdleMs?: number;
  readonly clock?: Clock;
  readonly events?: EventBus;
}

export const MEMORY_HTTP_DEFAULTS = { port: 0, host: '127.0.0.1', path: '/mcp', maxSessions: 256, sessionIdleMs: 1_800_000 } as const;

export interface MemoryHttpServer {
  /** `http://host:port/mcp` */
  readonly url: string;
  readonly port: number;
  /** Sessions open now. */
  readonly sessions: number;
  close(): Promise<void>;
}

interface Session {
  readonly transport: StreamableHTTPServerTransport;
  lastUsedAt: number;
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

function isLoopback(host: string): boolean {
  return LOOPBACK_HOSTS.has(host) || host.startsWith('127.');
}

function hostName(header: string): string {
  if (header.startsWith('[')) return header.slice(0, header.indexOf(']') + 1);
  const colon = header.lastIndexOf(':');
  return colon === -1 ? header : header.slice(0, colon);
}

function refuse(res: ServerResponse, status: number, message: string): void {
  if (res.headersSent) return;
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ jsonrpc: '2.0', error: { code: -32000, message }, id: null }));
}

/**
 * Serve the memory tools over Streamable HTTP.
 *
 * @example
 * ```ts
 * const http = await startMemoryHttp(await openMemoryGraph({ file: 'memory.jsonl' }), { port: 8788 });
 * console.log(http.url); // http://127.0.0.1:8788/mcp
 * ```
 */
export async function startMemoryHttp(access: MemoryAccess, options: MemoryHttpOptions = {}): Promise<MemoryHttpServer> {
  const host = options.host ?? MEMORY_HTTP_DEFAULTS.host;
  const path = options.path ?? MEMORY_HTTP_DEFAULTS.path;
  const maxSessions = options.maxSessions ?? MEMORY_HTTP_DEFAULTS.maxSessions;
  const idleMs = options.sessionIdleMs ?? MEMORY_HTTP_DEFAULTS.sessionIdleMs;
  const clock = options.clock ?? realClock;
  const events = options.events;
  const guarded = isLoopback(host);
  const sessions = new Map<string, Session>();
  let sweeper: Timer | undefined;

  const closeSession = (id: string, reason: 'deleted' | 'idle' | 'shutdown'): void => {
    const s = sessions.get(id);
    if (s === undefined) return;
    sessions.delete(id);
    s.transport.close().catch(() => {});
    events?.emit({ type: 'memory.session_closed', sessionId: id, reason });
  };
  const sweep = (): void => {
    const now = clock.now();
    for (const [id, s] of sessions) if (now - s.lastUsedAt >= idleMs) closeSession(id, 'idle');
    sweeper = sessions.size === 0 ? undefined : clock.setTimer(Math.min(idleMs, 60_000), sweep);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname !== path) return refuse(res, 404, `not found: the MCP endpoint is ${path}`);
    if (guarded) {
      const h = req.headers.host;
      if (h === undefined || !isLoopback(hostName(h))) return refuse(res, 403, `Host ${JSON.stringify(h ?? '')} refused: this server answers loopback names only`);
      const origin = req.headers.origin;
      if (origin !== undefined) {
        let ok = false;
        try {
          ok = isLoopback(hostName(new URL(origin).host));
        } catch {
          ok = false;
        }
        if (!ok) return refuse(res, 403, `Origin ${JSON.stringify(origin)} refused: this server answers loopback pages only`);
      }
    }
    const header = req.headers['mcp-session-id'];
    const sessionId = Array.isArray(header) ? header[0] : header;
    if (sessionId !== undefined) {
      const s = sessions.get(sessionId);
      if (s !== undefined) {
        s.lastUsedAt = clock.now();
        await s.transport.handleRequest(req, res);
        return;
      }
      // Unknown session: the SDK's own answer (404 "Session not found") tells the client to start again.
      return refuse(res, 404, 'Session not found');
    }
    if (req.method !== 'POST') return refuse(res, 400, 'Bad Request: no session (send an initialize request first)');
    if (sessions.size >= maxSessions) return refuse(res, 503, `too many sessions (at most ${maxSessions}); close one or try later`);
    const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
      sessionIdGenerator: randomUUID,
      enableJsonResponse: true,
      onsessioninitialized: (id) => {
        sessions.set(id, { transport, lastUsedAt: clock.now() });
        sweeper ??= clock.setTimer(Math.min(idleMs, 60_000), sweep);
        events?.emit({ type: 'memory.session_opened', sessionId: id });
      },
      onsessionclosed: (id) => closeSession(id, 'deleted'),
    });
    const mcp = createMemoryMcpServer(access);
    transport.onclose = () => {
      if (transport.sessionId !== undefined) closeSession(transport.sessionId, 'deleted');
      mcp.close().catch(() => {});
    };
    await mcp.connect(transport);
    await transport.handleRequest(req, res);
    if (transport.sessionId === undefined) await mcp.close(); // not an initialize request: nothing to keep
  };

  const http: Server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => refuse(res, 500, `internal error: ${(e as Error).message}`));
  });
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(options.port ?? MEMORY_HTTP_DEFAULTS.port, host, () => {
      http.off('error', reject);
      resolve();
    });
  });
  const port = (http.address() as AddressInfo).port;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  const endpoint = `http://${shownHost}:${port}${path}`;
  events?.emit({ type: 'memory.listening', transport: 'http', url: endpoint });
  return {
    url: endpoint,
    port,
    get sessions() {
      return sessions.size;
    },
    close: async () => {
      sweeper?.cancel();
      for (const id of [...sessions.keys()]) closeSession(id, 'shutdown');
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}
