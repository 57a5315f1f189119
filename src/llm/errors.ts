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
 */
import { WardenError } from '../runtime/index.ts';
import { redact } from './redact.ts';

export type ModelErrorCode =
  | 'MODEL_RATE_LIMITED'
  | 'MODEL_OVERLOADED'
  | 'MODEL_UNAVAILABLE'
  | 'MODEL_CONNECTION'
  | 'MODEL_BAD_REQUEST'
  | 'MODEL_AUTH';

/** A call to a provider failed (an HTTP error, an error event, or the connection). */
export class ModelCallError extends WardenError {
  readonly code: ModelErrorCode;
  override readonly retryable: boolean;
  readonly provider: string;
  readonly model: string;
  /** HTTP status, when there was a response. */
  readonly status: number | undefined;
  /** The provider's error type (`rate_limit_error`, `invalid_request_error`, ...), if it said. */
  readonly errorType: string | undefined;
  /** Delay the provider asked for (`retry-after-ms` / `retry-after`), ms. */
  readonly retryAfterMs: number | undefined;
  readonly requestId: string | undefined;

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
      redact(
        `${fields.provider} model "${fields.model}": ${fields.status === undefined ? '' : `HTTP ${fields.status} `}${fields.detail}` +
          (fields.retryAfterMs === undefined ? '' : ` (retry after ${Math.round(fields.retryAfterMs)} ms)`),
      ),
      options,
    );
    this.code = fields.code;
    this.retryable = fields.retryable;
    this.provider = fields.provider;
    this.model = fields.model;
    this.status = fields.status;
    this.errorType = fields.errorType;
    this.retryAfterMs = fields.retryAfterMs;
    this.requestId = fields.requestId;
  }

  protected override details(): Record<string, unknown> {
    return {
      provider: this.provider,
      model: this.model,
      status: this.status,
      errorType: this.errorType,
      retryAfterMs: this.retryAfterMs,
      requestId: this.requestId,
    };
  }
}

/** A response body or stream event was not in the provider's format (truncated, malformed). */
export class MalformedResponseError extends WardenError {
  readonly code = 'MALFORMED_RESPONSE';
  override readonly retryable = true;
  readonly provider: string;
  readonly model: string;

  constructor(provider: string, model: string, detail: string, options?: { cause?: unknown }) {
    super(redact(`${provider} model "${model}": malformed response: ${detail}`), options);
    this.provider = provider;
    this.model = model;
  }

  protected override details(): Record<string, unknown> {
    return { provider: this.provider, model: this.model };
  }
}

/**
 * A stream ended or broke before its final event: the connection was cut, the server closed it
 * early, or the caller's signal stopped the SDK's reader. What was received is partial.
 */
export class StreamInterruptedError extends WardenError {
  readonly code = 'STREAM_INTERRUPTED';
  override readonly retryable = true;
  readonly provider: string;
  readonly model: string;
  /** Stream events received before the cut. */
  readonly eventsReceived: number;
  /** Characters of text received before the cut. */
  readonly partialTextChars: number;

  constructor(provider: string, model: string, eventsReceived: number, partialTextChars: number, detail: string, options?: { cause?: unknown }) {
    super(
      redact(`${provider} model "${model}": stream interrupted after ${eventsReceived} events (${partialTextChars} characters of text): ${detail}`),
      options,
    );
    this.provider = provider;
    this.model = model;
    this.eventsReceived = eventsReceived;
    this.partialTextChars = partialTextChars;
  }

  protected override details(): Record<string, unknown> {
    return { provider: this.provider, model: this.model, eventsReceived: this.eventsReceived, partialTextChars: this.partialTextChars };
  }
}

/** No stream event arrived within the idle timeout. */
export class StreamStalledError extends WardenError {
  readonly code = 'STREAM_STALLED';
  override readonly retryable = true;
  readonly provider: string;
  readonly model: string;
  readonly idleTimeoutMs: number;

  constructor(provider: string, model: string, idleTimeoutMs: number) {
    super(`${provider} model "${model}": no stream event for ${idleTimeoutMs} ms`);
    this.provider = provider;
    this.model = model;
    this.idleTimeoutMs = idleTimeoutMs;
  }

  protected override details(): Record<string, unknown> {
    return { provider: this.provider, model: this.model, idleTimeoutMs: this.idleTimeoutMs };
  }
}

/** A JSON answer was asked for and the model's answer is not JSON, or does not match the schema. */
export class StructuredOutputError extends WardenError {
  readonly code = 'STRUCTURED_OUTPUT_INVALID';
  readonly provider: string;
  readonly model: string;
  /** The answer as received. */
  readonly text: string;
  /** What is wrong with it. */
  readonly problem: string;

  constructor(provider: string, model: string, text: string, problem: string) {
    super(`${provider} model "${model}": the answer is not the JSON asked for: ${problem}`);
    this.provider = provider;
    this.model = model;
    this.text = text;
    this.problem = problem;
  }

  protected override details(): Record<string, unknown> {
    return { provider: this.provider, model: this.model, problem: this.problem };
  }
}

/** No API key was given in the options or the environment. */
export class MissingApiKeyError extends WardenError {
  readonly code = 'MISSING_API_KEY';
  readonly provider: string;
  readonly envVar: string;

  constructor(provider: string, envVar: string) {
    super(`${provider}: no API key: pass \`apiKey\` or set ${envVar}`);
    this.provider = provider;
    this.envVar = envVar;
  }

  protected override details(): Record<string, unknown> {
    return { provider: this.provider, envVar: this.envVar };
  }
}
