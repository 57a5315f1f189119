/**
 * The model layer's errors. Each has a stable `code`, says whether it is `retryable` (the retry
 * policy and breaker read that, so no SDK error class leaks into the decision), carries its
 * subject as fields, and has its message redacted of API keys.
 *
 * | code | when | retryable |
 * |---|---|---|
 * | `MODEL_RATE_LIMITED` | 429 from the provider | yes (honours `retryAfterMs`) |
 * | `MODEL_OVERLOADED` | 529 / `overloaded_error` | yes |
 * | `MODEL_UNAVAILABLE` | 408, 5xx, an error event inside a stream | yes |
 * | `MODEL_CONNECTION` | refused, reset, timed-out or truncated connection | yes |
 * | `MODEL_BAD_REQUEST` | 400, 404, 413, 422: the provider refused the request | no |
 * | `MODEL_AUTH` | 401, 403: a missing or wrong key | no |
 * | `MALFORMED_RESPONSE` | a body or stream event that is not the provider's format | yes |
 * | `STREAM_INTERRUPTED` | a stream ended or broke before its final event | yes |
 * | `STREAM_STALLED` | no stream event within `streamIdleTimeoutMs` | yes |
 * | `STRUCTURED_OUTPUT_INVALID` | `responseFormat` asked for JSON and the answer is not (or fails the schema) | no |
 * | `MISSING_API_KEY` | no key in the options or the environment | no |
 *
 * Each class is registered in `WardenErrorMap`: `isWardenError(e, 'MODEL_RATE_LIMITED')` narrows
 * `e` to a `ModelCallError` whose `code` is `'MODEL_RATE_LIMITED'`.
 */
import { WardenError } from '../runtime/index.ts';
import { redact } from './redact.ts';

export type ModelErrorCode = 'MODEL_RATE_LIMITED' | 'MODEL_OVERLOADED' | 'MODEL_UNAVAILABLE' | 'MODEL_CONNECTION' | 'MODEL_BAD_REQUEST' | 'MODEL_AUTH';

declare module '../runtime/index.ts' {
  interface WardenErrorMap {
    ModelCallError: ModelCallError;
    MalformedResponseError: MalformedResponseError;
    StreamInterruptedError: StreamInterruptedError;
    StreamStalledError: StreamStalledError;
    StructuredOutputError: StructuredOutputError;
    MissingApiKeyError: MissingApiKeyError;
  }
}

/** A call to a provider failed (an HTTP error, an error event, or the connection). */
export class ModelCallError extends WardenError<
  ModelErrorCode,
  {
    provider: string;
    model: string;
    /** HTTP status, when there was a response. */
    status: number | undefined;
    /** The provider's error type (`rate_limit_error`, `invalid_request_error`, ...), if it said. */
    errorType: string | undefined;
    /** Delay the provider asked for (`retry-after-ms` / `retry-after`), ms. */
    retryAfterMs: number | undefined;
    requestId: string | undefined;
  }
> {
  constructor(
    fields: {
      code: ModelErrorCode;
      retryable: boolean;
      provider: string;
      model: string;
      status?: number | undefined;
      errorType?: string | undefined;
      retryAfterMs?: number | undefined;
      requestId?: string | undefined;
      detail: string;
    },
    options?: { cause?: unknown },
  ) {
    super(
      fields.code,
      redact(
        `${fields.provider} model "${fields.model}": ${fields.status === undefined ? '' : `HTTP ${fields.status} `}${fields.detail}` +
          (fields.retryAfterMs === undefined ? '' : ` (retry after ${Math.round(fields.retryAfterMs)} ms)`),
      ),
      {
        provider: fields.provider,
        model: fields.model,
        status: fields.status,
        errorType: fields.errorType,
        retryAfterMs: fields.retryAfterMs,
        requestId: fields.requestId,
      },
      { ...options, retryable: fields.retryable },
    );
  }
}

/** A response body or stream event was not in the provider's format (truncated, malformed). */
export class MalformedResponseError extends WardenError<'MALFORMED_RESPONSE', { provider: string; model: string }> {
  constructor(provider: string, model: string, detail: string, options?: { cause?: unknown }) {
    super('MALFORMED_RESPONSE', redact(`${provider} model "${model}": malformed response: ${detail}`), { provider, model }, { ...options, retryable: true });
  }
}

/**
 * A stream ended or broke before its final event: the connection was cut, the server closed it
 * early, or the caller's signal stopped the SDK's reader. What was received is partial.
 */
export class StreamInterruptedError extends WardenError<
  'STREAM_INTERRUPTED',
  {
    provider: string;
    model: string;
    /** Stream events received before the cut. */
    eventsReceived: number;
    /** Characters of text received before the cut. */
    partialTextChars: number;
  }
> {
  constructor(provider: string, model: string, eventsReceived: number, partialTextChars: number, detail: string, options?: { cause?: unknown }) {
    super(
      'STREAM_INTERRUPTED',
      redact(`${provider} model "${model}": stream interrupted after ${eventsReceived} events (${partialTextChars} characters of text): ${detail}`),
      { provider, model, eventsReceived, partialTextChars },
      { ...options, retryable: true },
    );
  }
}

/** No stream event arrived within the idle timeout. */
export class StreamStalledError extends WardenError<'STREAM_STALLED', { provider: string; model: string; idleTimeoutMs: number }> {
  constructor(provider: string, model: string, idleTimeoutMs: number) {
    super('STREAM_STALLED', `${provider} model "${model}": no stream event for ${idleTimeoutMs} ms`, { provider, model, idleTimeoutMs }, { retryable: true });
  }
}

/** A JSON answer was asked for and the model's answer is not JSON, or does not match the schema. */
export class StructuredOutputError extends WardenError<
  'STRUCTURED_OUTPUT_INVALID',
  {
    provider: string;
    model: string;
    /** What is wrong with it. */
    problem: string;
  }
> {
  /** The answer as received (not in the JSON form: it may be long). */
  readonly text: string;

  constructor(provider: string, model: string, text: string, problem: string) {
    super('STRUCTURED_OUTPUT_INVALID', `${provider} model "${model}": the answer is not the JSON asked for: ${problem}`, { provider, model, problem });
    this.text = text;
  }
}

/** No API key was given in the options or the environment. */
export class MissingApiKeyError extends WardenError<'MISSING_API_KEY', { provider: string; envVar: string }> {
  constructor(provider: string, envVar: string) {
    super('MISSING_API_KEY', `${provider}: no API key: pass \`apiKey\` or set ${envVar}`, { provider, envVar });
  }
}
