/**
 * The chaos proxy: an HTTP proxy in front of any endpoint (a real provider, the simulated
 * server, anything) that injects faults by rule and seed (see `chaos-rules.ts`): 429 with
 * Retry-After, 529 overloaded, 5xx, added latency, hangs, connection resets, truncated or
 * malformed bodies, and streams cut after K server-sent events. Requests no rule picks are
 * forwarded untouched (method, path, query, headers and body), and so are the answers.
 *
 * Guarantees: the same seed and rules give the same decisions for the same request sequence
 * (`proxy.decisions` lists the latest, within a count and a byte budget, and `proxy.totals`
 * counts them all, so a proxy that runs for days keeps bounded memory); a hang lasts until the client gives up or `maxHangMs` passes
 * (then the connection is dropped), so the proxy never holds a connection forever; `close()`
 * drops every connection, cancels every hang and resolves when the port is free. Error bodies
 * take the shape of the API the path belongs to (`/v1/messages`: Anthropic, else OpenAI).
 *
 * Written by hand: fault proxies such as Toxiproxy work on TCP bytes (no notion of an HTTP
 * status, a provider's error body or a server-sent event to cut after), and are separate
 * binaries outside npm; HTTP proxy libraries forward but do not inject. What is needed here is a
 * small `node:http` forwarder with a seeded decision per request.
 */
import { createServer, request as httpRequest, Agent, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import { request as httpsRequest, Agent as HttpsAgent } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { InvalidSpecError, disposable, realClock, type Clock, type Disposable, type EventBus } from '../runtime/index.ts';
import { anthropicError, anthropicErrorType } from './anthropic-wire.ts';
import { ChaosPlanner, type ChaosDecision, type ChaosFault, type ChaosFaultKind, type ChaosRule } from './chaos-rules.ts';
import { BodyTooLargeError, closeServer, readBody, sendJson, sendTooLarge, trackSockets } from './http.ts';
import { BoundedLog, utf8Bytes } from './bounded-log.ts';
import { openaiError, openaiErrorKind } from './openai-wire.ts';

declare module '../runtime/index.ts' {
  interface WardenEventMap {
    /** The chaos proxy decided what to do with a request (`fault` undefined: passed through). */
    'chaos.request': {
      readonly proxy: string;
      readonly seq: number;
      readonly method: string;
      readonly path: string;
      readonly fault: ChaosFaultKind | undefined;
      readonly rule: string | undefined;
    };
  }
}

export interface ChaosProxyOptions {
  /** Where requests go: `http://127.0.0.1:8080` (a path prefix is kept: `http://host/api`). */
  readonly target: string;
  /** @default 0 (a free port) */
  readonly port?: number;
  /** @default '127.0.0.1' */
  readonly host?: string;
  /** Fault rules, in order. @default [] (a transparent proxy) */
  readonly rules?: readonly ChaosRule[];
  /** Seed of the `probability` draws. @default 1 */
  readonly seed?: number;
  /** Longest hang before the connection is dropped, ms. @default 60_000 */
  readonly maxHangMs?: number;
  /** Clock for latency and the hang bound. @default realClock */
  readonly clock?: Clock;
  /** Report every decision as a `chaos.request` event. @default none */
  readonly bus?: EventBus;
  /** Name in events. @default 'chaos' */
  readonly name?: string;
  /** How many decisions `decisions` keeps (oldest dropped first). @default 10_000 */
  readonly maxDecisions?: number;
  /** Bytes the kept decisions may weigh together (their paths mostly; oldest dropped first). @default 4 MiB */
  readonly maxDecisionBytes?: number;
}

/** Defaults of the decision bounds. */
export const CHAOS_DECISION_DEFAULTS = { maxDecisions: 10_000, maxDecisionBytes: 4 * 1024 * 1024 } as const;

/** Counts over every request since start or `reset()`, kept decisions or not. */
export interface ChaosTotals {
  readonly requests: number;
  /** Requests that got a fault. */
  readonly faults: number;
  /** Faults by kind. */
  readonly byFault: Readonly<Partial<Record<ChaosFaultKind, number>>>;
}

/** What a decision weighs beside its texts, bytes (a rough figure for the object). */
const DECISION_OVERHEAD_BYTES = 128;

export interface ChaosProxy {
  /** `http://host:port` — use it as the SDK's base URL in place of the target's. */
  readonly url: string;
  readonly port: number;
  readonly target: string;
  /** The latest decisions, in arrival order, within `maxDecisions` and `maxDecisionBytes`. */
  readonly decisions: readonly ChaosDecision[];
  /** Totals over every decision since start or `reset()`. */
  readonly totals: ChaosTotals;
  /** What the kept decisions weigh, bytes (at most `maxDecisionBytes`). */
  readonly decisionBytes: number;
  /** Requests hanging right now. */
  readonly hanging: number;
  /** Call `listener` with each decision as it is made. */
  onDecision(listener: (decision: ChaosDecision) => void): Disposable;
  /** Forget the decisions and totals, and start the rules' counters and random sequence over. */
  reset(): void;
  close(): Promise<void>;
}

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer', 'host']);

function isAnthropicPath(path: string): boolean {
  return path.startsWith('/v1/messages') || path.includes('/messages');
}

function errorBody(path: string, status: number, message: string): unknown {
  if (isAnthropicPath(path)) return anthropicError(anthropicErrorType(status), message);
  const kind = openaiErrorKind(status);
  return openaiError(message, kind.type, null, kind.code);
}

/** Start a chaos proxy in front of `options.target`. */
export async function startChaosProxy(options: ChaosProxyOptions): Promise<ChaosProxy> {
  let target: URL;
  try {
    target = new URL(options.target);
  } catch {
    throw new InvalidSpecError('chaos proxy', 'target', options.target, 'must be an absolute http(s) URL');
  }
  if (target.protocol !== 'http:' && target.protocol !== 'https:') {
    throw new InvalidSpecError('chaos proxy', 'target', options.target, 'must be an http or https URL');
  }
  const port = options.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new InvalidSpecError('chaos proxy', 'port', port, 'must be an integer from 0 to 65535');
  const maxHangMs = options.maxHangMs ?? 60_000;
  if (!(maxHangMs >= 0 && Number.isFinite(maxHangMs))) throw new InvalidSpecError('chaos proxy', 'maxHangMs', maxHangMs, 'must be a number >= 0');
  const planner = new ChaosPlanner(options.rules ?? [], options.seed ?? 1);
  const clock = options.clock ?? realClock;
  const name = options.name ?? 'chaos';
  const bus = options.bus;
  const bounds: { maxDecisions: number; maxDecisionBytes: number } = { ...CHAOS_DECISION_DEFAULTS };
  for (const f of ['maxDecisions', 'maxDecisionBytes'] as const) {
    const v = options[f];
    if (v === undefined) continue;
    if (!(typeof v === 'number' && Number.isInteger(v) && v >= 0)) throw new InvalidSpecError('chaos proxy', f, v, 'must be an integer >= 0');
    bounds[f] = v;
  }
  const decisions = new BoundedLog<ChaosDecision>(bounds.maxDecisions, bounds.maxDecisionBytes);
  let totals = { requests: 0, faults: 0, byFault: {} as Partial<Record<ChaosFaultKind, number>> };
  const listeners = new Set<(d: ChaosDecision) => void>();
  const hangs = new Set<{ cancel(): void }>();
  const secure = target.protocol === 'https:';
  const agent = secure ? new HttpsAgent({ keepAlive: true }) : new Agent({ keepAlive: true });
  const basePath = target.pathname.replace(/\/+$/, '');

  function forward(req: IncomingMessage, body: Buffer, onResponse: (upstream: IncomingMessage) => void, onError: (e: Error) => void): () => void {
    const headers: Record<string, string | string[]> = {};
    for (const [k, v] of Object.entries(req.headers)) if (v !== undefined && !HOP_BY_HOP.has(k)) headers[k] = v;
    headers['content-length'] = String(body.length);
    const out = (secure ? httpsRequest : httpRequest)(
      {
        protocol: target.protocol,
        hostname: target.hostname,
        port: target.port === '' ? undefined : Number(target.port),
        method: req.method,
        path: `${basePath}${req.url ?? '/'}`,
        headers,
        agent,
      },
      onResponse,
    );
    out.on('error', onError);
    out.end(body);
    return () => out.destroy();
  }

  function copyHeaders(h: IncomingHttpHeaders): Record<string, string | string[]> {
    const out: Record<string, string | string[]> = {};
    for (const [k, v] of Object.entries(h)) if (v !== undefined && !HOP_BY_HOP.has(k)) out[k] = v;
    return out;
  }

  function badGateway(res: ServerResponse, path: string, e: Error): void {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    sendJson(res, 502, errorBody(path, 502, `chaos proxy: the target ${target.origin} failed: ${e.message}`));
  }

  function passThrough(req: IncomingMessage, res: ServerResponse, body: Buffer, path: string): void {
    const cancel = forward(
      req,
      body,
      (up) => {
        const headers = copyHeaders(up.headers);
        res.writeHead(up.statusCode ?? 502, headers);
        up.pipe(res);
        up.on('error', () => res.destroy());
      },
      (e) => badGateway(res, path, e),
    );
    res.on('close', () => {
      if (!res.writableFinished) cancel();
    });
  }

  /** Forward, but hand the upstream body to `shape` chunk by chunk. */
  function shaped(
    req: IncomingMessage,
    res: ServerResponse,
    body: Buffer,
    path: string,
    shape: (up: IncomingMessage, isStream: boolean) => void,
  ): void {
    const cancel = forward(req, body, (up) => shape(up, String(up.headers['content-type'] ?? '').includes('text/event-stream')), (e) => badGateway(res, path, e));
    res.on('close', () => {
      if (!res.writableFinished) cancel();
    });
  }

  function drop(res: ServerResponse, mode: 'reset' | 'close'): void {
    if (mode === 'close') {
      res.end();
      return;
    }
    const socket = res.socket;
    if (socket !== null && typeof (socket as Socket).resetAndDestroy === 'function') (socket as Socket).resetAndDestroy();
    else res.destroy();
  }

  function cutAfterEvents(up: IncomingMessage, res: ServerResponse, afterEvents: number, mode: 'reset' | 'close'): void {
    const headers = copyHeaders(up.headers);
    delete headers['content-length'];
    res.writeHead(up.statusCode ?? 200, headers);
    res.flushHeaders();
    let pending = '';
    let sent = 0;
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      up.destroy();
      // Let what was written reach the client before the connection goes.
      if (mode === 'close') res.end();
      else res.write('', () => res.destroy());
    };
    if (afterEvents === 0) {
      finish();
      return;
    }
    up.setEncoding('utf8');
    up.on('data', (chunk: string) => {
      if (done) return;
      pending += chunk;
      for (let at = pending.indexOf('\n\n'); at >= 0; at = pending.indexOf('\n\n')) {
        res.write(pending.slice(0, at + 2));
        pending = pending.slice(at + 2);
        if (++sent >= afterEvents) {
          finish();
          return;
        }
      }
    });
    up.on('end', () => {
      if (done) return;
      if (pending !== '') res.write(pending);
      done = true;
      res.end();
    });
    up.on('error', () => res.destroy());
  }

  function inject(fault: ChaosFault, req: IncomingMessage, res: ServerResponse, body: Buffer, path: string): void {
    switch (fault.kind) {
      case 'rate_limit': {
        const after = fault.retryAfterSeconds ?? 1;
        sendJson(res, 429, errorBody(path, 429, 'chaos proxy: rate limited'), { 'retry-after': String(after) });
        return;
      }
      case 'overloaded':
        sendJson(res, 529, anthropicError('overloaded_error', 'Overloaded'), fault.retryAfterSeconds === undefined ? {} : { 'retry-after': String(fault.retryAfterSeconds) });
        return;
      case 'status':
        if (fault.body !== undefined) {
          res.writeHead(fault.status, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(fault.body) });
          res.end(fault.body);
        } else {
          sendJson(res, fault.status, errorBody(path, fault.status, `chaos proxy: injected HTTP ${fault.status}`));
        }
        return;
      case 'latency': {
        const ac = new AbortController();
        res.on('close', () => ac.abort());
        clock.sleep(fault.ms, ac.signal).then(
          () => passThrough(req, res, body, path),
          () => undefined,
        );
        return;
      }
      case 'hang': {
        const timer = clock.setTimer(maxHangMs, () => {
          hangs.delete(handle);
          res.destroy();
        });
        const handle = {
          cancel: () => {
            timer.cancel();
            hangs.delete(handle);
          },
        };
        hangs.add(handle);
        res.on('close', handle.cancel);
        return;
      }
      case 'reset':
        drop(res, 'reset');
        return;
      case 'truncate':
        shaped(req, res, body, path, (up) => {
          const chunks: Buffer[] = [];
          up.on('data', (c: Buffer) => chunks.push(c));
          up.on('end', () => {
            const full = Buffer.concat(chunks);
            const keep = Math.min(full.length, fault.bytes ?? Math.floor(full.length / 2));
            const headers = copyHeaders(up.headers);
            headers['content-length'] = String(full.length);
            res.writeHead(up.statusCode ?? 200, headers);
            res.write(full.subarray(0, keep), () => res.destroy());
          });
          up.on('error', () => res.destroy());
        });
        return;
      case 'malformed':
        shaped(req, res, body, path, (up, isStream) => {
          if (isStream) {
            // One good event, then one whose data is not JSON, then a clean end.
            let pending = '';
            let done = false;
            const headers = copyHeaders(up.headers);
            delete headers['content-length'];
            res.writeHead(up.statusCode ?? 200, headers);
            up.setEncoding('utf8');
            up.on('data', (chunk: string) => {
              if (done) return;
              pending += chunk;
              const at = pending.indexOf('\n\n');
              if (at < 0) return;
              done = true;
              up.destroy();
              const broken = isAnthropicPath(path) ? 'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"te\n\n' : 'data: {"id":"chatcmpl-broken","choices":[{"delta":{"content":"x\n\n';
              res.end(pending.slice(0, at + 2) + broken);
            });
            up.on('error', () => res.destroy());
            return;
          }
          up.resume();
          up.on('end', () => {
            const text = '{"id": "broken", "choices": [ <html>Bad gateway</html>';
            res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
            res.end(text);
          });
        });
        return;
      case 'cut_stream':
        shaped(req, res, body, path, (up, isStream) => {
          if (isStream) {
            cutAfterEvents(up, res, fault.afterEvents, fault.mode ?? 'reset');
            return;
          }
          // Not a stream: cut the body in half instead: the connection breaks mid-body (`reset`), or
          // the body ends early as a complete, shorter response (`close`).
          const chunks: Buffer[] = [];
          up.on('data', (c: Buffer) => chunks.push(c));
          up.on('end', () => {
            const full = Buffer.concat(chunks);
            const half = full.subarray(0, Math.floor(full.length / 2));
            const headers = copyHeaders(up.headers);
            if (fault.mode === 'close') {
              headers['content-length'] = String(half.length);
              res.writeHead(up.statusCode ?? 200, headers);
              res.end(half);
              return;
            }
            headers['content-length'] = String(full.length);
            res.writeHead(up.statusCode ?? 200, headers);
            res.write(half, () => res.destroy());
          });
        });
        return;
      default: {
        const never: never = fault;
        throw new Error(`unknown fault ${JSON.stringify(never)}`);
      }
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = req.url ?? '/';
    let body: Buffer;
    try {
      body = await readBody(req);
    } catch (e) {
      if (e instanceof BodyTooLargeError) sendTooLarge(res, e, errorBody(path, 413, `chaos proxy: ${e.message}`));
      else res.destroy();
      return;
    }
    const method = req.method ?? 'GET';
    const decision = planner.decide(method, path, body.toString('utf8'));
    decisions.add(decision, DECISION_OVERHEAD_BYTES + utf8Bytes(method) + utf8Bytes(path) + utf8Bytes(decision.rule ?? ''));
    totals.requests++;
    if (decision.fault !== undefined) {
      totals.faults++;
      totals.byFault[decision.fault.kind] = (totals.byFault[decision.fault.kind] ?? 0) + 1;
    }
    for (const l of listeners) {
      try {
        l(decision);
      } catch {
        // A listener's failure must not change what the proxy does.
      }
    }
    if (bus?.wants('chaos.request')) {
      bus.emit({ type: 'chaos.request', proxy: name, seq: decision.seq, method, path, fault: decision.fault?.kind, rule: decision.rule });
    }
    if (decision.fault === undefined) passThrough(req, res, body, path);
    else inject(decision.fault, req, res, body, path);
  }

  const http = createServer((req, res) => {
    handle(req, res).catch(() => res.destroy());
  });
  const sockets = trackSockets(http);
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(port, options.host ?? '127.0.0.1', () => {
      http.off('error', reject);
      resolve();
    });
  });
  const address = http.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${host}:${address.port}`,
    port: address.port,
    target: options.target,
    get decisions() {
      return decisions.entries;
    },
    get totals() {
      return { requests: totals.requests, faults: totals.faults, byFault: { ...totals.byFault } };
    },
    get decisionBytes() {
      return decisions.bytes;
    },
    get hanging() {
      return hangs.size;
    },
    onDecision(listener) {
      listeners.add(listener);
      return disposable(() => listeners.delete(listener));
    },
    reset() {
      decisions.clear();
      totals = { requests: 0, faults: 0, byFault: {} };
      planner.reset();
    },
    async close() {
      for (const h of [...hangs]) h.cancel();
      await closeServer(http, sockets);
      agent.destroy();
    },
  };
}
