/**
 * Which failures are worth trying again, and when.
 *
 * `classifyFailure(error, nowMs)` answers `{ transient, retryAfterMs, reason }` for anything
 * thrown. It recognises failures by their shape, never by `instanceof`, so any copy or version of
 * an SDK (and errors that crossed a thread or process) classify the same way:
 *
 * - a Warden error: its own `retryable` and `retryAfterMs` fields decide;
 * - an abort (`AbortError`, an SDK's `APIUserAbortError`): never transient, the caller stopped;
 * - anything with an HTTP error `status` or `statusCode` (`openai`'s and `@anthropic-ai/sdk`'s
 *   `APIError`s, the AI SDK's `APICallError` with its `responseHeaders`, our
 *   `HttpStatusError`): 408, 429, 500, 502, 503, 504 and 529 are transient; an
 *   `x-should-retry: true|false` header overrides the status; `retry-after-ms`, then `retry-after`
 *   (delta seconds or an HTTP date, read against `nowMs`) give the delay the server asked for;
 * - a timeout (`TimeoutError`, an SDK's `APIConnectionTimeoutError`) or a connection failure
 *   (an SDK's `APIConnectionError`, fetch's `TypeError: fetch failed`, socket codes
 *   `ECONNRESET`, `ECONNREFUSED`, `ETIMEDOUT`, `EPIPE`, `EAI_AGAIN`, undici's `UND_ERR_*` socket
 *   and timeout codes, "socket hang up"): transient;
 * - otherwise the `cause` chain is searched (up to 8 links), so a wrapped network error counts;
 * - anything else is permanent: a bug or a bad request does not get better by repetition.
 */
import { isWardenError, WardenError, showValue, realClock, type Clock } from '../runtime/index.ts';

/** The verdict on one failure. */
export interface FailureClass {
  /** Trying again may succeed. */
  readonly transient: boolean;
  /** The server or error asked to wait this long before trying again (ms), if it said. */
  readonly retryAfterMs: number | undefined;
  /** Why, in a few words: `'http 429'`, `'ECONNRESET'`, `'abort'`, `'warden RATE_LIMITED'`. */
  readonly reason: string;
}

/** HTTP statuses that are worth trying again. */
export const TRANSIENT_STATUSES: ReadonlySet<number> = new Set([408, 429, 500, 502, 503, 504, 529]);

/** Node and undici error codes of transient network failures. */
export const TRANSIENT_CODES: ReadonlySet<string> = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'ECONNABORTED',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_CLOSED',
]);

const TIMEOUT_NAMES: ReadonlySet<string> = new Set(['TimeoutError', 'APIConnectionTimeoutError', 'ConnectTimeoutError']);
const CONNECTION_NAMES: ReadonlySet<string> = new Set(['APIConnectionError', 'SocketError']);
const ABORT_NAMES: ReadonlySet<string> = new Set(['AbortError', 'APIUserAbortError']);

const MAX_CAUSE_DEPTH = 8;

function permanent(reason: string): FailureClass {
  return { transient: false, retryAfterMs: undefined, reason };
}

function transient(reason: string, retryAfterMs?: number): FailureClass {
  return { transient: true, retryAfterMs, reason };
}

/** Read a header from a `Headers`-like object (`get`) or a plain record, case-insensitively. */
export function readHeader(headers: unknown, name: string): string | undefined {
  if (typeof headers !== 'object' || headers === null) return undefined;
  const h = headers as { get?: unknown } & Record<string, unknown>;
  if (typeof h.get === 'function') {
    try {
      const v = (h.get as (n: string) => unknown).call(headers, name);
      return typeof v === 'string' ? v : undefined;
    } catch {
      return undefined;
    }
  }
  for (const key of Object.keys(h)) {
    if (key.toLowerCase() !== name) continue;
    const v = h[key];
    if (typeof v === 'string') return v;
    if (Array.isArray(v) && typeof v[0] === 'string') return v[0];
  }
  return undefined;
}

/**
 * The delay a response asked for, in ms: `retry-after-ms` (milliseconds), else `retry-after` as
 * delta seconds or an HTTP date (relative to `nowMs`). A date in the past gives 0. Unparseable
 * or absent headers give `undefined`.
 */
export function retryAfterFromHeaders(headers: unknown, nowMs: number): number | undefined {
  const ms = readHeader(headers, 'retry-after-ms');
  if (ms !== undefined) {
    const n = Number(ms.trim());
    if (ms.trim() !== '' && Number.isFinite(n) && n >= 0) return n;
  }
  const ra = readHeader(headers, 'retry-after');
  if (ra === undefined) return undefined;
  const text = ra.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text) * 1000;
  const date = Date.parse(text);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - nowMs);
}

function nameOf(e: object): string | undefined {
  const n = (e as { name?: unknown }).name;
  const ctor = (e as { constructor?: { name?: unknown } }).constructor?.name;
  // Some SDK classes leave `name` as plain 'Error'; their constructor name is more specific.
  if (typeof n === 'string' && n !== 'Error') return n;
  return typeof ctor === 'string' ? ctor : typeof n === 'string' ? n : undefined;
}

function classifyOne(e: object, nowMs: number): FailureClass | undefined {
  if (isWardenError(e)) {
    const after = (e as { retryAfterMs?: unknown }).retryAfterMs;
    return {
      transient: e.retryable,
      retryAfterMs: typeof after === 'number' && after >= 0 ? after : undefined,
      reason: `warden ${e.code}`,
    };
  }
  const name = nameOf(e);
  if (name !== undefined && ABORT_NAMES.has(name)) return permanent('abort');
  const status = (e as { status?: unknown }).status ?? (e as { statusCode?: unknown }).statusCode;
  // A 2xx is no failure status: the AI SDK reports a body that broke off as its APICallError with
  // the 200 it got, the network error in `cause`.
  if (typeof status === 'number' && status >= 400) {
    const headers = (e as { headers?: unknown }).headers ?? (e as { responseHeaders?: unknown }).responseHeaders;
    const should = readHeader(headers, 'x-should-retry');
    const retryAfterMs = retryAfterFromHeaders(headers, nowMs);
    if (should === 'false') return permanent(`http ${status} (x-should-retry: false)`);
    if (should === 'true' || TRANSIENT_STATUSES.has(status)) return transient(`http ${status}`, retryAfterMs);
    return permanent(`http ${status}`);
  }
  if (name !== undefined && TIMEOUT_NAMES.has(name)) return transient('timeout');
  const code = (e as { code?: unknown }).code;
  if (typeof code === 'string' && TRANSIENT_CODES.has(code)) return transient(code);
  const message = (e as { message?: unknown }).message;
  if (typeof message === 'string') {
    if (/socket hang up/i.test(message)) return transient('socket hang up');
    if (name === 'TypeError' && (message === 'fetch failed' || message === 'terminated')) {
      // undici puts the socket error in `cause`; report that when it is more specific.
      const cause = (e as { cause?: unknown }).cause;
      const inner = typeof cause === 'object' && cause !== null ? classifyOne(cause, nowMs) : undefined;
      return inner?.transient === true ? inner : transient(`fetch: ${message}`);
    }
  }
  if (name !== undefined && CONNECTION_NAMES.has(name)) return transient('connection');
  return undefined;
}

/**
 * Classify a failure (see the module doc for the rules). `nowMs` dates an HTTP-date
 * `retry-after`; pass the clock's `now()`.
 */
export function classifyFailure(error: unknown, nowMs: number = realClock.now()): FailureClass {
  let e: unknown = error;
  for (let depth = 0; depth <= MAX_CAUSE_DEPTH; depth++) {
    if (typeof e !== 'object' || e === null) return permanent(depth === 0 ? 'not an error object' : 'unknown');
    const verdict = classifyOne(e, nowMs);
    if (verdict !== undefined) return verdict;
    e = (e as { cause?: unknown }).cause;
  }
  return permanent('unknown');
}

/**
 * A non-2xx HTTP response, thrown by {@link ensureOk}. It carries the status and the delay the
 * server asked for, so retry and breaker classify it like an SDK's API error.
 */
export class HttpStatusError extends WardenError<
  'HTTP_STATUS',
  {
    status: number;
    url: string;
    /** Delay the server asked for (`retry-after-ms` / `retry-after`), in ms. */
    retryAfterMs: number | undefined;
  }
> {
  constructor(status: number, url: string, retryAfterMs: number | undefined, retryable: boolean) {
    super(
      'HTTP_STATUS',
      `HTTP ${status} from ${url}` + (retryAfterMs === undefined ? '' : `; the server asked to retry after ${Math.round(retryAfterMs)} ms`),
      { status, url, retryAfterMs },
      { retryable },
    );
  }
}

/** The parts of a fetch `Response` that {@link ensureOk} reads. */
export interface ResponseLike {
  readonly ok: boolean;
  readonly status: number;
  readonly url: string;
  readonly headers: { get(name: string): string | null };
  readonly body?: { cancel(): Promise<void> } | null;
}

/**
 * Return a fetch response if it is 2xx; otherwise discard its body (freeing the connection) and
 * throw an {@link HttpStatusError} classified by its status and headers.
 *
 * @example
 * ```ts
 * const res = await ensureOk(await fetch(url, { signal }), clock);
 * ```
 */
export async function ensureOk<R extends ResponseLike>(response: R, clock: Clock = realClock): Promise<R> {
  if (response.ok) return response;
  await response.body?.cancel().catch(() => undefined);
  const verdict = classifyFailure({ status: response.status, headers: response.headers }, clock.now());
  throw new HttpStatusError(response.status, response.url || showValue(response.url), verdict.retryAfterMs, verdict.transient);
}
