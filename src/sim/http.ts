/**
 * Small HTTP helpers shared by the simulated model server and the chaos proxy: reading a request
 * body with a size cap, JSON and SSE responses, and tracking open sockets so `close()` never
 * waits on a keep-alive connection or a hung request. Plain `node:http`: both servers must
 * control status lines, headers and the socket byte by byte (to cut a stream after K events,
 * reset a connection, or hang), which is exactly what web frameworks hide.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** Largest request body either server reads, bytes. */
export const MAX_BODY_BYTES = 16 * 1024 * 1024;

/**
 * How much of a too-large body is read and thrown away so the client, still sending, can read
 * the 413 (a server that closes mid-upload makes the client see a reset instead). Past this the
 * connection is closed after the 413 all the same.
 */
export const MAX_DISCARD_BYTES = 4 * MAX_BODY_BYTES;

export class BodyTooLargeError extends Error {
  /** Bytes received before the server stopped reading. */
  readonly received: number;
  /** Whether the whole body was read (and discarded): the client waits for an answer. */
  readonly complete: boolean;

  constructor(received: number, complete: boolean) {
    super(`request body ${complete ? 'of' : 'of at least'} ${received} bytes is larger than the limit of ${MAX_BODY_BYTES} bytes (16 MiB)`);
    this.name = 'BodyTooLargeError';
    this.received = received;
    this.complete = complete;
  }
}

/**
 * The whole request body. Past the cap it stops keeping the bytes but goes on reading (up to
 * {@link MAX_DISCARD_BYTES}) and then rejects with BodyTooLargeError, so the caller can answer
 * 413 to a client that has finished sending (see {@link sendTooLarge}).
 */
export function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    let chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const fail = (e: Error): void => {
      if (settled) return;
      settled = true;
      reject(e);
    };
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) {
        chunks.push(chunk);
        return;
      }
      chunks = [];
      if (size > MAX_DISCARD_BYTES) {
        req.pause();
        fail(new BodyTooLargeError(size, false));
      }
    });
    req.on('end', () => {
      if (size > MAX_BODY_BYTES) fail(new BodyTooLargeError(size, true));
      else if (!settled) {
        settled = true;
        resolve(Buffer.concat(chunks));
      }
    });
    req.on('error', fail);
  });
}

/**
 * Answer 413 with `body` and close the connection once it is written (at once, when the client
 * was still sending past {@link MAX_DISCARD_BYTES}).
 */
export function sendTooLarge(res: ServerResponse, error: BodyTooLargeError, body: unknown): void {
  if (!error.complete) res.on('finish', () => res.socket?.destroy());
  sendJson(res, 413, body, { connection: 'close' });
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.destroyed || res.writableEnded) return;
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

/** Start an SSE response. */
export function startSse(res: ServerResponse, headers: Record<string, string> = {}): void {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive', ...headers });
  res.flushHeaders();
}

/** One SSE event: `event:` line (if named) and one `data:` line. */
export function sseEvent(data: string, event?: string): string {
  return `${event === undefined ? '' : `event: ${event}\n`}data: ${data}\n\n`;
}

/** Tracks a server's sockets so they can all be destroyed on close. */
export function trackSockets(server: Server): Set<Socket> {
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  return sockets;
}

/**
 * Listen on `port` (0: any free one) at `host` (default loopback; an IPv6 address with or without
 * brackets, as in a URL); resolves with the port and the base URL.
 */
export async function listen(server: Server, port: number, host = '127.0.0.1'): Promise<{ port: number; url: string }> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const hostname = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return { port: address.port, url: `http://${hostname}:${address.port}` };
}

/** Close `server`, destroying every open connection; resolves when it has stopped. */
export function closeServer(server: Server, sockets: Set<Socket>): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    for (const s of sockets) s.destroy();
    server.closeAllConnections();
  });
}
