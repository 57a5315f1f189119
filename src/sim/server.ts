/**
 * The simulated model server: a real HTTP server that speaks the OpenAI Chat Completions API
 * (`POST /v1/chat/completions`), the OpenAI Responses API (`POST /v1/responses`) and the
 * Anthropic Messages API (`POST /v1/messages`), streamed and not, plus `GET /v1/models`, with scripted, deterministic answers (see `script.ts`). The
 * official SDKs work against it unchanged: point `baseURL` at `server.openaiBaseURL` /
 * `server.anthropicBaseURL`.
 *
 * Inspection (for tests that count calls, e.g. to prove a resumed run did not repeat a paid
 * call): `server.requests` / `GET /_sim/requests` list the latest model requests with their
 * parsed bodies and which rule answered, within a count and a byte budget (bodies past a cap are
 * kept cut, and say so), while `requestCount` counts them all; `server.reset()` /
 * `POST /_sim/reset` clears them and the script's counters; `PUT /_sim/script` replaces the script.
 *
 * Bad requests get the provider's own error shape: 400 naming the field (or where a body nests
 * deeper than 128 levels), 401 for a wrong key (when `apiKey` is set; the message echoes the key
 * it got, deliberately, so tests can prove the client redacts it), 404 for unknown paths, 405 for
 * wrong methods, 413 past 16 MiB (the rest of the body is read and dropped so the client sees it).
 *
 * Written here because nothing on npm does this offline: the providers publish no local
 * emulator, and generic HTTP mocking libraries replace the network inside the test process
 * (so the SDKs never really speak HTTP) and know neither API's streaming events nor error
 * shapes. Plain `node:http` keeps every byte under control for the chaos proxy's sake.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { InvalidSpecError, realClock, type Clock } from '../runtime/index.ts';
import { BodyTooLargeError, closeServer, listen, readBody, sendJson, sendTooLarge, startSse, trackSockets } from './http.ts';
import { BoundedLog, utf8Bytes } from './bounded-log.ts';
import { MAX_JSON_DEPTH, formatJsonPath, tooDeep } from './json-depth.ts';
import { anthropicError, anthropicErrorType, anthropicMessage, anthropicStreamEvents, parseAnthropicRequest } from './anthropic-wire.ts';
import { openaiCompletion, openaiError, openaiErrorKind, openaiStreamEvents, parseOpenAIRequest } from './openai-wire.ts';
import { parseResponsesRequest, responsesResponse, responsesStreamEvents } from './openai-responses-wire.ts';
import { ScriptState, lastOf, type Planned, type SimPrompt, type SimScript } from './script.ts';

export interface SimServerOptions {
  /** Port; 0 picks a free one (read `server.port`). @default 0 */
  readonly port?: number;
  /** @default '127.0.0.1' */
  readonly host?: string;
  /** What to answer. @default {} (every answer is the deterministic default) */
  readonly script?: SimScript;
  /** Added before every answer, ms (a rule's `latencyMs` or the script's default wins). @default 0 */
  readonly latencyMs?: number;
  /** Pause between stream events, ms. @default 0 */
  readonly streamDelayMs?: number;
  /** Require this key (`Authorization: Bearer` or `x-api-key`). @default any key is accepted */
  readonly apiKey?: string;
  /** Models listed by `GET /v1/models`. @default ['sim-small', 'sim-large'] */
  readonly models?: readonly string[];
  /** Clock for latency and stream pacing. @default realClock */
  readonly clock?: Clock;
  /** How many requests `requests` keeps (oldest dropped first). @default 10_000 */
  readonly maxRecords?: number;
  /** Bytes the kept records may weigh together (bodies and texts; oldest dropped first). @default 64 MiB */
  readonly maxRecordBytes?: number;
  /** A body larger than this is kept as the first this-many bytes of its text, `bodyTruncated` set. @default 1 MiB */
  readonly maxRecordBodyBytes?: number;
  /** Called with each model request's record as it is answered (for logging). @default none */
  readonly onRequest?: (record: SimRequestRecord) => void;
}

/** One request the server received. */
export interface SimRequestRecord {
  /** 1-based arrival number (keeps counting after old records are dropped). */
  readonly seq: number;
  readonly api: 'openai' | 'anthropic';
  readonly path: string;
  readonly model: string | undefined;
  readonly stream: boolean;
  /** The last user message (cut to `maxRecordBodyBytes` characters). */
  readonly lastUser: string;
  /** Text of a trailing assistant message (a prefill the answer continues; cut like `lastUser`). */
  readonly prefill: string;
  /** Which rule answered (`rules[0]` or its name, `sequence[2]`, `default`), or `invalid`/`unauthorized`. */
  readonly source: string;
  readonly status: number;
  /**
   * The parsed JSON body; its text when it is not JSON or nests too deep; when `bodyTruncated`,
   * the first `maxRecordBodyBytes` bytes of its text.
   */
  readonly body: unknown;
  /** Size of the body as received, bytes. */
  readonly bodyBytes: number;
  /** The body was larger than `maxRecordBodyBytes`: `body` (and `lastUser`, `prefill` if as long) are cut. */
  readonly bodyTruncated: boolean;
}

/** Defaults of the record bounds. */
export const SIM_RECORD_DEFAULTS = { maxRecords: 10_000, maxRecordBytes: 64 * 1024 * 1024, maxRecordBodyBytes: 1024 * 1024 } as const;

/** What a record weighs beside its texts, bytes (a rough figure for the fields and the object). */
const RECORD_OVERHEAD_BYTES = 256;

export interface SimServer {
  /** `http://host:port` */
  readonly url: string;
  readonly port: number;
  /** Base URL for the `openai` SDK (`url + '/v1'`). */
  readonly openaiBaseURL: string;
  /** Base URL for `@anthropic-ai/sdk` (`url`). */
  readonly anthropicBaseURL: string;
  /** The latest model requests received, oldest first, within `maxRecords` and `maxRecordBytes`. */
  readonly requests: readonly SimRequestRecord[];
  /** Model requests received since start or the last reset (all of them, kept or not). */
  readonly requestCount: number;
  /** What the kept records weigh, bytes (at most `maxRecordBytes`). */
  readonly recordBytes: number;
  /** Clear the records and the script's `times`/`sequence` counters. */
  reset(): void;
  /** Replace the script (validated first; the old one stays if it is bad). */
  setScript(script: SimScript): void;
  /** Stop listening and destroy every connection. */
  close(): Promise<void>;
}

const DEFAULT_MODELS = ['sim-small', 'sim-large'];

function bearer(req: IncomingMessage): string | undefined {
  const auth = req.headers.authorization;
  if (typeof auth === 'string' && auth.startsWith('Bearer ')) return auth.slice(7);
  const key = req.headers['x-api-key'];
  return typeof key === 'string' ? key : undefined;
}

/**
 * The path of a request target without its query or trailing slashes. A target the URL parser
 * refuses (`//`, which it reads as a host with no name) is taken as it is, to be answered 404.
 */
function requestPath(target: string): string {
  const url = URL.parse(target, 'http://sim');
  return (url === null ? (target.split('?')[0] ?? '') : url.pathname).replace(/\/+$/, '');
}

/** Start the simulated model server. */
export async function startSimServer(options: SimServerOptions = {}): Promise<SimServer> {
  if (typeof options !== 'object' || options === null) throw new InvalidSpecError('sim server', '', options, 'options must be an object');
  const port = options.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new InvalidSpecError('sim server', 'port', port, 'must be an integer from 0 to 65535');
  for (const f of ['latencyMs', 'streamDelayMs'] as const) {
    const v = options[f];
    if (v !== undefined && !(typeof v === 'number' && v >= 0 && Number.isFinite(v))) throw new InvalidSpecError('sim server', f, v, 'must be a number >= 0');
  }
  const bounds: { maxRecords: number; maxRecordBytes: number; maxRecordBodyBytes: number } = { ...SIM_RECORD_DEFAULTS };
  for (const f of ['maxRecords', 'maxRecordBytes', 'maxRecordBodyBytes'] as const) {
    const v = options[f];
    if (v === undefined) continue;
    if (!(typeof v === 'number' && Number.isInteger(v) && v >= 0)) throw new InvalidSpecError('sim server', f, v, 'must be an integer >= 0');
    bounds[f] = v;
  }
  const clock = options.clock ?? realClock;
  let state = new ScriptState(options.script ?? {});
  const records = new BoundedLog<SimRequestRecord>(bounds.maxRecords, bounds.maxRecordBytes);
  let seq = 0;
  let count = 0;
  const created = Math.floor(clock.now() / 1000);

  const cut = (text: string): string => (text.length > bounds.maxRecordBodyBytes ? text.slice(0, bounds.maxRecordBodyBytes) : text);

  /** Keep a record of a request whose body arrived as `raw` (`parsed`: what to keep of it when it fits). */
  const record = (raw: Buffer, r: Omit<SimRequestRecord, 'seq' | 'body' | 'bodyBytes' | 'bodyTruncated'> & { readonly parsed: unknown }): void => {
    count++;
    const bodyTruncated = raw.length > bounds.maxRecordBodyBytes;
    const { parsed, ...fields } = r;
    const body = bodyTruncated ? raw.subarray(0, bounds.maxRecordBodyBytes).toString('utf8') : parsed;
    const full: SimRequestRecord = { seq: ++seq, ...fields, lastUser: cut(r.lastUser), prefill: cut(r.prefill), body, bodyBytes: raw.length, bodyTruncated };
    const weight =
      RECORD_OVERHEAD_BYTES +
      Math.min(raw.length, bounds.maxRecordBodyBytes) +
      utf8Bytes(full.lastUser) +
      utf8Bytes(full.prefill) +
      utf8Bytes(full.path) +
      utf8Bytes(full.model ?? '') +
      utf8Bytes(full.source);
    records.add(full, weight);
    try {
      options.onRequest?.(full);
    } catch {
      // A logging hook's failure must not change the answer.
    }
  };

  const wait = (ms: number, res: ServerResponse): Promise<void> => {
    if (ms <= 0) return Promise.resolve();
    const ac = new AbortController();
    const onClose = (): void => ac.abort();
    res.on('close', onClose);
    return clock
      .sleep(ms, ac.signal)
      .catch(() => undefined)
      .finally(() => res.off('close', onClose));
  };

  async function answer(api: 'openai' | 'anthropic', req: IncomingMessage, res: ServerResponse, raw: Buffer, responsesApi = false): Promise<void> {
    const path = req.url ?? '';
    let body: unknown;
    const text = raw.toString('utf8');
    try {
      body = JSON.parse(text) as unknown;
    } catch {
      record(raw, { api, path, model: undefined, stream: false, lastUser: '', prefill: '', source: 'invalid', status: 400, parsed: text });
      if (api === 'openai') sendJson(res, 400, openaiError('We could not parse the JSON body of your request.', 'invalid_request_error'));
      else sendJson(res, 400, anthropicError('invalid_request_error', 'The request body is not valid JSON.'));
      return;
    }
    const deep = tooDeep(body, MAX_JSON_DEPTH);
    if (deep !== undefined) {
      // Kept as text: the parsed value is too deep to walk or write out again.
      record(raw, { api, path, model: undefined, stream: false, lastUser: '', prefill: '', source: 'invalid', status: 400, parsed: text });
      const message = `The request body nests deeper than ${MAX_JSON_DEPTH} levels of objects and arrays (at ${formatJsonPath(deep)}).`;
      if (api === 'openai') sendJson(res, 400, openaiError(message, 'invalid_request_error', typeof deep[0] === 'string' ? deep[0] : null));
      else sendJson(res, 400, anthropicError('invalid_request_error', message));
      return;
    }
    const model = typeof (body as { model?: unknown })?.model === 'string' ? (body as { model: string }).model : undefined;
    if (options.apiKey !== undefined && bearer(req) !== options.apiKey) {
      const got = bearer(req) ?? '(none)';
      record(raw, { api, path, model, stream: false, lastUser: '', prefill: '', source: 'unauthorized', status: 401, parsed: body });
      if (api === 'openai') sendJson(res, 401, openaiError(`Incorrect API key provided: ${got}.`, 'invalid_request_error', null, 'invalid_api_key'));
      else sendJson(res, 401, anthropicError('authentication_error', `invalid x-api-key: ${got}`));
      return;
    }
    if (api === 'anthropic' && req.headers['anthropic-version'] === undefined) {
      record(raw, { api, path, model, stream: false, lastUser: '', prefill: '', source: 'invalid', status: 400, parsed: body });
      sendJson(res, 400, anthropicError('invalid_request_error', 'anthropic-version: header is required'));
      return;
    }
    let prompt: SimPrompt;
    let stream: boolean;
    let includeUsage = false;
    if (responsesApi) {
      const p = parseResponsesRequest(body);
      if (!p.ok) {
        record(raw, { api, path, model, stream: false, lastUser: '', prefill: '', source: 'invalid', status: 400, parsed: body });
        sendJson(res, 400, openaiError(p.message, 'invalid_request_error', p.param));
        return;
      }
      ({ prompt, stream } = p);
    } else if (api === 'openai') {
      const p = parseOpenAIRequest(body);
      if (!p.ok) {
        record(raw, { api, path, model, stream: false, lastUser: '', prefill: '', source: 'invalid', status: 400, parsed: body });
        sendJson(res, 400, openaiError(p.message, 'invalid_request_error', p.param));
        return;
      }
      ({ prompt, stream, includeUsage } = p);
    } else {
      const p = parseAnthropicRequest(body);
      if (!p.ok) {
        record(raw, { api, path, model, stream: false, lastUser: '', prefill: '', source: 'invalid', status: 400, parsed: body });
        sendJson(res, 400, anthropicError('invalid_request_error', p.message));
        return;
      }
      ({ prompt, stream } = p);
    }
    const planned: Planned = state.plan(prompt);
    const status = planned.kind === 'error' ? planned.status : 200;
    record(raw, {
      api,
      path,
      model: prompt.model,
      stream,
      lastUser: lastOf(prompt, 'user'),
      prefill: prompt.prefill,
      source: planned.source,
      status,
      parsed: body,
    });
    await wait(planned.latencyMs || (options.latencyMs ?? 0), res);
    if (res.destroyed) return;
    const n = seq;
    if (planned.kind === 'error') {
      const headers: Record<string, string> = planned.retryAfterSeconds === undefined ? {} : { 'retry-after': String(planned.retryAfterSeconds) };
      if (api === 'openai') {
        const kind = openaiErrorKind(planned.status);
        sendJson(res, planned.status, openaiError(planned.message, planned.type ?? kind.type, null, kind.code), { ...headers, 'x-request-id': `req_sim_${n}` });
      } else {
        sendJson(res, planned.status, anthropicError(planned.type ?? anthropicErrorType(planned.status), planned.message, `req_sim_${n}`), {
          ...headers,
          'request-id': `req_sim_${n}`,
        });
      }
      return;
    }
    const id = responsesApi ? `sim_${n}` : api === 'openai' ? `chatcmpl-sim-${n}` : `msg_sim_${n}`;
    if (!stream) {
      const payload = responsesApi
        ? responsesResponse(planned, id, prompt.model, created, prompt)
        : api === 'openai'
          ? openaiCompletion(planned, id, prompt.model, created)
          : anthropicMessage(planned, id, prompt.model);
      sendJson(res, 200, payload, api === 'openai' ? { 'x-request-id': `req_sim_${n}` } : { 'request-id': `req_sim_${n}` });
      return;
    }
    const events = responsesApi
      ? responsesStreamEvents(planned, id, prompt.model, created, prompt)
      : api === 'openai'
        ? openaiStreamEvents(planned, id, prompt.model, created, includeUsage)
        : anthropicStreamEvents(planned, id, prompt.model);
    startSse(res, api === 'openai' ? { 'x-request-id': `req_sim_${n}` } : { 'request-id': `req_sim_${n}` });
    const delay = options.streamDelayMs ?? state.script.defaults?.streamDelayMs ?? 0;
    for (const e of events) {
      if (res.destroyed) return;
      if (delay > 0) await wait(delay, res);
      res.write(e);
    }
    res.end();
  }

  /**
   * `{ count, kept, bytes, requests }`, written record by record: one that cannot be written out
   * (whatever it holds) is listed with its body replaced by a note, never failing the list.
   */
  function sendRecords(res: ServerResponse): void {
    const parts: string[] = [];
    for (const r of records.entries) {
      try {
        parts.push(JSON.stringify(r));
      } catch (e) {
        parts.push(JSON.stringify({ ...r, body: `(body not listed: ${(e as Error).message})` }));
      }
    }
    const text = `{"count":${count},"kept":${parts.length},"bytes":${records.bytes},"requests":[${parts.join(',')}]}`;
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  }

  function notFound(api: 'openai' | 'anthropic', res: ServerResponse, what: string): void {
    if (api === 'openai') sendJson(res, 404, openaiError(`Invalid URL (${what})`, 'invalid_request_error'));
    else sendJson(res, 404, anthropicError('not_found_error', `Not found: ${what}`));
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = requestPath(req.url ?? '/');
    const api = req.headers['anthropic-version'] !== undefined || path === '/v1/messages' ? 'anthropic' : 'openai';
    let raw: Buffer;
    try {
      raw = await readBody(req);
    } catch (e) {
      if (e instanceof BodyTooLargeError)
        sendTooLarge(res, e, api === 'openai' ? openaiError(e.message, 'invalid_request_error') : anthropicError('request_too_large', e.message));
      else res.destroy();
      return;
    }
    const method = req.method ?? 'GET';
    const route = `${method} ${path}`;
    switch (route) {
      case 'POST /v1/chat/completions':
        return answer('openai', req, res, raw);
      case 'POST /v1/responses':
        return answer('openai', req, res, raw, true);
      case 'POST /v1/messages':
        return answer('anthropic', req, res, raw);
      case 'GET /v1/models': {
        const models = options.models ?? DEFAULT_MODELS;
        if (api === 'openai') sendJson(res, 200, { object: 'list', data: models.map((id) => ({ id, object: 'model', created, owned_by: 'warden-sim' })) });
        else {
          const data = models.map((id) => ({ type: 'model', id, display_name: id, created_at: new Date(created * 1000).toISOString() }));
          sendJson(res, 200, { data, has_more: false, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null });
        }
        return;
      }
      case 'GET /_sim/requests':
        sendRecords(res);
        return;
      case 'POST /_sim/reset':
        server.reset();
        sendJson(res, 200, { ok: true });
        return;
      case 'PUT /_sim/script': {
        try {
          server.setScript(JSON.parse(raw.toString('utf8')) as SimScript);
          sendJson(res, 200, { ok: true });
        } catch (e) {
          sendJson(res, 400, { error: { message: (e as Error).message } });
        }
        return;
      }
      default:
        if (['/v1/chat/completions', '/v1/responses', '/v1/messages', '/v1/models', '/_sim/requests', '/_sim/reset', '/_sim/script'].includes(path)) {
          sendJson(
            res,
            405,
            api === 'openai'
              ? openaiError(`Method ${method} not allowed for ${path}`, 'invalid_request_error')
              : anthropicError('invalid_request_error', `Method ${method} not allowed for ${path}`),
            {
              allow: path === '/v1/models' || path === '/_sim/requests' ? 'GET' : path === '/_sim/script' ? 'PUT' : 'POST',
            },
          );
          return;
        }
        notFound(api, res, `${method} ${path}`);
    }
  }

  const http: Server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      if (!res.headersSent) sendJson(res, 500, openaiError(`simulated server failure: ${(e as Error).message}`, 'server_error'));
      else res.destroy();
    });
  });
  http.keepAliveTimeout = 30_000;
  const sockets: Set<Socket> = trackSockets(http);
  const address = await listen(http, port, options.host);
  const url = address.url;

  const server: SimServer = {
    url,
    port: address.port,
    openaiBaseURL: `${url}/v1`,
    anthropicBaseURL: url,
    get requests() {
      return records.entries;
    },
    get requestCount() {
      return count;
    },
    get recordBytes() {
      return records.bytes;
    },
    reset() {
      records.clear();
      count = 0;
      state.reset();
    },
    setScript(script) {
      state = new ScriptState(script);
    },
    close: () => closeServer(http, sockets),
  };
  return server;
}
