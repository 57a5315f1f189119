/**
 * Turns what a Vercel AI SDK language model throws (or sends as a stream `error` part) into the
 * model layer's typed errors, so the policies decide on an AI SDK provider exactly as on the
 * built-in adapters:
 * - `APICallError` (`AI_APICallError`) with a status: a {@link ModelCallError} coded by the status
 *   (429 `MODEL_RATE_LIMITED` with `retryAfterMs` from `retry-after-ms` / `retry-after`, 529
 *   `MODEL_OVERLOADED`, 408 and 5xx `MODEL_UNAVAILABLE`, 401/403 `MODEL_AUTH`, other 4xx
 *   `MODEL_BAD_REQUEST`), retryable as the resilience layer's `classifyFailure` says for that
 *   status and those headers (`x-should-retry` included); the provider's error type and message
 *   from its parsed body (`data`) when it has one;
 * - `APICallError` without an error status (no answer, or a 200 whose body broke off, as a cut
 *   stream is reported): `MODEL_CONNECTION` when its cause is a transient network failure,
 *   {@link MalformedResponseError} when it is a body that did not parse;
 * - a provider's error inside a stream (a plain object with `message`, `type`/`code`,
 *   `statusCode`, `isRetryable`): coded by its status, else by its type or code;
 * - `JSONParseError`, `TypeValidationError`, `EmptyResponseBodyError`,
 *   `InvalidResponseDataError`: {@link MalformedResponseError};
 * - `InvalidPromptError`, `UnsupportedFunctionalityError`, `InvalidArgumentError`:
 *   `MODEL_BAD_REQUEST` (not retryable); `LoadAPIKeyError`: `MODEL_AUTH`;
 * - anything else as the built-in adapters' mapping does it (a cut connection, an abort).
 *
 * Recognised by the errors' `name` and shape, never `instanceof` or the AI SDK's `isInstance`,
 * so nothing of the AI SDK is loaded at run time and two copies of it agree.
 */
import { isWardenError, type Clock } from '../runtime/index.ts';
import { classifyFailure, readHeader } from '../resilience/index.ts';
import { MalformedResponseError, ModelCallError } from './errors.ts';
import { codeForStatus, codeForType, toModelError } from './provider-error.ts';
import { scrubError } from './redact.ts';

const MALFORMED = new Set(['AI_JSONParseError', 'AI_TypeValidationError', 'AI_EmptyResponseBodyError', 'AI_InvalidResponseDataError']);
const BAD_REQUEST = new Set(['AI_InvalidPromptError', 'AI_UnsupportedFunctionalityError', 'AI_InvalidArgumentError']);

type Fields = { [key: string]: unknown };

/** `{ type, message }` of a provider's error body: `{ error: { type | code, message } }` or the error itself. */
function providerError(data: unknown, responseBody: unknown): { type: string | undefined; message: string | undefined } {
  let body = data;
  if (body === undefined && typeof responseBody === 'string') {
    try {
      body = JSON.parse(responseBody) as unknown;
    } catch {
      body = undefined;
    }
  }
  const o = typeof body === 'object' && body !== null ? (body as Fields) : {};
  const inner = typeof o.error === 'object' && o.error !== null ? (o.error as Fields) : o;
  const type = typeof inner.type === 'string' && inner.type !== 'error' ? inner.type : typeof inner.code === 'string' ? inner.code : undefined;
  return { type, message: typeof inner.message === 'string' ? inner.message : undefined };
}

/** Map `error`, thrown by (or streamed from) an AI SDK model for `provider`/`model`, to a model-layer error. */
export function toModelErrorFromAiSdk(error: unknown, provider: string, model: string, signal: AbortSignal, clock: Clock): unknown {
  if (signal.aborted) return signal.reason;
  if (isWardenError(error) || typeof error !== 'object' || error === null) return error;
  const e = error as Fields;
  const name = typeof e.name === 'string' ? e.name : undefined;
  if (name === 'AI_APICallError' || (name === undefined && typeof e.statusCode === 'number' && 'isRetryable' in e)) {
    scrubError(error);
    const status = typeof e.statusCode === 'number' ? e.statusCode : undefined;
    const headers = e.responseHeaders;
    const { type, message } = providerError(e.data, e.responseBody);
    if (status !== undefined && status >= 400) {
      const verdict = classifyFailure({ status, headers }, clock.now());
      return new ModelCallError(
        {
          code: codeForStatus(status),
          retryable: verdict.transient,
          provider,
          model,
          status,
          errorType: type,
          retryAfterMs: verdict.retryAfterMs,
          requestId: readHeader(headers, 'x-request-id') ?? readHeader(headers, 'request-id'),
          detail: message ?? String(e.message ?? 'error'),
        },
        { cause: error },
      );
    }
    const cause = e.cause as { name?: unknown; message?: unknown } | undefined;
    if (typeof cause?.name === 'string' && MALFORMED.has(cause.name)) {
      return new MalformedResponseError(provider, model, `${String(e.message)}: ${String(cause.message)}`, { cause: error });
    }
    const verdict = classifyFailure(cause, clock.now());
    if (verdict.transient || e.isRetryable === true) {
      return new ModelCallError(
        { code: 'MODEL_CONNECTION', retryable: true, provider, model, detail: `connection failed (${verdict.transient ? verdict.reason : String(e.message)})` },
        { cause: error },
      );
    }
    return error;
  }
  if (name === undefined && typeof e.message === 'string' && ('isRetryable' in e || 'type' in e || 'code' in e || 'statusCode' in e)) {
    // A provider's error sent inside a stream (as the provider parsed it, or its raw `error` event).
    const status = typeof e.statusCode === 'number' ? e.statusCode : undefined;
    const type = typeof e.type === 'string' && e.type !== 'error' ? e.type : typeof e.code === 'string' ? e.code : undefined;
    const code = status !== undefined ? codeForStatus(status) : codeForType(type);
    return new ModelCallError(
      {
        code,
        retryable: e.isRetryable === true || (code !== 'MODEL_BAD_REQUEST' && code !== 'MODEL_AUTH'),
        provider,
        model,
        status,
        errorType: type,
        detail: e.message,
      },
      { cause: error },
    );
  }
  if (name !== undefined && MALFORMED.has(name)) return new MalformedResponseError(provider, model, String(e.message), { cause: error });
  if (name !== undefined && BAD_REQUEST.has(name)) {
    return new ModelCallError({ code: 'MODEL_BAD_REQUEST', retryable: false, provider, model, detail: String(e.message) }, { cause: error });
  }
  if (name === 'AI_LoadAPIKeyError') {
    return new ModelCallError({ code: 'MODEL_AUTH', retryable: false, provider, model, detail: String(e.message) }, { cause: error });
  }
  return toModelError(error, provider, model, signal, clock);
}
