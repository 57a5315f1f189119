/**
 * The Streamable HTTP front (MCP's HTTP transport, through the SDK's
 * `StreamableHTTPServerTransport`): one MCP session per client, each with its own `McpServer`
 * on the shared memory access, at `path` (default `/mcp`).
 *
 * - **Loopback by default** (`127.0.0.1`). On a loopback address, a request whose `Host` is not
 *   a loopback name, or whose `Origin` is not a loopback page, is refused (403), so a web page
 *   cannot reach the server through DNS rebinding (http-guard.ts says what counts as loopback).
 * - **Token.** With `token`, every request needs `Authorization: Bearer <token>` (401
 *   otherwise). Listening off loopback without a token is refused at start: anyone who can
 *   reach the port could read and change the graph.
 * - **Bounded sessions.** At most `maxSessions` at once. When a new client comes and all are
 *   taken, the least recently used session is closed to make room: first one with nothing open,
 *   else one whose client only listens on its notification stream; never one with a call in
 *   progress (if every session has one, the new client gets 503). A session unused for
 *   `sessionIdleMs` (by the injected clock) is closed too, unless a call is in progress. Many
 *   clients, among them the SDK's, never end their session (its `client.close()` sends no
 *   DELETE; `transport.terminateSession()` does), so short-lived clients would otherwise fill
 *   the table.
 * - **Ended sessions.** A request naming a session that was closed (evicted, idle, the server
 *   restarted) gets 404 "Session not found", as the MCP spec says: the client starts a new
 *   session with a new initialize request (with the SDK: `client.close()`, then `client.connect`
 *   on a new transport).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { InvalidSpecError, realClock, type Clock, type EventBus, type Timer } from '../runtime/index.ts';
import { bearerCheck, isLoopbackHostHeader, isLoopbackName, isLoopbackOrigin } from './http-guard.ts';
import { createMemoryMcpServer, type MemoryAccess } from './mcp-server.ts';
import { loadMcpSdk } from './mcp-sdk.ts';
import './events.ts';

export interface MemoryHttpOptions {
  /** 0 picks a free port. @default 0 */
  readonly port?: number;
  /** The address to listen on. Off loopback, `token` is required. @default '127.0.0.1' */
  readonly host?: string;
  /** @default '/mcp' */
  readonly path?: string;
  /**
   * Every request must carry `Authorization: Bearer <token>` (at least 16 characters, no
   * whitespace). Required when `host` is not loopback. @default none (loopback only)
   */
  readonly token?: string;
  /** Sessions open at once; when full, the least recently used one not in a call makes room. @default 256 */
  readonly maxSessions?: number;
  /** Close a session unused this long (no call in progress). @default 1_800_000 (30 minutes) */
  readonly sessionIdleMs?: number;
  readonly clock?: Clock;
  readonly events?: EventBus;
}

export const MEMORY_HTTP_DEFAULTS = { port: 0, host: '127.0.0.1', path: '/mcp', maxSessions: 256, sessionIdleMs: 1_800_000 } as const;

/** Shortest token accepted. */
export const MIN_TOKEN_LENGTH = 16;

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
  /** Calls (POST, DELETE) being answered now: while > 0 the session is never closed for room or idleness. */
  calls: number;
  /** Notification streams (GET) open now. */
  streams: number;
}

/** Whether listening on `host` (an address or a name, IPv6 with or without brackets) keeps the server on this machine. */
export function isLoopbackHost(host: string): boolean {
  return isLoopbackName(host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host);
}

const SUBJECT = 'memory HTTP server';

/**
 * Check HTTP options before anything starts: a bad value, or listening off loopback without a
 * token, throws an `InvalidSpecError` naming the option.
 */
export function checkMemoryHttpOptions(options: MemoryHttpOptions): void {
  if (typeof options !== 'object' || options === null) throw new InvalidSpecError(SUBJECT, '', options, 'options must be an object');
  for (const field of ['host', 'path'] as const) {
    const value: unknown = options[field];
    if (value !== undefined && typeof value !== 'string') throw new InvalidSpecError(SUBJECT, field, value, 'must be a string');
  }
  const integer = (path: string, value: number | undefined, min: number, max = Number.MAX_SAFE_INTEGER): void => {
    if (value !== undefined && (!Number.isSafeInteger(value) || value < min || value > max)) {
      throw new InvalidSpecError(
        SUBJECT,
        path,
        value,
        max === Number.MAX_SAFE_INTEGER ? `must be an integer >= ${min}` : `must be an integer from ${min} to ${max}`,
      );
    }
  };
  integer('port', options.port, 0, 65535);
  integer('maxSessions', options.maxSessions, 1);
  integer('sessionIdleMs', options.sessionIdleMs, 1);
  const token = options.token;
  if (token !== undefined && (typeof token !== 'string' || token.length < MIN_TOKEN_LENGTH || /\s/.test(token))) {
    // The value is a secret: only its length is shown.
    throw new InvalidSpecError(
      SUBJECT,
      'token',
      `${typeof token === 'string' ? token.length : typeof token} characters`,
      `must be at least ${MIN_TOKEN_LENGTH} characters with no whitespace`,
    );
  }
  const host = options.host ?? MEMORY_HTTP_DEFAULTS.host;
  if (token === undefined && !isLoopbackHost(host)) {
    throw new InvalidSpecError(
      SUBJECT,
      'host',
      host,
      'is not loopback, so a token is required (anyone who can reach the port could read and change the graph): give --token or set WARDEN_MEMORY_TOKEN',
    );
  }
}

/** Largest request accepted without a session (only an initialize request is). */
const MAX_INITIALIZE_BYTES = 1_048_576;

/** The whole body, or `undefined` if it is longer than `limit` (the rest is then discarded). */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > limit) {
        req.off('data', onData);
        req.resume();
        resolve(undefined);
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('end', () => resolve(size > limit ? undefined : Buffer.concat(chunks)));
    req.once('error', reject);
  });
}

function refuse(res: ServerResponse, status: number, code: number, message: string, headers: Record<string, string> = {}): void {
  if (res.headersSent) return;
  res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify({ jsonrpc: '2.0', error: { code, message }, id: null }));
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
  checkMemoryHttpOptions(options);
  const { StreamableHTTPServerTransport: Transport, isInitializeRequest } = await loadMcpSdk();
  const host = options.host ?? MEMORY_HTTP_DEFAULTS.host;
  const path = options.path ?? MEMORY_HTTP_DEFAULTS.path;
  const maxSessions = options.maxSessions ?? MEMORY_HTTP_DEFAULTS.maxSessions;
  const idleMs = options.sessionIdleMs ?? MEMORY_HTTP_DEFAULTS.sessionIdleMs;
  const clock = options.clock ?? realClock;
  const events = options.events;
  const guarded = isLoopbackHost(host);
  const authorized = options.token === undefined ? undefined : bearerCheck(options.token);
  /** Open sessions, least recently used first (a session is moved to the end whenever it is used). */
  const sessions = new Map<string, Session>();
  /** Initialize requests being answered: each may add a session. */
  let opening = 0;
  let sweeper: Timer | undefined;

  const closeSession = (id: string, reason: 'deleted' | 'idle' | 'evicted' | 'shutdown'): void => {
    const s = sessions.get(id);
    if (s === undefined) return;
    sessions.delete(id);
    s.transport.close().catch(() => {});
    events?.emit({ type: 'memory.session_closed', sessionId: id, reason });
  };
  const sweep = (): void => {
    const now = clock.now();
    for (const [id, s] of sessions) if (s.calls === 0 && now - s.lastUsedAt >= idleMs) closeSession(id, 'idle');
    sweeper = sessions.size === 0 ? undefined : clock.setTimer(Math.min(idleMs, 60_000), sweep);
  };
  /** Make room for one more session; false if every session is in a call. */
  const makeRoom = (): boolean => {
    if (sessions.size + opening < maxSessions) return true;
    const now = clock.now();
    for (const [id, s] of sessions) if (s.calls === 0 && now - s.lastUsedAt >= idleMs) closeSession(id, 'idle');
    if (sessions.size + opening < maxSessions) return true;
    let listening: string | undefined;
    for (const [id, s] of sessions) {
      if (s.calls > 0) continue;
      if (s.streams === 0) {
        closeSession(id, 'evicted');
        return true;
      }
      listening ??= id;
    }
    if (listening === undefined) return false;
    closeSession(listening, 'evicted');
    return true;
  };
  /** Count `res` as open on `s` until it closes, and mark the session used. */
  const track = (id: string, s: Session, req: IncomingMessage, res: ServerResponse): void => {
    const stream = req.method === 'GET';
    if (stream) s.streams++;
    else s.calls++;
    s.lastUsedAt = clock.now();
    sessions.delete(id);
    sessions.set(id, s);
    res.once('close', () => {
      if (stream) s.streams--;
      else s.calls--;
      s.lastUsedAt = clock.now();
    });
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    // URL.parse, not new URL: a target such as `//` (a host with no name, to the parser) is a 404, not a throw.
    if (URL.parse(req.url ?? '/', 'http://localhost')?.pathname !== path) return refuse(res, 404, -32000, `not found: the MCP endpoint is ${path}`);
    if (guarded) {
      const h = req.headers.host;
      if (!isLoopbackHostHeader(h))
        return refuse(res, 403, -32000, `Host ${JSON.stringify(h ?? '')} refused: this server answers loopback names only (localhost, 127.0.0.0/8, [::1])`);
      const origin = req.headers.origin;
      if (origin !== undefined && !isLoopbackOrigin(origin))
        return refuse(res, 403, -32000, `Origin ${JSON.stringify(origin)} refused: this server answers loopback pages only`);
    }
    if (authorized !== undefined && !authorized(req.headers.authorization)) {
      return refuse(res, 401, -32000, 'Unauthorized: send the server token as "Authorization: Bearer <token>"', {
        'www-authenticate': 'Bearer realm="warden-memory"',
      });
    }
    const header = req.headers['mcp-session-id'];
    const sessionId = Array.isArray(header) ? header[0] : header;
    if (sessionId !== undefined) {
      const s = sessions.get(sessionId);
      if (s === undefined) {
        // The MCP spec's answer: the client must start a new session with an initialize request.
        return refuse(
          res,
          404,
          -32001,
          'Session not found: it was closed (unused for long, evicted to make room, or the server restarted); send a new initialize request',
        );
      }
      track(sessionId, s, req, res);
      await s.transport.handleRequest(req, res);
      return;
    }
    if (req.method !== 'POST') return refuse(res, 400, -32000, 'Bad Request: no session (send an initialize request first)');
    // Read the request here, so that only an initialize request can make a session take room.
    const body = await readBody(req, MAX_INITIALIZE_BYTES);
    if (body === undefined)
      return refuse(res, 413, -32600, `Request too large: a request without a session (an initialize request) may have at most ${MAX_INITIALIZE_BYTES} bytes`);
    let message: unknown;
    try {
      message = JSON.parse(body.toString('utf8'));
    } catch (e) {
      return refuse(res, 400, -32700, `Parse error: ${(e as Error).message}`);
    }
    if (!isInitializeRequest(message))
      return refuse(res, 400, -32000, 'Bad Request: no session (send an initialize request first, without an Mcp-Session-Id header)');
    if (!makeRoom()) return refuse(res, 503, -32000, `too many sessions: all ${maxSessions} are in a call; try again shortly (or raise --max-sessions)`);
    opening++;
    let opened = false;
    const transport: StreamableHTTPServerTransport = new Transport({
      sessionIdGenerator: randomUUID,
      enableJsonResponse: true,
      onsessioninitialized: (id) => {
        const s: Session = { transport, lastUsedAt: clock.now(), calls: 0, streams: 0 };
        opening--;
        opened = true;
        sessions.set(id, s);
        track(id, s, req, res);
        sweeper ??= clock.setTimer(Math.min(idleMs, 60_000), sweep);
        events?.emit({ type: 'memory.session_opened', sessionId: id });
      },
      onsessionclosed: (id) => closeSession(id, 'deleted'),
    });
    const mcp = await createMemoryMcpServer(access);
    transport.onclose = () => {
      if (transport.sessionId !== undefined) closeSession(transport.sessionId, 'deleted');
      mcp.close().catch(() => {});
    };
    try {
      await mcp.connect(transport);
      await transport.handleRequest(req, res, message);
    } finally {
      if (!opened) opening--;
    }
    if (transport.sessionId === undefined) await mcp.close(); // not an initialize request: nothing to keep
  };

  const http: Server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => refuse(res, 500, -32603, `internal error: ${(e as Error).message}`));
  });
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    // An IPv6 address may come in brackets ('[::1]', as in a URL); listen takes it without them.
    http.listen(options.port ?? MEMORY_HTTP_DEFAULTS.port, host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host, () => {
      http.off('error', reject);
      resolve();
    });
  });
  const port = (http.address() as AddressInfo).port;
  const shownHost = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
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
