/**
 * One writer for all the servers on one graph. The first memory server to write to a SQLite
 * store or a JSONL file listens on a unix socket beside it (`<file>.writer.sock`); the others
 * connect there at their first write and send it their writes, which it makes in its own group
 * commit, and they keep reading the graph themselves. When agents each run their own stdio
 * server on one graph, this turns one commit, one sync and one wait for the store's lock per
 * write (SQLite polls for its lock, sleeping up to 100 ms) into one commit for all the writes
 * that arrive together.
 *
 * Correctness never rests on it. The writer still writes through the store's own lock and
 * transactions, so a second writer (two servers electing themselves at once) or none (no socket
 * possible) only costs speed. If the writer goes away with calls in flight, those fail with
 * `MemoryUnavailableError` ("may or may not have been applied"), as when the graph service
 * itself dies, and the next write elects a writer again: connect, or, if nobody listens, remove
 * the dead writer's socket and listen. Reads never go through the writer: a write is answered
 * only once it is durable, so a server reading the store afterwards sees it.
 *
 * The socket's file permissions guard it like the store's own: the process must be able to
 * create a file beside the store. Postgres needs none of this (its server serialises writes);
 * paths too long for a unix socket make each server write for itself.
 *
 * Written by hand: a newline-delimited JSON exchange over `node:net` is all it takes, and no
 * library elects a leader among unrelated processes through a socket address.
 */
import { lstatSync, statSync, unlinkSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { decodeError, encodeError } from '../isolation/index.ts';
import { realClock, type Clock, type EventBus, type Timer } from '../runtime/index.ts';
import { MemoryUnavailableError } from './errors.ts';
import './events.ts';
import type { MemoryAccess } from './mcp-server.ts';
import type { KnowledgeGraph, ReadOp, WriteOp, WriteResult } from './types.ts';

export interface SharedWriterOptions {
  /** The unix socket's path (see `writerAddress`). */
  readonly address: string;
  readonly events?: EventBus;
  /** @default the real clock */
  readonly clock?: Clock;
  /** A write sent to the writer fails (may or may not have been applied) if unanswered this long. @default 60_000 */
  readonly callTimeoutMs?: number;
  /** A writer that accepts the connection but does not greet within this long is given up on. @default 5_000 */
  readonly helloTimeoutMs?: number;
  /** After failing to find or become a writer, write alone this long before trying again. @default 5_000 */
  readonly retryAfterMs?: number;
}

export const SHARED_WRITER_DEFAULTS = { callTimeoutMs: 60_000, helloTimeoutMs: 5_000, retryAfterMs: 5_000 } as const;

export type WriterRole = 'writer' | 'client' | 'alone';

export interface SharedWriterAccess extends MemoryAccess {
  /** What this server is now: the writer, a client of another server's writer, or writing alone (`undefined` before the first write). */
  role(): WriterRole | undefined;
  /** Stop serving or using the writer; the writes this writer accepted are answered first. */
  close(): Promise<void>;
}

/** Longest socket path every platform accepts (macOS: 104 bytes with the terminating NUL). */
const MAX_SOCKET_PATH = 103;
const PROTOCOL = 'warden-memory-writer/1';
const BYE = JSON.stringify({ bye: true });
/** How often a writer checks, at a write, that the socket is still its own. */
const WRITER_CHECK_MS = 1_000;

/** Where the writer of this graph listens: beside the file, or beside the SQLite store (one per graph); `undefined` when none can. */
export function writerAddress(location: { readonly file: string } | { readonly sqlite: string; readonly graph: string }): string | undefined {
  const path = 'file' in location ? `${location.file}.writer.sock` : `${location.sqlite}.${location.graph}.writer.sock`;
  return Buffer.byteLength(path) <= MAX_SOCKET_PATH ? path : undefined;
}

type Reply =
  | { readonly id: number; readonly ok: true; readonly value: unknown }
  | { readonly id: number; readonly ok: false; readonly error: Record<string, unknown> }
  | { readonly id: number; readonly ok: false; readonly notApplied: true };

/** A write that certainly did not reach the graph (the writer was closing, or gone before it was sent): send it again. */
class NotApplied {}

/** Calls `onLine` with each complete line the socket receives; the result tells whether a partial line is waiting. */
function readLines(socket: Socket, onLine: (line: string) => void): () => boolean {
  let buffered = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => {
    buffered += chunk;
    let nl: number;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      if (line !== '') onLine(line);
    }
  });
  return () => buffered !== '';
}

function parse(line: string): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(line);
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function identityOf(path: string): string {
  const st = statSync(path, { bigint: true });
  return `${st.ino}:${st.ctimeNs}:${st.birthtimeNs}`;
}

/** The writer's side: serves other servers' writes through `local`. */
class WriterEndpoint {
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private inFlight = 0;
  private idle: (() => void) | undefined;
  private closing = false;
  /** The socket file's identity: its inode and creation time (a new file may get a freed inode number). */
  private readonly identity: string;

  private constructor(server: Server, identity: string) {
    this.server = server;
    this.identity = identity;
  }

  /** Listen on `address`; rejects with the listen error (`EADDRINUSE`: someone else is the writer). */
  static async listen(address: string, local: MemoryAccess): Promise<WriterEndpoint> {
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(address, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const endpoint = new WriterEndpoint(server, identityOf(address));
    server.on('connection', (socket) => endpoint.serve(socket, local));
    server.on('error', () => {}); // accept errors on a listening socket are per connection
    return endpoint;
  }

  private serve(socket: Socket, local: MemoryAccess): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    let greeted = false;
    const send = (message: unknown): void => {
      if (socket.writable) socket.write(`${JSON.stringify(message)}\n`);
    };
    readLines(socket, (line) => {
      const message = parse(line);
      if (!greeted) {
        greeted = message?.hello === PROTOCOL;
        if (greeted) send({ hello: PROTOCOL });
        else socket.destroy(); // another program, or another version of this protocol
        return;
      }
      if (message === undefined || typeof message.id !== 'number' || typeof message.op !== 'object' || message.op === null) {
        socket.destroy(); // a peer that sends garbage gets nothing more from us
        return;
      }
      const id = message.id;
      if (this.closing) return send({ id, ok: false, notApplied: true } satisfies Reply);
      this.inFlight++;
      local
        .write(message.op as WriteOp)
        .then(
          (value) => send({ id, ok: true, value } satisfies Reply),
          (error: unknown) => send({ id, ok: false, error: encodeError(error) as Record<string, unknown> } satisfies Reply),
        )
        .finally(() => {
          if (--this.inFlight === 0) this.idle?.();
        });
    });
  }

  /** Whether the socket at `address` is still this endpoint's (another server may have replaced it; see `shareWrites`). */
  isAt(address: string): boolean {
    try {
      return identityOf(address) === this.identity;
    } catch {
      return false;
    }
  }

  /**
   * Stop taking writes, answer what was accepted, say goodbye, and stop listening. Closing the
   * listener removes the socket file by its name (libuv does), so a listener whose file another
   * writer has replaced is left open, unreferenced and unreachable, rather than remove the other's.
   */
  async close(address: string): Promise<void> {
    this.closing = true;
    const ours = this.isAt(address);
    const closed = ours ? new Promise<void>((resolve) => this.server.close(() => resolve())) : undefined;
    if (!ours) this.server.unref();
    if (this.inFlight > 0) await new Promise<void>((resolve) => (this.idle = resolve));
    // "Everything I accepted is answered": a client fails nothing it sent, it sends it again to the next writer.
    // Closed once the goodbye is flushed, without waiting for the client to close its side.
    for (const s of this.sockets) s.end(`${BYE}\n`, () => s.destroy());
    await closed;
  }
}

/** The client's side: a connection to the writer, with the calls waiting for its answers. */
class WriterConnection {
  private nextId = 1;
  /** The writer said goodbye: nothing more is sent here, and nothing left unanswered was applied. */
  private leaving = false;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: unknown) => void; timer: Timer }>();
  readonly lost: Promise<void>;
  private readonly socket: Socket;
  private readonly clock: Clock;
  private readonly callTimeoutMs: number;

  private constructor(socket: Socket, clock: Clock, callTimeoutMs: number) {
    this.socket = socket;
    this.clock = clock;
    this.callTimeoutMs = callTimeoutMs;
    this.lost = new Promise((resolve) => socket.once('close', () => resolve()));
    void this.lost.then(() => this.failPending('the shared writer went away while handling the call; it may or may not have been applied'));
  }

  /** A line from the writer after its greeting: a reply, or its goodbye. */
  private onLine(line: string): void {
    if (line === BYE) {
      this.leaving = true;
      for (const [, p] of this.pending) {
        p.timer.cancel();
        p.reject(new NotApplied());
      }
      this.pending.clear();
      return;
    }
    const reply = parse(line) as Reply | undefined;
    const waiting = reply === undefined ? undefined : this.pending.get(reply.id);
    if (reply === undefined || waiting === undefined) return void this.socket.destroy();
    this.pending.delete(reply.id);
    waiting.timer.cancel();
    if (reply.ok) waiting.resolve(reply.value);
    else waiting.reject('notApplied' in reply ? new NotApplied() : decodeError(reply.error));
  }

  /** Connect and exchange greetings; rejects with the socket error (`ENOENT`, `ECONNREFUSED`: nobody listens). */
  static async connect(address: string, clock: Clock, helloTimeoutMs: number, callTimeoutMs: number): Promise<WriterConnection> {
    const socket = createConnection(address);
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.once('connect', () => {
        socket.off('error', reject);
        resolve();
      });
    });
    socket.on('error', () => socket.destroy());
    let onLine = (_line: string): void => {};
    const partial = readLines(socket, (line) => onLine(line));
    socket.write(`${JSON.stringify({ hello: PROTOCOL })}\n`);
    // 'greeted'; 'stranger': it answered something else; 'gone': it closed first (a writer dying as we connected); 'silent'.
    const greeting = await new Promise<'greeted' | 'stranger' | 'gone' | 'silent'>((resolve) => {
      const timer = clock.setTimer(helloTimeoutMs, () => resolve('silent'));
      onLine = (line) => {
        timer.cancel();
        resolve(parse(line)?.hello === PROTOCOL ? 'greeted' : 'stranger');
      };
      socket.once('close', () => {
        timer.cancel();
        resolve(partial() ? 'stranger' : 'gone');
      });
    });
    if (greeting !== 'greeted') {
      socket.destroy();
      if (greeting === 'gone') throw Object.assign(new Error('the writer closed the connection before greeting'), { code: 'ECONNRESET' });
      if (greeting === 'silent') throw Object.assign(new Error(`the process listening there did not greet within ${helloTimeoutMs} ms`), { code: 'ETIMEDOUT' });
      throw Object.assign(new Error('the process listening there did not greet as a memory writer'), { code: 'EPROTO' });
    }
    const connection = new WriterConnection(socket, clock, callTimeoutMs);
    onLine = (line) => connection.onLine(line);
    return connection;
  }

  write(op: WriteOp): Promise<WriteResult> {
    if (this.leaving || this.socket.destroyed) return Promise.reject(new NotApplied());
    const id = this.nextId++;
    return new Promise<WriteResult>((resolve, reject) => {
      const timer = this.clock.setTimer(this.callTimeoutMs, () => {
        this.pending.delete(id);
        reject(new MemoryUnavailableError(`the shared writer did not answer within ${this.callTimeoutMs} ms; the call may or may not have been applied`));
        this.socket.destroy(); // a writer this slow is treated as gone; the next write elects again
      });
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, timer });
      this.socket.write(`${JSON.stringify({ id, op })}\n`);
    });
  }

  private failPending(why: string): void {
    for (const [, p] of this.pending) {
      p.timer.cancel();
      p.reject(new MemoryUnavailableError(why));
    }
    this.pending.clear();
  }

  close(): void {
    this.socket.end();
  }
}

const codeOf = (e: unknown): string | undefined => (e as NodeJS.ErrnoException | null)?.code;

/**
 * Share `local`'s writes with every other server on the graph (see the module comment). Reads go
 * to `local`; writes to whichever server is the writer, elected at the first write.
 *
 * @example
 * ```ts
 * const address = writerAddress({ file: '/data/memory.jsonl' });
 * const access = address === undefined ? local : shareWrites(local, { address });
 * ```
 */
export function shareWrites(local: MemoryAccess, options: SharedWriterOptions): SharedWriterAccess {
  const { address, events } = options;
  const clock = options.clock ?? realClock;
  const callTimeoutMs = options.callTimeoutMs ?? SHARED_WRITER_DEFAULTS.callTimeoutMs;
  const helloTimeoutMs = options.helloTimeoutMs ?? SHARED_WRITER_DEFAULTS.helloTimeoutMs;
  const retryAfterMs = options.retryAfterMs ?? SHARED_WRITER_DEFAULTS.retryAfterMs;

  let current: { role: 'writer'; endpoint: WriterEndpoint } | { role: 'client'; connection: WriterConnection } | { role: 'alone'; until: number } | undefined;
  let electing: Promise<void> | undefined;
  let steppingDown: Promise<void> | undefined;
  let checkedAt = clock.now();
  let closed = false;

  const become = (next: NonNullable<typeof current>, why?: string): void => {
    current = next;
    events?.emit({ type: 'memory.writer', role: next.role, address, ...(why === undefined ? {} : { why }) });
  };

  const elect = async (): Promise<void> => {
    let why = 'no writer could be found or started';
    let refusedOnce = false;
    for (let attempt = 0; attempt < 5 && !closed; attempt++) {
      try {
        const connection = await WriterConnection.connect(address, clock, helloTimeoutMs, callTimeoutMs);
        if (closed) return connection.close();
        become({ role: 'client', connection });
        void connection.lost.then(() => {
          if (current?.role === 'client' && current.connection === connection) current = undefined; // elect again at the next write
        });
        return;
      } catch (e) {
        const code = codeOf(e);
        why = `connecting to ${address}: ${code ?? (e as Error).message}`;
        if (code === 'ECONNRESET') continue; // its writer was dying as we connected: look again
        if (code !== 'ENOENT' && code !== 'ECONNREFUSED') break;
        if (code === 'ECONNREFUSED') {
          // Nobody listens on it: its writer died, or another server is between binding it and
          // listening (a few microseconds). Look once more, then remove it if it is a socket.
          if (!refusedOnce) {
            refusedOnce = true;
            await new Promise((resolve) => setImmediate(resolve));
            continue;
          }
          try {
            if (lstatSync(address).isSocket()) unlinkSync(address);
          } catch {
            // gone already: another server is cleaning up too
          }
        }
      }
      try {
        const endpoint = await WriterEndpoint.listen(address, local);
        if (closed) return await endpoint.close(address);
        become({ role: 'writer', endpoint });
        return;
      } catch (e) {
        const code = codeOf(e);
        why = `listening on ${address}: ${code ?? (e as Error).message}`;
        if (code !== 'EADDRINUSE') break; // EADDRINUSE: another server became the writer first; connect to it
      }
    }
    if (!closed) become({ role: 'alone', until: clock.now() + retryAfterMs }, why);
  };

  const ready = async (): Promise<void> => {
    while (!closed && (current === undefined || (current.role === 'alone' && clock.now() >= current.until))) {
      electing ??= elect().finally(() => (electing = undefined));
      await electing;
    }
  };

  return {
    async write(op: WriteOp): Promise<WriteResult> {
      for (let attempt = 0; ; attempt++) {
        await ready();
        const now = current;
        if (now?.role === 'writer' && clock.now() - checkedAt >= WRITER_CHECK_MS) {
          checkedAt = clock.now();
          // Two servers electing themselves at once can leave one listening on a socket the other
          // replaced, so nobody new finds it: that one steps down and joins the other.
          if (!now.endpoint.isAt(address)) {
            current = undefined;
            steppingDown = now.endpoint.close(address);
            continue;
          }
        }
        if (now?.role !== 'client' || attempt >= 5) return local.write(op);
        try {
          return await now.connection.write(op);
        } catch (e) {
          if (!(e instanceof NotApplied)) throw e;
          if (current === now) current = undefined; // the writer is leaving: find or become the next one
        }
      }
    },
    read: (op: ReadOp): Promise<KnowledgeGraph> => local.read(op),
    role: () => current?.role,
    async close(): Promise<void> {
      closed = true;
      await electing;
      await steppingDown;
      const was = current;
      current = undefined;
      if (was?.role === 'writer') await was.endpoint.close(address);
      else if (was?.role === 'client') was.connection.close();
    },
  };
}
