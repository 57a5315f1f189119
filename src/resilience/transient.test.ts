/** Failure classification: which errors are transient, and the delay a server asked for. */
import { APICallError } from '@ai-sdk/provider';
import { describe, expect, it } from 'vitest';
import { CallTimeoutError, MailboxFullError, isWardenError } from '../runtime/index.ts';
import { classifyFailure, ensureOk, retryAfterFromHeaders, HttpStatusError } from './transient.ts';

const NOW = Date.parse('2030-01-01T00:00:00Z');

function withCode(code: string, message = 'x'): Error {
  return Object.assign(new Error(message), { code });
}

describe('classifyFailure', () => {
  it.each([408, 429, 500, 502, 503, 504, 529])('treats HTTP %i as transient', (status) => {
    expect(classifyFailure({ status }, NOW).transient).toBe(true);
  });

  it.each([400, 401, 403, 404, 409, 422, 501])('treats HTTP %i as permanent', (status) => {
    expect(classifyFailure({ status }, NOW).transient).toBe(false);
  });

  it.each(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'UND_ERR_SOCKET'])('treats socket code %s as transient', (code) => {
    expect(classifyFailure(withCode(code), NOW)).toMatchObject({ transient: true, reason: code });
  });

  it('treats "socket hang up" as transient', () => {
    expect(classifyFailure(new Error('socket hang up'), NOW).transient).toBe(true);
  });

  it("treats fetch's TypeError network failure as transient, found through its cause", () => {
    const e = new TypeError('fetch failed', { cause: withCode('ECONNREFUSED') });
    expect(classifyFailure(e, NOW).transient).toBe(true);
    const wrapped = new Error('step failed', { cause: new Error('inner', { cause: withCode('ECONNRESET') }) });
    expect(classifyFailure(wrapped, NOW)).toMatchObject({ transient: true, reason: 'ECONNRESET' });
  });

  it('treats timeouts as transient and aborts as permanent', () => {
    expect(classifyFailure(new DOMException('t', 'TimeoutError'), NOW).transient).toBe(true);
    expect(classifyFailure(new DOMException('a', 'AbortError'), NOW)).toMatchObject({ transient: false, reason: 'abort' });
    class APIUserAbortError extends Error {}
    expect(classifyFailure(new APIUserAbortError('aborted'), NOW).transient).toBe(false);
    class APIConnectionTimeoutError extends Error {}
    expect(classifyFailure(new APIConnectionTimeoutError('t'), NOW).transient).toBe(true);
  });

  it('treats plain bugs and non-objects as permanent', () => {
    expect(classifyFailure(new TypeError('x is not a function'), NOW).transient).toBe(false);
    expect(classifyFailure('boom', NOW).transient).toBe(false);
    expect(classifyFailure(undefined, NOW).transient).toBe(false);
  });

  it('classifies a Warden error by its retryable and retryAfterMs fields', () => {
    expect(classifyFailure(new CallTimeoutError('x', 5), NOW).transient).toBe(true);
    const e = Object.assign(new MailboxFullError('<0.1.0>' as never, 1, 'reject'), {});
    expect(classifyFailure(e, NOW).transient).toBe(true);
    const http = new HttpStatusError(503, 'http://x', 1500, true);
    expect(classifyFailure(http, NOW)).toMatchObject({ transient: true, retryAfterMs: 1500 });
    expect(classifyFailure(new HttpStatusError(400, 'http://x', undefined, false), NOW).transient).toBe(false);
  });

  it("classifies the AI SDK's APICallError by its statusCode and responseHeaders, and a 200 cut off by its cause", () => {
    const error = (statusCode: number, responseHeaders: Record<string, string>, cause?: unknown) =>
      new APICallError({ message: 'x', url: 'http://x', requestBodyValues: {}, statusCode, responseHeaders, cause });
    expect(classifyFailure(error(429, { 'retry-after': '2' }), NOW)).toEqual({ transient: true, retryAfterMs: 2000, reason: 'http 429' });
    expect(classifyFailure(error(400, {}), NOW).transient).toBe(false);
    expect(classifyFailure(error(200, {}, new TypeError('terminated', { cause: withCode('UND_ERR_SOCKET') })), NOW)).toMatchObject({ transient: true });
  });

  it('lets x-should-retry override the status', () => {
    expect(classifyFailure({ status: 400, headers: new Headers({ 'x-should-retry': 'true' }) }, NOW).transient).toBe(true);
    expect(classifyFailure({ status: 503, headers: new Headers({ 'x-should-retry': 'false' }) }, NOW).transient).toBe(false);
  });
});

describe('retryAfterFromHeaders', () => {
  it('reads delta seconds, HTTP dates and retry-after-ms, preferring the latter', () => {
    expect(retryAfterFromHeaders(new Headers({ 'retry-after': '7' }), NOW)).toBe(7000);
    const date = new Date(NOW + 12_000).toUTCString();
    expect(retryAfterFromHeaders(new Headers({ 'retry-after': date }), NOW)).toBe(12_000);
    expect(retryAfterFromHeaders({ 'Retry-After': '2', 'retry-after-ms': '250' }, NOW)).toBe(250);
  });

  it('gives 0 for a date in the past and undefined for garbage or absence', () => {
    expect(retryAfterFromHeaders(new Headers({ 'retry-after': new Date(NOW - 5000).toUTCString() }), NOW)).toBe(0);
    expect(retryAfterFromHeaders(new Headers({ 'retry-after': 'soon' }), NOW)).toBeUndefined();
    expect(retryAfterFromHeaders(new Headers(), NOW)).toBeUndefined();
  });
});

describe('ensureOk', () => {
  it('returns a 2xx response and throws a classified HttpStatusError for others', async () => {
    const ok = new Response('fine', { status: 200 });
    await expect(ensureOk(ok)).resolves.toBe(ok);
    const clock = { now: () => NOW, setTimer: () => ({ cancel() {} }), sleep: async () => {} };
    const err = await ensureOk(new Response('slow down', { status: 429, headers: { 'retry-after': '3' } }), clock).catch((e: unknown) => e);
    expect(isWardenError(err, 'HTTP_STATUS')).toBe(true);
    expect(err).toMatchObject({ status: 429, retryable: true, retryAfterMs: 3000 });
    const bad = await ensureOk(new Response('no', { status: 404 })).catch((e: unknown) => e);
    expect(bad).toMatchObject({ status: 404, retryable: false });
  });
});
