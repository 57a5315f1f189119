/**
 * The chaos proxy: an HTTP proxy in front of any endpoint (a real provider, the simulated
 * server, anything) that injects faults by rule and seed (see `chaos-rules.ts`): 429 with
 * Retry-After, 529 overloaded, 5xx, added latency, hangs, connection resets, truncated or
 * malformed bodies, and streams cut after K server-sent events. Requests no rule picks are
 * forwarded untouched (method, path, query, headers and body), and so are the answers.
 *
 * Guarantees: the same seed and rules give the same decisions for the same request sequence
 * (`proxy.decisions` lists the latest, within a count and a byte budget, and `proxy.totals`
 * counts them all, so a proxy that runs for days keeps bounded memory); a hang lasts until the
 * client gives up or `maxHangMs` passes (then the connection is dropped), so the proxy never
 * holds a connection forever; `close()` drops every connection, cancels every hang and resolves
 * when the port is free. Error bodies take the shape of the API the path belongs to
 * (`/v1/messages`: Anthropic, else OpenAI).
 *
 * This file checks the options, listens, and runs each request through the parts: the decision
 * (`chaos-rules.ts`), its record and totals (`chaos-decision-log.ts`), then either the way to
 * the target (`chaos-upstream.ts`) or the fault (`chaos-faults.ts`, which breaks answers with
 * `chaos-answer-cuts.ts` and holds hangs in `chaos-hangs.ts`).
 *
 * Written by hand: fault proxies such as Toxiproxy work on TCP bytes (no notion of an HTTP
 * status, a provider's error body or a server-sent event to cut after), and are separate
 * binaries outside npm; HTTP proxy libraries forward but do not inject. What is needed here is a
 * small `node:http` forwarder with a seeded decision per request.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { InvalidSpecError, realClock, type Clock, type Disposable, type EventBus } from '../runtime/index.ts';
import { ChaosDecisionLog, type ChaosTotals } from './chaos-decision-log.ts';
import { errorBody } from './chaos-error-body.ts';
import { injectFault, type FaultContext } from './chaos-faults.ts';
import { ChaosHangs } from './chaos-hangs.ts';
import { ChaosPlanner, type ChaosDecision, type ChaosRule } from './chaos-rules.ts';
import { ChaosUpstream } from './chaos-upstream.ts';
import { BodyTooLargeError, closeServer, listen, readBody, sendTooLarge, trackSockets } from './http.ts';

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

/** Where the proxy listens and forwards, and the hang bound: checked, defaults filled in. */
interface ListenSettings {
  readonly target: URL;
  readonly port: number;
  readonly maxHangMs: number;
}

/** Check where the proxy listens and forwards, and the hang bound (rules and seed are the planner's to check). */
function checkOptions(options: ChaosProxyOptions): ListenSettings {
  if (typeof options !== 'object' || options === null) throw new InvalidSpecError('chaos proxy', '', options, 'options must be an object { target, ... }');
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
  if (!(typeof maxHangMs === 'number' && maxHangMs >= 0 && Number.isFinite(maxHangMs)))
    throw new InvalidSpecError('chaos proxy', 'maxHangMs', maxHangMs, 'must be a number >= 0');
  return { target, port, maxHangMs };
}

/** `maxDecisions` and `maxDecisionBytes`, checked, with their defaults. */
function decisionBounds(options: ChaosProxyOptions): { maxDecisions: number; maxDecisionBytes: number } {
  const bounds: { maxDecisions: number; maxDecisionBytes: number } = { ...CHAOS_DECISION_DEFAULTS };
  for (const f of ['maxDecisions', 'maxDecisionBytes'] as const) {
    const v = options[f];
    if (v === undefined) continue;
    if (!(typeof v === 'number' && Number.isInteger(v) && v >= 0)) throw new InvalidSpecError('chaos proxy', f, v, 'must be an integer >= 0');
    bounds[f] = v;
  }
  return bounds;
}

/** Start a chaos proxy in front of `options.target`. */
export async function startChaosProxy(options: ChaosProxyOptions): Promise<ChaosProxy> {
  const { target, port, maxHangMs } = checkOptions(options);
  const planner = new ChaosPlanner(options.rules ?? [], options.seed ?? 1);
  const clock = options.clock ?? realClock;
  const { maxDecisions, maxDecisionBytes } = decisionBounds(options);
  const log = new ChaosDecisionLog(options.name ?? 'chaos', options.bus, maxDecisions, maxDecisionBytes);
  const hangs = new ChaosHangs(clock, maxHangMs);
  const upstream = new ChaosUpstream(target);
  const faults: FaultContext = { upstream, clock, hangs };

  /** Read the body, decide, record the decision, then forward or inject. */
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
    const decision = planner.decide(req.method ?? 'GET', path, body.toString('utf8'));
    log.record(decision);
    if (decision.fault === undefined) upstream.passThrough(req, res, body, path);
    else injectFault(faults, decision.fault, req, res, body, path);
  }

  const http = createServer((req, res) => {
    handle(req, res).catch(() => res.destroy());
  });
  const sockets = trackSockets(http);
  const address = await listen(http, port, options.host);
  return {
    url: address.url,
    port: address.port,
    target: options.target,
    get decisions() {
      return log.decisions;
    },
    get totals() {
      return log.totals;
    },
    get decisionBytes() {
      return log.bytes;
    },
    get hanging() {
      return hangs.size;
    },
    onDecision(listener) {
      return log.onDecision(listener);
    },
    reset() {
      log.reset();
      planner.reset();
    },
    async close() {
      hangs.cancelAll();
      await closeServer(http, sockets);
      upstream.close();
    },
  };
}
