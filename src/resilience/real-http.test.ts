/**
 * Retry and breaker against a real HTTP server on 127.0.0.1, called with fetch and with the real
 * `openai` and `@anthropic-ai/sdk` clients (their own retries off). The HTTP is real; every wait
 * between attempts runs on the virtual clock, so the test asserts exact delays and never sleeps.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startHarnessEvents } from '../testing/event-log.ts';
import OpenAI from 'openai';
import Anthropic from '@anthropic-ai/sdk';
import { type VirtualClock, seededRandom, settle, type WardenEvent } from '../runtime/index.ts';
import { CircuitBreaker, Retry, classifyFailure, ensureOk, wrap } from './index.ts';

interface Scripted {
  readonly status: number;
  readonly headers?: Record<string, string>;
  readonly body?: unknown;
}

let server: Server;
let base: string;
let script: Scripted[] = [];
let received: string[] = [];

const START = Date.parse('2031-01-01T00:00:00Z');

const openAiCompletion = {
  id: 'chatcmpl-1',
  object: 'chat.completion',
  created: 0,
  model: 'gpt-test',
  choices: [{ index: 0, message: { role: 'assistant', content: 'pong', refusal: null }, finish_reason: 'stop', logprobs: null }],
  usage: { prompt_tokens: 3, completion_tokens: 1, total_tokens: 4 },
};
const anthropicMessage = {
  id: 'msg_1',
  type: 'message',
  role: 'assistant',
  model: 'claude-test',
  content: [{ type: 'text', text: 'pong' }],
  stop_reason: 'end_turn',
  stop_sequence: null,
  usage: { input_tokens: 3, output_tokens: 1 },
};

beforeAll(async () => {
  server = createServer((req: IncomingMessage, res: ServerResponse) => {
    req.resume();
    req.on('end', () => {
      received.push(`${req.method} ${req.url}`);
      const next = script.shift() ?? { status: 500, body: { error: { message: 'script exhausted' } } };
      res.writeHead(next.status, { 'content-type': 'application/json', ...next.headers });
      res.end(JSON.stringify(next.body ?? {}));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

beforeEach(() => {
  script = [];
  received = [];
});

function setup(breakerFailures = 5) {
  const { clock, bus, events } = startHarnessEvents(START);
  const retry = new Retry({ clock, bus, random: seededRandom(9), maxAttempts: 4, baseDelayMs: 1000, maxRetryAfterMs: 10_000 });
  const breaker = new CircuitBreaker({ clock, bus, name: 'llm', trip: { kind: 'consecutive', failures: breakerFailures }, openMs: 30_000 });
  const delays = () => events.filter((e) => e.type === 'retry.attempt_failed').map((e) => (e as WardenEvent<'retry.attempt_failed'>).delayMs);
  return { clock, events, policy: wrap(retry, breaker), breaker, delays };
}

/** Await real I/O while firing virtual timers as they appear (the retry waits). */
async function drive<T>(clock: VirtualClock, p: Promise<T>): Promise<T> {
  let done = false;
  p.then(
    () => (done = true),
    () => (done = true),
  );
  while (!done) {
    if (clock.pendingTimers() > 0) await clock.runNext();
    else await settle();
  }
  return p;
}

const rateLimited = (headers: Record<string, string>) => ({ status: 429, headers, body: { error: { message: 'slow down', type: 'rate_limit' } } });
const unavailable = { status: 503, body: { error: { message: 'unavailable' } } };

describe('retry + breaker over real HTTP', () => {
  it('fetch: honours Retry-After seconds, then backs off on a 503, then succeeds', async () => {
    const { clock, policy, delays, breaker } = setup();
    script = [rateLimited({ 'retry-after': '2' }), unavailable, { status: 200, body: { ok: true } }];
    const result = await drive(
      clock,
      policy.execute(async ({ signal }) => (await ensureOk(await fetch(`${base}/v1/things`, { signal }), clock)).json()),
    );
    expect(result).toEqual({ ok: true });
    expect(received).toHaveLength(3);
    const [first, second] = delays();
    expect(first).toBe(2000);
    expect(second).toBeGreaterThanOrEqual(0);
    expect(second).toBeLessThanOrEqual(2000); // full jitter, cap 1000 * 2^1
    expect(clock.now() - START).toBeCloseTo(2000 + (second as number), 3);
    expect(breaker.state.kind).toBe('closed');
  });

  it('fetch: classifies a refused connection (TypeError: fetch failed) as transient', async () => {
    const dead = createServer();
    await new Promise<void>((resolve) => dead.listen(0, '127.0.0.1', resolve));
    const port = (dead.address() as AddressInfo).port;
    await new Promise<void>((resolve) => dead.close(() => resolve()));
    const error = await fetch(`http://127.0.0.1:${port}/`).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TypeError);
    expect(classifyFailure(error, START)).toMatchObject({ transient: true, reason: 'ECONNREFUSED' });
  });

  it('openai client: honours an HTTP-date Retry-After on its RateLimitError', async () => {
    const { clock, policy, delays, events } = setup();
    const client = new OpenAI({ apiKey: 'test', baseURL: `${base}/v1`, maxRetries: 0 });
    script = [rateLimited({ 'retry-after': new Date(START + 7000).toUTCString() }), { status: 200, body: openAiCompletion }];
    const completion = await drive(
      clock,
      policy.execute(({ signal }) => client.chat.completions.create({ model: 'gpt-test', messages: [{ role: 'user', content: 'ping' }] }, { signal })),
    );
    expect(completion.choices[0]?.message.content).toBe('pong');
    expect(delays()).toEqual([7000]);
    const failed = events.find((e) => e.type === 'retry.attempt_failed') as WardenEvent<'retry.attempt_failed'>;
    expect(failed.error).toBeInstanceOf(OpenAI.RateLimitError);
    expect(received).toEqual(['POST /v1/chat/completions', 'POST /v1/chat/completions']);
  });

  it('openai client: retries its APIConnectionError for a refused connection', async () => {
    const dead = createServer();
    await new Promise<void>((resolve) => dead.listen(0, '127.0.0.1', resolve));
    const port = (dead.address() as AddressInfo).port;
    await new Promise<void>((resolve) => dead.close(() => resolve()));
    const client = new OpenAI({ apiKey: 'test', baseURL: `http://127.0.0.1:${port}/v1`, maxRetries: 0 });
    const error = await client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'x' }] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.APIConnectionError);
    expect(classifyFailure(error, START).transient).toBe(true);
  });

  it('anthropic client: retries a 529 with retry-after-ms, then a 503, and returns the message', async () => {
    const { clock, policy, delays, events } = setup();
    const client = new Anthropic({ apiKey: 'test', baseURL: base, maxRetries: 0 });
    script = [
      { status: 529, headers: { 'retry-after-ms': '1500' }, body: { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } } },
      { status: 503, body: { type: 'error', error: { type: 'api_error', message: 'unavailable' } } },
      { status: 200, body: anthropicMessage },
    ];
    const message = await drive(
      clock,
      policy.execute(({ signal }) =>
        client.messages.create({ model: 'claude-test', max_tokens: 16, messages: [{ role: 'user', content: 'ping' }] }, { signal }),
      ),
    );
    expect(message.content[0]).toMatchObject({ type: 'text', text: 'pong' });
    expect(delays()[0]).toBe(1500);
    const errors = events.filter((e) => e.type === 'retry.attempt_failed').map((e) => (e as WardenEvent<'retry.attempt_failed'>).error);
    expect(errors[0]).toBeInstanceOf(Anthropic.APIError);
    expect(errors.map((e) => (e as { status: number }).status)).toEqual([529, 503]);
  });

  it('anthropic client: the breaker opens on repeated 503s and the retry stops instead of waiting out the open period', async () => {
    const { clock, policy, events, breaker } = setup(2);
    const client = new Anthropic({ apiKey: 'test', baseURL: base, maxRetries: 0 });
    script = [unavailable, unavailable, unavailable, unavailable];
    const error = await drive(
      clock,
      policy.execute(({ signal }) =>
        client.messages.create({ model: 'claude-test', max_tokens: 16, messages: [{ role: 'user', content: 'ping' }] }, { signal }),
      ),
    ).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'BROKEN_CIRCUIT', breaker: 'llm', state: 'open' });
    // the third attempt came one backoff after the breaker opened: still most of the 30 s to wait
    const retryAfterMs = (error as { retryAfterMs: number }).retryAfterMs;
    expect(retryAfterMs).toBeGreaterThan(10_000);
    expect(retryAfterMs).toBeLessThanOrEqual(30_000);
    expect(received).toHaveLength(2);
    expect(breaker.state.kind).toBe('open');
    expect(events.find((e) => e.type === 'breaker.opened')).toMatchObject({ breaker: 'llm', reason: 'tripped' });
    expect(events.find((e) => e.type === 'retry.gave_up')).toMatchObject({ reason: 'retry_after_too_long' });
  });
});
