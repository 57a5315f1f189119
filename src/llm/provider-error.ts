/**
 * Turns whatever an SDK call threw into a model-layer error: an HTTP error becomes a
 * {@link ModelCallError} coded by status (and by the provider's error type for errors sent inside
 * a stream, which have no status), a connection failure `MODEL_CONNECTION`, an unparseable body
 * {@link MalformedResponseError}. Retryability comes from the resilience layer's
 * `classifyFailure` (status, `x-should-retry`, `retry-after`), so the policies decide exactly as
 * they would on the raw SDK error. Recognised by shape, never `instanceof`, like
 * `classifyFailure`. The caller's abort passes through unchanged (its reason is rethrown).
 */
import { isWardenError, type Clock } from '../runtime/index.ts';
import { classifyFailure, readHeader } from '../resilience/index.ts';
import { MalformedResponseError, ModelCallError, type ModelErrorCode } from './errors.ts';
import { scrubError } from './redact.ts';

/** The code of an HTTP error status. */
export function codeForStatus(status: number): ModelErrorCode {
  if (status === 429) return 'MODEL_RATE_LIMITED';
  if (status === 529) return 'MODEL_OVERLOADED';
  if (status === 401 || status === 403) return 'MODEL_AUTH';
  if (status === 408 || status >= 500) return 'MODEL_UNAVAILABLE';
  return 'MODEL_BAD_REQUEST';
}

/** The code of a provider's error type or code (an error with no HTTP status: inside a stream, a failed response). */
export function codeForType(type: string | undefined): ModelErrorCode {
  switch (type) {
    case 'rate_limit_error':
    case 'rate_limit_exceeded':
      return 'MODEL_RATE_LIMITED';
    case 'overloaded_error':
      return 'MODEL_OVERLOADED';
    case 'invalid_request_error':
    case 'not_found_error':
    case 'request_too_large':
    case 'invalid_prompt':
      return 'MODEL_BAD_REQUEST';
    case 'authentication_error':
    case 'permission_error':
      return 'MODEL_AUTH';
    default:
      return 'MODEL_UNAVAILABLE';
  }
}

/** The provider's own error body: `{ error: { type, message } }` (OpenAI's SDK unwraps one level). */
function providerError(e: object): { type: string | undefined; message: string | undefined } {
  const body = (e as { error?: unknown }).error;
  let inner: unknown = body;
  if (typeof body === 'object' && body !== null && typeof (body as { error?: unknown }).error === 'object') {
    inner = (body as { error: unknown }).error;
  }
  const o = (typeof inner === 'object' && inner !== null ? inner : {}) as { type?: unknown; message?: unknown; code?: unknown };
  // A Responses stream's `error` event has `type: 'error'` and says what went wrong in `code`.
  const type = typeof o.type === 'string' && o.type !== 'error' ? o.type : typeof o.code === 'string' ? o.code : undefined;
  return { type, message: typeof o.message === 'string' ? o.message : undefined };
}

function nameOf(e: object): string {
  const n = (e as { name?: unknown }).name;
  const ctor = (e as { constructor?: { name?: unknown } }).constructor?.name;
  if (typeof n === 'string' && n !== 'Error') return n;
  return typeof ctor === 'string' ? ctor : 'Error';
}

/** Map `error` (thrown by an SDK call for `provider`/`model`) to a model-layer error. */
export function toModelError(error: unknown, provider: string, model: string, signal: AbortSignal, clock: Clock): unknown {
  if (signal.aborted) return signal.reason;
  if (isWardenError(error) || typeof error !== 'object' || error === null) return error;
  const name = nameOf(error);
  if (name === 'AbortError' || name === 'APIUserAbortError') return error;
  scrubError(error);
  const status = (error as { status?: unknown }).status;
  const headers = (error as { headers?: unknown }).headers;
  const requestId = readHeader(headers, 'request-id') ?? readHeader(headers, 'x-request-id');
  const { type, message } = providerError(error);
  const verdict = classifyFailure(error, clock.now());
  if (typeof status === 'number') {
    return new ModelCallError(
      {
        code: codeForStatus(status),
        retryable: verdict.transient,
        provider,
        model,
        status,
        errorType: type,
        retryAfterMs: verdict.retryAfterMs,
        requestId,
        detail: message ?? (error as Error).message ?? 'error',
      },
      { cause: error },
    );
  }
  if (name === 'APIError' || name === 'AnthropicError' || name === 'OpenAIError') {
    if (type !== undefined || message !== undefined) {
      // An error sent inside a stream (no HTTP status): its type says what happened.
      const code = codeForType(type);
      return new ModelCallError(
        {
          code,
          retryable: code !== 'MODEL_BAD_REQUEST' && code !== 'MODEL_AUTH',
          provider,
          model,
          errorType: type,
          requestId,
          detail: message ?? (error as Error).message,
        },
        { cause: error },
      );
    }
  }
  if (name === 'SyntaxError') {
    return new MalformedResponseError(provider, model, (error as Error).message, { cause: error });
  }
  if (verdict.transient) {
    return new ModelCallError(
      { code: 'MODEL_CONNECTION', retryable: true, provider, model, detail: `connection failed (${verdict.reason})` },
      { cause: error },
    );
  }
  return error;
}
