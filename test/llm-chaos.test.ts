/**
 * The model layer end to end: the resilient client, through the real `openai` and
 * `@anthropic-ai/sdk` clients, over real HTTP to the simulated model server, with the chaos
 * proxy in between injecting every kind of fault. Each fault is either recovered from (retry,
 * fallback) or surfaced as a typed error; streams cut midway are retried or fall back without
 * splicing; budgets refuse before an over-budget call; usage and cost are metered exactly; keys
 * never appear in errors or events. Every policy wait runs on the virtual clock (see
 * test/support/llm-harness.ts); nothing sleeps for real and no timing is asserted.
 */
import { inspect } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { Budget, InProcessResultCache, ProviderLimiter } from '../src/resilience/index.ts';
import { VirtualClock, isWardenError } from '../src/runtime/index.ts';
import {
  type ResilientModelClient,
  anthropicMessages,
  createModelClient,
  openaiChat,
  type ModelRequest,
  type ModelResponse,
  type ProviderAdapter,
  type StreamDelta,
} from '../src/llm/index.ts';
import { startSimServer, type ChaosFault, type ChaosRule } from '../src/sim/index.ts';
import { START_MS, expireHangs, harness, type Harness } from './support/llm-harness.ts';

const KEY = 'sk-live-0123456789abcdefSECRET';
const TIMEOUT_MS = 5_000;

let open: Harness[] = [];
afterEach(async () => {
  await Promise.all(open.map((h) => h.close()));
  open = [];
});

async function setup(options: Parameters<typeof harness>[0] = {}): Promise<Harness> {
  const h = await harness(options);
  open.push(h);
  return h;
}

type Api = 'openai' | 'anthropic';

function adapter(h: Harness, api: Api, extra: { viaProxy?: boolean; supportsPrefill?: boolean } = {}): ProviderAdapter {
  const via = extra.viaProxy ?? true;
  return api === 'openai'
    ? openaiChat({ model: 'sim-small', apiKey: KEY, baseURL: via ? h.openaiURL : h.sim.openaiBaseURL, supportsPrefill: extra.supportsPrefill ?? false })
    : anthropicMessages({ model: 'sim-large', apiKey: KEY, baseURL: via ? h.anthropicURL : h.sim.anthropicBaseURL });
}

const ask: ModelRequest = {
  messages: [
    { role: 'system', content: 'You are terse.' },
    { role: 'user', content: 'What does a supervisor do?' },
  ],
};

/** Run a call, streamed or not; for streams, also return the deltas and the text a consumer that honours `reset` would show. */
async function call(
  client: ResilientModelClient,
  stream: boolean,
  request: ModelRequest = ask,
): Promise<{ response: ModelResponse; deltas: StreamDelta[]; shown: string }> {
  if (!stream) {
    const response = await client.complete(request);
    return { response, deltas: [], shown: response.text };
  }
  const s = client.stream(request);
  const deltas: StreamDelta[] = [];
  let shown = '';
  for await (const d of s) {
    deltas.push(d);
    if (d.type === 'reset' || (d.type === 'start' && !d.resumed)) shown = '';
    if (d.type === 'text') shown += d.text;
  }
  return { response: await s.response, deltas, shown };
}

/** The answer the simulated model gives to `ask`, fetched directly (no proxy, no faults). */
async function expectedText(h: Harness, api: Api): Promise<string> {
  const r = await adapter(h, api, { viaProxy: false }).complete(ask);
  h.sim.reset();
  return r.text;
}

const faults: readonly { fault: ChaosFault; code: string; streamCode?: string }[] = [
  { fault: { kind: 'rate_limit', retryAfterSeconds: 2 }, code: 'MODEL_RATE_LIMITED' },
  { fault: { kind: 'overloaded' }, code: 'MODEL_OVERLOADED' },
  { fault: { kind: 'status', status: 500 }, code: 'MODEL_UNAVAILABLE' },
  { fault: { kind: 'status', status: 502 }, code: 'MODEL_UNAVAILABLE' },
  { fault: { kind: 'status', status: 503 }, code: 'MODEL_UNAVAILABLE' },
  { fault: { kind: 'hang' }, code: 'TIMEOUT' },
  { fault: { kind: 'reset' }, code: 'MODEL_CONNECTION' },
  { fault: { kind: 'truncate' }, code: 'MODEL_CONNECTION', streamCode: 'STREAM_INTERRUPTED' },
  { fault: { kind: 'malformed' }, code: 'MALFORMED_RESPONSE', streamCode: 'STREAM_INTERRUPTED' },
  { fault: { kind: 'cut_stream', afterEvents: 4 }, code: 'MODEL_CONNECTION', streamCode: 'STREAM_INTERRUPTED' },
  { fault: { kind: 'cut_stream', afterEvents: 4, mode: 'close' }, code: 'MALFORMED_RESPONSE', streamCode: 'STREAM_INTERRUPTED' },
];

const matrix = (['openai', 'anthropic'] as const).flatMap((api) =>
  [false, true].flatMap((stream) =>
    faults.map((f) => ({
      api,
      stream,
      ...f,
      label: `${api} ${stream ? 'stream' : 'plain'} ${f.fault.kind}${'mode' in f.fault && f.fault.mode !== undefined ? `/${f.fault.mode}` : ''}${'status' in f.fault ? `/${f.fault.status}` : ''}`,
    })),
  ),
);

describe('every fault kind through the chaos proxy', () => {
  it.each(matrix)('$label once: recovered by a retry, with the same answer as without the fault', async ({ api, stream, fault }) => {
    const h = await setup({ rules: [{ fault, times: 1 }] });
    const want = await expectedText(h, api);
    const client = createModelClient({ models: [adapter(h, api)], clock: h.clock, bus: h.bus, timeoutMs: TIMEOUT_MS });
    const running = call(client, stream);
    if (fault.kind === 'hang') await expireHangs(h, TIMEOUT_MS);
    const { response, deltas, shown } = await running;
    expect(response.text).toBe(want);
    expect(response.attempts).toBe(2);
    expect(response.level).toBe('primary');
    expect(h.of('llm.retry')).toHaveLength(1);
    if (stream) {
      expect(shown).toBe(want);
      // Output delivered before the failure is explicitly voided, never spliced into the answer.
      const cutAfterOutput = h.of('llm.stream_error').length > 0;
      expect(deltas.some((d) => d.type === 'reset')).toBe(cutAfterOutput);
      expect(deltas.filter((d) => d.type === 'start')).toHaveLength(2);
      expect(deltas.at(-1)).toEqual({ type: 'finish', finishReason: 'stop' });
    }
    if (fault.kind === 'rate_limit') {
      expect(h.of('retry.attempt_failed')[0]?.delayMs).toBe(2000);
    }
  });

  it.each(matrix)('$label every time: surfaced as a typed error after the retries', async ({ api, stream, fault, code, streamCode }) => {
    const h = await setup({ rules: [{ fault }] });
    const client = createModelClient({ models: [adapter(h, api)], clock: h.clock, bus: h.bus, timeoutMs: TIMEOUT_MS, retry: { maxAttempts: 3 } });
    const running = call(client, stream).then(
      () => undefined,
      (e: unknown) => e,
    );
    if (fault.kind === 'hang') await expireHangs(h, TIMEOUT_MS, 3);
    const error = await running;
    expect(isWardenError(error)).toBe(true);
    expect((error as { code: string }).code).toBe(stream ? (streamCode ?? code) : code);
    expect((error as { retryable: boolean }).retryable).toBe(true);
    expect(h.proxy?.decisions).toHaveLength(3);
    expect(h.of('llm.failed')).toHaveLength(1);
    expect(h.proxy?.hanging).toBe(0);
  });

  it('does not retry a bad request: one call, MODEL_BAD_REQUEST with the provider message', async () => {
    const h = await setup({ script: { rules: [{ reply: { error: { status: 400, message: 'messages: too long' } } }] }, rules: [] });
    for (const api of ['openai', 'anthropic'] as const) {
      h.sim.reset();
      const client = createModelClient({ models: [adapter(h, api)], clock: h.clock, bus: h.bus });
      const error = await client.complete(ask).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'MODEL_BAD_REQUEST', status: 400, retryable: false, provider: api });
      expect((error as Error).message).toContain('messages: too long');
      expect(h.sim.requestCount).toBe(1);
    }
  });
});

describe('streams that fail midway', () => {
  const full = 'The quick brown fox jumps over the lazy dog and keeps on running far away from here.';

  it.each(['openai', 'anthropic'] as const)('%s: resume keeps the text received and continues it with a prefilled retry', async (api) => {
    const h = await setup({ script: { rules: [{ reply: { text: full } }] }, rules: [{ fault: { kind: 'cut_stream', afterEvents: 5 }, times: 1 }] });
    const client = createModelClient({ models: [adapter(h, api, { supportsPrefill: true })], clock: h.clock, bus: h.bus, streamFailure: 'resume' });
    const { response, deltas, shown } = await call(client, true);
    expect(response.text).toBe(full);
    expect(shown).toBe(full);
    expect(deltas.some((d) => d.type === 'reset')).toBe(false);
    const starts = deltas.filter((d) => d.type === 'start');
    expect(starts.map((d) => d.resumed)).toEqual([false, true]);
    const kept = response.resumedFrom?.[0]?.keptText ?? '';
    expect(kept.length).toBeGreaterThan(0);
    expect(full.startsWith(kept)).toBe(true);
    // The retry asked the model to continue exactly the kept text; only two paid calls were made.
    expect(h.sim.requests.map((r) => r.prefill)).toEqual(['', kept]);
    expect(h.of('llm.stream_error')[0]).toMatchObject({ action: 'resume' });
    // Both attempts were paid for and are counted.
    expect(response.totalUsage.outputTokens).toBeGreaterThan(response.usage.outputTokens);
  });

  it('resume falls back to discard on an endpoint that cannot continue a message', async () => {
    const h = await setup({ script: { rules: [{ reply: { text: full } }] }, rules: [{ fault: { kind: 'cut_stream', afterEvents: 5 }, times: 1 }] });
    const client = createModelClient({ models: [adapter(h, 'openai', { supportsPrefill: false })], clock: h.clock, bus: h.bus, streamFailure: 'resume' });
    const { response, deltas, shown } = await call(client, true);
    expect(response.text).toBe(full);
    expect(shown).toBe(full);
    expect(deltas.filter((d) => d.type === 'reset')).toHaveLength(1);
    expect(response.resumedFrom).toBeUndefined();
    expect(h.sim.requests.map((r) => r.prefill)).toEqual(['', '']);
  });

  it('a stream cut on every try falls back to the other provider, discarding the partial output', async () => {
    const h = await setup({ rules: [{ match: { path: '/v1/chat/completions' }, fault: { kind: 'cut_stream', afterEvents: 4 } }] });
    const want = await expectedText(h, 'anthropic');
    const client = createModelClient({
      models: [adapter(h, 'openai'), adapter(h, 'anthropic')],
      clock: h.clock,
      bus: h.bus,
      retry: { maxAttempts: 2 },
      streamFailure: 'resume',
    });
    const { response, deltas, shown } = await call(client, true);
    expect(response).toMatchObject({ level: 'fallback', provider: 'anthropic', text: want, attempts: 3 });
    expect(shown).toBe(want);
    expect(deltas.filter((d) => d.type === 'start').map((d) => `${d.provider}/${d.level}/${d.resumed}`)).toEqual([
      'openai/primary/false',
      'openai/primary/false',
      'anthropic/fallback/false',
    ]);
    expect(deltas.filter((d) => d.type === 'reset')).toHaveLength(2);
    expect(h.of('llm.fallback')).toEqual([
      expect.objectContaining({ from: { provider: 'openai', model: 'sim-small' }, to: { provider: 'anthropic', model: 'sim-large' } }),
    ]);
    expect(h.of('degradation.degraded')).toHaveLength(1);
  });

  it('a slow stream whose events keep coming within the idle timeout is not given up', async () => {
    const h = await setup();
    // The server paces its events on its own virtual clock, 300 ms apart; the test moves both
    // clocks in step, giving each event time to travel over loopback, under the client's 1 s
    // idle timeout. The whole stream takes more than 3 s of (virtual) time.
    const serverClock = new VirtualClock({ startMs: START_MS });
    const slow = await startSimServer({ clock: serverClock, streamDelayMs: 300, script: { rules: [{ reply: { text: 'one two three four five' } }] } });
    try {
      const client = createModelClient({
        models: [anthropicMessages({ model: 'sim-large', apiKey: KEY, baseURL: slow.anthropicBaseURL })],
        clock: h.clock,
        bus: h.bus,
        streamIdleTimeoutMs: 1_000,
      });
      let done = false;
      const running = call(client, true);
      running.then(
        () => (done = true),
        () => (done = true),
      );
      const immediates = async (n: number, until: () => boolean): Promise<void> => {
        for (let i = 0; i < n && !until(); i++) await new Promise((r) => setImmediate(r));
      };
      await immediates(100_000, () => serverClock.pendingTimers() > 0);
      while (!done) {
        await serverClock.advance(300);
        await immediates(50, () => done);
        await h.clock.advance(300);
      }
      const { response } = await running;
      expect(response).toMatchObject({ text: 'one two three four five', attempts: 1 });
      expect(h.clock.now() - START_MS).toBeGreaterThan(3_000);
      expect(h.of('llm.attempt_failed')).toHaveLength(0);
    } finally {
      await slow.close();
    }
  });

  it('a stalled stream is given up after the idle timeout and retried', async () => {
    const h = await setup({ script: { defaults: { streamDelayMs: 0 } }, rules: [{ fault: { kind: 'hang' }, times: 1 }] });
    const client = createModelClient({ models: [adapter(h, 'anthropic')], clock: h.clock, bus: h.bus, streamIdleTimeoutMs: 1_000, timeoutMs: 60_000 });
    const running = call(client, true);
    await expireHangs(h, 1_000);
    const { response } = await running;
    expect(response.attempts).toBe(2);
    expect(h.of('llm.attempt_failed')[0]?.error.code).toBe('STREAM_STALLED');
  });
});

describe('fallback and degradation', () => {
  it('falls back across providers when the primary keeps failing, and reports the level', async () => {
    const h = await setup({ rules: [{ match: { path: '/v1/chat/completions' }, fault: { kind: 'status', status: 503 } }] });
    const client = createModelClient({ models: [adapter(h, 'openai'), adapter(h, 'anthropic')], clock: h.clock, bus: h.bus, retry: { maxAttempts: 2 } });
    const r = await client.complete(ask);
    expect(r).toMatchObject({ level: 'fallback', provider: 'anthropic', model: 'sim-large', attempts: 3 });
    expect(h.sim.requests.map((x) => x.api)).toEqual(['anthropic']);
  });

  it('stops calling a provider whose breaker opened: later calls go straight to the fallback', async () => {
    const h = await setup({ rules: [{ match: { path: '/v1/chat/completions' }, fault: { kind: 'status', status: 503 } }] });
    const client = createModelClient({
      models: [adapter(h, 'openai'), adapter(h, 'anthropic')],
      clock: h.clock,
      bus: h.bus,
      retry: { maxAttempts: 3 },
      breaker: { trip: { kind: 'consecutive', failures: 2 }, openMs: 600_000, maxOpenMs: 600_000 },
    });
    const first = await client.complete(ask);
    const second = await client.complete(ask);
    expect([first.level, second.level]).toEqual(['fallback', 'fallback']);
    // Two failures opened the breaker; the third try and the whole second call never reached the provider.
    expect(h.proxy?.decisions.filter((d) => d.path === '/v1/chat/completions')).toHaveLength(2);
    expect(client.breakers[0]?.state.kind).toBe('open');
    expect(h.of('llm.attempt_failed').map((e) => e.error.code)).toEqual(['MODEL_UNAVAILABLE', 'MODEL_UNAVAILABLE']);
    expect(h.of('breaker.rejected')).toHaveLength(2);
    expect(h.of('llm.fallback').map((e) => e.error.code)).toEqual(['BROKEN_CIRCUIT', 'BROKEN_CIRCUIT']);
  });

  it('waits for a provider rate limiter and charges it the actual tokens', async () => {
    const h = await setup({ script: { rules: [{ reply: { text: 'ok', usage: { inputTokens: 30, outputTokens: 10 } } }] }, rules: [] });
    const limiter = new ProviderLimiter({ provider: 'openai', tokensPerMinute: 100_000, maxConcurrent: 1, clock: h.clock });
    const client = createModelClient({ models: [adapter(h, 'openai')], clock: h.clock, bus: h.bus, limiters: { openai: limiter } });
    const [a, b] = await Promise.all([client.complete(ask), client.complete(ask)]);
    expect([a.text, b.text]).toEqual(['ok', 'ok']);
    expect(100_000 - (limiter.tokens?.available ?? 0)).toBe(80);
  });

  it('serves the cache, then a static answer, when every model fails, saying which level answered', async () => {
    const h = await setup({ rules: [] });
    const cache = new InProcessResultCache<ModelResponse>({ clock: h.clock });
    const client = createModelClient({
      models: [adapter(h, 'openai')],
      clock: h.clock,
      bus: h.bus,
      retry: { maxAttempts: 1 },
      cache,
      staticAnswer: () => 'The assistant is busy; try again later.',
    });
    const first = await client.complete(ask);
    expect(first.level).toBe('primary');
    h.sim.setScript({ rules: [{ reply: { error: { status: 503 } } }] });
    const cached = await client.complete(ask);
    expect(cached).toMatchObject({ level: 'cache', text: first.text });
    const other = await call(client, true, { messages: [{ role: 'user', content: 'something never asked' }] });
    expect(other.response).toMatchObject({ level: 'static', text: 'The assistant is busy; try again later.' });
    // The failed attempt began (its start), then the static answer: a start, its text, a finish.
    expect(other.deltas.map((d) => d.type)).toEqual(['start', 'start', 'text', 'finish']);
    expect(other.deltas[1]).toMatchObject({ type: 'start', level: 'static', provider: 'static' });
  });

  it('queues the request as the last level and returns the ticket', async () => {
    const h = await setup({ script: { rules: [{ reply: { error: { status: 500 } } }] }, rules: [] });
    const queued: ModelRequest[] = [];
    const client = createModelClient<string>({
      models: [adapter(h, 'anthropic')],
      clock: h.clock,
      bus: h.bus,
      retry: { maxAttempts: 1 },
      queue: (request) => {
        queued.push(request);
        return `ticket-${queued.length}`;
      },
    });
    const r = await client.complete(ask);
    expect(r).toEqual({ level: 'queued', ticket: 'ticket-1', attempts: 1 });
  });
});

describe('budgets and metering', () => {
  const pricing = {
    'sim-small': { inputPerMTok: 1, outputPerMTok: 2, cachedInputPerMTok: 0.5 },
    'sim-large': { inputPerMTok: 3, outputPerMTok: 15, cachedInputPerMTok: 0.3 },
  };
  const usage = { inputTokens: 1200, outputTokens: 300, cachedInputTokens: 200 };

  it.each([
    ['openai', 'sim-small', (1200 * 1 + 200 * 0.5 + 300 * 2) / 1e6],
    ['anthropic', 'sim-large', (1200 * 3 + 200 * 0.3 + 300 * 15) / 1e6],
  ] as const)('%s: meters input, cached and output tokens and prices them, streamed or not', async (api, model, usd) => {
    const h = await setup({ script: { rules: [{ reply: { text: 'Metered.', usage } }] }, rules: [] });
    const budget = new Budget({ scope: 'run', clock: h.clock, bus: h.bus, limits: { usd: 1 } });
    const client = createModelClient({ models: [adapter(h, api)], clock: h.clock, bus: h.bus, budget, pricing });
    for (const stream of [false, true]) {
      const { response } = await call(client, stream);
      expect(response.usage).toEqual({ ...usage, totalTokens: 1700 });
      expect(response.costUsd).toBeCloseTo(usd, 12);
    }
    expect(budget.spending.usd).toBeCloseTo(2 * usd, 12);
    expect(budget.spending.tokens).toBe(3400);
    expect(budget.spending.steps).toBe(2);
    expect(h.of('llm.response').map((e) => [e.model, e.costUsd])).toEqual([
      [model, expect.closeTo(usd, 12)],
      [model, expect.closeTo(usd, 12)],
    ]);
  });

  it('refuses a call whose estimate would pass the cap before anything is sent', async () => {
    const h = await setup({ rules: [] });
    const budget = new Budget({ scope: 'run', clock: h.clock, bus: h.bus, limits: { usd: 0.001 } });
    const client = createModelClient({ models: [adapter(h, 'openai'), adapter(h, 'anthropic')], clock: h.clock, bus: h.bus, budget, pricing });
    const error = await client.complete({ ...ask, maxOutputTokens: 1000 }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'BUDGET_EXCEEDED', scope: 'run', unit: 'usd', limit: 0.001 });
    expect(h.sim.requestCount).toBe(0);
    expect(h.of('llm.request')).toHaveLength(0);
    expect(h.of('budget.exceeded')[0]).toMatchObject({ phase: 'refused' });
  });

  it('stops a loop of calls at the cap: spend never passes it, and the refused call is never sent', async () => {
    const h = await setup({ script: { rules: [{ reply: { text: 'ok', usage: { inputTokens: 100, outputTokens: 100 } } }] }, rules: [] });
    const budget = new Budget({ scope: 'run', clock: h.clock, limits: { usd: 0.0015 } });
    const client = createModelClient({ models: [adapter(h, 'openai')], clock: h.clock, budget, pricing });
    let made = 0;
    let stopped: unknown;
    for (let i = 0; i < 20 && stopped === undefined; i++) {
      await client.complete({ ...ask, maxOutputTokens: 100 }).then(
        () => made++,
        (e: unknown) => (stopped = e),
      );
    }
    expect(stopped).toMatchObject({ code: 'BUDGET_EXCEEDED' });
    expect(h.sim.requestCount).toBe(made);
    expect(budget.spending.usd).toBeLessThanOrEqual(0.0015);
  });

  it('charges a stream cut midway for its input and the output it delivered', async () => {
    const h = await setup({
      script: { rules: [{ reply: { text: 'one two three four five six seven eight nine ten' } }] },
      rules: [{ fault: { kind: 'cut_stream', afterEvents: 6 }, times: 1 }],
    });
    const budget = new Budget({ scope: 'run', clock: h.clock, limits: { tokens: 1_000_000 } });
    const client = createModelClient({ models: [adapter(h, 'anthropic')], clock: h.clock, bus: h.bus, budget, pricing });
    const { response } = await call(client, true);
    expect(response.totalUsage.totalTokens).toBeGreaterThan(response.usage.totalTokens);
    expect(budget.spending.tokens).toBe(response.totalUsage.totalTokens);
    expect(response.costUsd).toBeGreaterThan(0);
  });
});

describe('secrets', () => {
  it.each(['openai', 'anthropic'] as const)('%s: a rejected key never appears in the error, its cause, or any event', async (api) => {
    const h = await setup({ apiKey: 'the-right-key-000000', rules: [] });
    const client = createModelClient({ models: [adapter(h, api)], clock: h.clock, bus: h.bus });
    const error = await client.complete(ask).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'MODEL_AUTH', status: 401, retryable: false });
    // The server echoed the key back; none of it may survive.
    expect(h.sim.requests[0]?.status).toBe(401);
    const everything = [
      (error as Error).message,
      JSON.stringify(error),
      inspect(error, { depth: 10 }),
      JSON.stringify(h.events),
      inspect(h.events, { depth: 10 }),
    ].join('\n');
    expect(everything).not.toContain(KEY);
    expect(everything).toContain('[redacted]');
  });
});

describe('rules as test fixtures', () => {
  it('counts calls, so a test can prove that a call was not repeated', async () => {
    const rules: ChaosRule[] = [{ match: { body: 'Second question' }, fault: { kind: 'rate_limit', retryAfterSeconds: 1 }, times: 1 }];
    const h = await setup({ rules });
    const client = createModelClient({ models: [adapter(h, 'openai')], clock: h.clock, bus: h.bus });
    await client.complete({ messages: [{ role: 'user', content: 'First question' }] });
    await client.complete({ messages: [{ role: 'user', content: 'Second question' }] });
    expect(h.sim.requests.map((r) => r.lastUser)).toEqual(['First question', 'Second question']);
    expect(h.proxy?.decisions.map((d) => d.fault?.kind)).toEqual([undefined, 'rate_limit', undefined]);
  });
});
