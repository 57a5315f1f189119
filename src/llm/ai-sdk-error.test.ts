/**
 * The AI SDK's error classes (from `@ai-sdk/provider`, as its providers throw them) mapped to the
 * model layer's typed errors, one row per kind: by HTTP status with Retry-After, a body that
 * broke off or did not parse, a provider's error inside a stream (parsed or raw), bad prompts,
 * missing keys, and the caller's abort passing through as its reason.
 */
import { APICallError, InvalidPromptError, JSONParseError, LoadAPIKeyError, TypeValidationError, UnsupportedFunctionalityError } from '@ai-sdk/provider';
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../runtime/index.ts';
import { toModelErrorFromAiSdk } from './ai-sdk-error.ts';

const clock = new VirtualClock({ startMs: Date.parse('2031-01-01T00:00:00Z') });
const open = new AbortController().signal;
const map = (error: unknown, signal: AbortSignal = open): unknown => toModelErrorFromAiSdk(error, 'openai.chat', 'm', signal, clock);

const apiError = (
  statusCode: number | undefined,
  responseHeaders: Record<string, string> = {},
  extra: Partial<ConstructorParameters<typeof APICallError>[0]> = {},
) =>
  new APICallError({
    message: `HTTP ${statusCode}`,
    url: 'http://x/v1/chat/completions',
    requestBodyValues: {},
    ...(statusCode === undefined ? {} : { statusCode }),
    responseHeaders,
    ...extra,
  });

describe('toModelErrorFromAiSdk', () => {
  it.each([
    [429, { 'retry-after': '3' }, 'MODEL_RATE_LIMITED', true, 3_000],
    [429, { 'retry-after-ms': '250' }, 'MODEL_RATE_LIMITED', true, 250],
    [429, { 'retry-after': 'Wed, 01 Jan 2031 00:00:10 GMT' }, 'MODEL_RATE_LIMITED', true, 10_000],
    [529, {}, 'MODEL_OVERLOADED', true, undefined],
    [503, {}, 'MODEL_UNAVAILABLE', true, undefined],
    [408, {}, 'MODEL_UNAVAILABLE', true, undefined],
    [503, { 'x-should-retry': 'false' }, 'MODEL_UNAVAILABLE', false, undefined],
    [400, {}, 'MODEL_BAD_REQUEST', false, undefined],
    [404, {}, 'MODEL_BAD_REQUEST', false, undefined],
    [401, {}, 'MODEL_AUTH', false, undefined],
  ] as const)('maps APICallError %i %j to %s (retryable %s, retryAfterMs %s)', (status, headers, code, retryable, retryAfterMs) => {
    const e = map(apiError(status, headers));
    expect(e).toMatchObject({ code, retryable, status, retryAfterMs, provider: 'openai.chat', model: 'm' });
  });

  it("takes the provider's error type and message from its parsed body", () => {
    const e = map(apiError(400, {}, { data: { error: { message: 'bad tool schema', type: 'invalid_request_error' } }, responseBody: '{}' }));
    expect(e).toMatchObject({ code: 'MODEL_BAD_REQUEST', errorType: 'invalid_request_error' });
    expect((e as Error).message).toContain('bad tool schema');
  });

  it('maps a 200 whose body broke off to MODEL_CONNECTION, and one that did not parse to MALFORMED_RESPONSE', () => {
    const cut = new TypeError('terminated', { cause: Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' }) });
    expect(map(apiError(200, {}, { cause: cut, isRetryable: true }))).toMatchObject({ code: 'MODEL_CONNECTION', retryable: true });
    const parse = new JSONParseError({ text: '{ <html>', cause: new SyntaxError('Unexpected token') });
    expect(map(apiError(200, {}, { cause: parse }))).toMatchObject({ code: 'MALFORMED_RESPONSE', retryable: true });
  });

  it('maps a request that never got an answer to MODEL_CONNECTION', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    expect(map(apiError(undefined, {}, { cause: refused, isRetryable: true }))).toMatchObject({ code: 'MODEL_CONNECTION', retryable: true });
  });

  it.each([
    [{ message: 'slow down', type: undefined, code: 'rate_limit_exceeded', statusCode: undefined, isRetryable: true }, 'MODEL_RATE_LIMITED'],
    [{ message: 'overloaded', type: 'overloaded_error', isRetryable: true }, 'MODEL_OVERLOADED'],
    [{ type: 'error', sequence_number: 4, code: 'server_error', message: 'boom' }, 'MODEL_UNAVAILABLE'],
    [{ message: 'bad', type: 'invalid_request_error', isRetryable: false }, 'MODEL_BAD_REQUEST'],
    [{ message: 'slow down', statusCode: 429, isRetryable: true }, 'MODEL_RATE_LIMITED'],
  ])("maps a provider's error inside a stream %j to %s", (error, code) => {
    expect(map(error)).toMatchObject({ code });
  });

  it.each([
    [new JSONParseError({ text: 'x', cause: new SyntaxError('bad') }), 'MALFORMED_RESPONSE', true],
    [new TypeValidationError({ value: {}, cause: new Error('bad') }), 'MALFORMED_RESPONSE', true],
    [new InvalidPromptError({ prompt: '', message: 'no messages' }), 'MODEL_BAD_REQUEST', false],
    [new UnsupportedFunctionalityError({ functionality: 'images' }), 'MODEL_BAD_REQUEST', false],
    [new LoadAPIKeyError({ message: 'OPENAI_API_KEY is missing' }), 'MODEL_AUTH', false],
  ])('maps %s to %s', (error, code, retryable) => {
    expect(map(error)).toMatchObject({ code, retryable });
  });

  it("passes the caller's abort through as its reason", () => {
    const ac = new AbortController();
    const reason = new Error('stopped by the caller');
    ac.abort(reason);
    expect(map(apiError(429), ac.signal)).toBe(reason);
  });
});
