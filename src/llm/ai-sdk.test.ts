/**
 * Vercel AI SDK language models as Warden providers: `@ai-sdk/openai`'s chat and responses
 * models (`createOpenAI` with `baseURL` at the simulated server, over real HTTP) behind the
 * resilient client, directly and through the chaos proxy. The same behaviour as the built-in
 * adapters: answers, tool round trips and usage; a 429 retried after exactly its Retry-After on
 * the virtual clock; the breaker opening; budgets reserved and metered; fallback to another
 * provider; a stream cut midway resumed; every provider error mapped to the same typed error.
 */
import { createOpenAI } from '@ai-sdk/openai';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { Budget } from '../resilience/index.ts';
import type { SimScript } from '../sim/index.ts';
import { SIM_MODEL_PRICING, startSimHarness, type SimHarness, type SimHarnessOptions } from '../testing/index.ts';
import { aiSdkModel, type AiSdkAdapterOptions, type ModelRequest, type ModelResponse, type ResilientModelClient, type StreamDelta } from './index.ts';

const open: SimHarness[] = [];
afterEach(async () => {
  for (const h of open.splice(0)) await h.close();
});

const full = 'The quick brown fox jumps over the lazy dog and keeps on running far away from here.';
const script: SimScript = {
  rules: [
    { match: { toolResult: 'sunny' }, reply: { text: 'Take sunglasses.' } },
    { match: { lastUser: 'weather' }, reply: { toolCalls: [{ name: 'weather', arguments: { city: 'Oslo' } }] } },
    { match: { lastUser: 'fox' }, reply: { text: full } },
    { match: { lastUser: 'hello' }, reply: { text: 'Hello there, friend.', usage: { inputTokens: 7, outputTokens: 4, cachedInputTokens: 2 } } },
  ],
};

type Api = 'chat' | 'responses';

async function setup(options: SimHarnessOptions = {}) {
  const h = await startSimHarness({ script, ...options });
  open.push(h);
  const provider = createOpenAI({ apiKey: 'sk-test', baseURL: h.openaiBaseURL });
  const direct = createOpenAI({ apiKey: 'sk-test', baseURL: h.sim.openaiBaseURL });
  const model = (api: Api, o: AiSdkAdapterOptions & { viaProxy?: boolean } = {}) => {
    const p = o.viaProxy === false ? direct : provider;
    return aiSdkModel(api === 'chat' ? p.chat('sim-small') : p.responses('sim-small'), { clock: h.clock, ...o });
  };
  return { h, model };
}

const hello: ModelRequest = {
  messages: [
    { role: 'system', content: 'Be brief.' },
    { role: 'user', content: 'hello' },
  ],
};
const fox: ModelRequest = { messages: [{ role: 'user', content: 'tell me about the fox' }] };

async function streamed(
  client: Pick<ResilientModelClient, 'stream'>,
  request: ModelRequest,
): Promise<{ response: ModelResponse; deltas: StreamDelta[]; shown: string }> {
  const s = client.stream(request);
  const deltas: StreamDelta[] = [];
  let shown = '';
  for await (const d of s) {
    deltas.push(d);
    if (d.type === 'reset' || (d.type === 'start' && !d.resumed)) shown = '';
    if (d.type === 'text') shown += d.text;
  }
  return { response: (await s.response) as ModelResponse, deltas, shown };
}

describe.each(['chat', 'responses'] as const)('aiSdkModel(openai.%s)', (api) => {
  it('answers whole and streamed, with usage (cached input apart) and cost', async () => {
    const { h, model } = await setup();
    const client = h.client({ models: [model(api)] });
    const whole = await client.complete(hello);
    expect(whole).toMatchObject({ text: 'Hello there, friend.', finishReason: 'stop', provider: `openai.${api}`, model: 'sim-small', level: 'primary' });
    expect(whole.usage).toEqual({ inputTokens: 7, cachedInputTokens: 2, outputTokens: 4, totalTokens: 13 });
    expect(whole.costUsd).toBeGreaterThan(0);
    const { response, deltas } = await streamed(client, hello);
    expect(response).toMatchObject({ text: whole.text, usage: whole.usage, finishReason: 'stop' });
    expect(deltas.filter((d) => d.type === 'text').length).toBeGreaterThan(1);
    expect(h.sim.requests.map((r) => r.path)).toEqual(api === 'chat' ? ['/v1/chat/completions', '/v1/chat/completions'] : ['/v1/responses', '/v1/responses']);
    expect(h.of('llm.response').map((e) => e.usageEstimated)).toEqual([false, false]);
  });

  it.each([false, true])('runs a tool round trip (streamed: %s)', async (stream) => {
    const { h, model } = await setup();
    const client = h.client({ models: [model(api)] });
    const tools = [{ name: 'weather', parameters: z.object({ city: z.string() }) }];
    const ask = async (request: ModelRequest) => (stream ? (await streamed(client, request)).response : client.complete(request));
    const first = await ask({ messages: [{ role: 'user', content: 'weather in Oslo?' }], tools });
    expect(first.finishReason).toBe('tool_calls');
    expect(first.toolCalls).toEqual([{ id: expect.any(String), name: 'weather', argumentsText: '{"city":"Oslo"}', arguments: { city: 'Oslo' } }]);
    const second = await ask({
      tools,
      messages: [
        { role: 'user', content: 'weather in Oslo?' },
        { role: 'assistant', content: '', toolCalls: first.toolCalls },
        { role: 'tool', toolCallId: first.toolCalls[0]!.id, content: 'sunny, 21 C' },
      ],
    });
    expect(second.text).toBe('Take sunglasses.');
  });

  it('retries a 429 after exactly its Retry-After on the virtual clock', async () => {
    const { h, model } = await setup({ rules: [{ times: 1, fault: { kind: 'rate_limit', retryAfterSeconds: 7 } }] });
    const before = h.clock.now();
    const response = await h.client({ models: [model(api)] }).complete(hello);
    expect(response).toMatchObject({ text: 'Hello there, friend.', attempts: 2 });
    expect(h.of('llm.attempt_failed')[0]?.error).toMatchObject({ code: 'MODEL_RATE_LIMITED' });
    expect(h.of('retry.attempt_failed').map((e) => e.delayMs)).toEqual([7_000]);
    expect(h.clock.now() - before).toBe(7_000);
  });

  it.each([
    [{ kind: 'rate_limit', retryAfterSeconds: 2 }, 'MODEL_RATE_LIMITED', true, 2_000],
    [{ kind: 'overloaded' }, 'MODEL_OVERLOADED', true, undefined],
    [{ kind: 'status', status: 503 }, 'MODEL_UNAVAILABLE', true, undefined],
    [{ kind: 'status', status: 400 }, 'MODEL_BAD_REQUEST', false, undefined],
    [{ kind: 'status', status: 401 }, 'MODEL_AUTH', false, undefined],
  ] as const)('maps %j to %s (retryable: %s)', async (fault, code, retryable, retryAfterMs) => {
    const { h, model } = await setup({ rules: [{ fault }] });
    const error = await h
      .client({ models: [model(api)], retry: { maxAttempts: 2 } })
      .complete(hello)
      .catch((e: unknown) => e);
    expect(error).toMatchObject({
      code,
      retryable,
      provider: `openai.${api}`,
      model: 'sim-small',
      status: fault.kind === 'status' ? fault.status : fault.kind === 'rate_limit' ? 429 : 529,
    });
    expect((error as { retryAfterMs: unknown }).retryAfterMs).toBe(retryAfterMs);
    // Retryable errors were tried twice; the others once.
    expect(h.proxy?.decisions).toHaveLength(retryable ? 2 : 1);
  });

  it('resumes a stream cut midway on an endpoint that continues a message', async () => {
    const { h, model } = await setup({ rules: [{ times: 1, fault: { kind: 'cut_stream', afterEvents: 6 } }] });
    const client = h.client({ models: [model(api, { supportsPrefill: true })], streamFailure: 'resume' });
    const { response, deltas, shown } = await streamed(client, fox);
    expect(response.text).toBe(full);
    expect(shown).toBe(full);
    expect(deltas.filter((d) => d.type === 'start').map((d) => d.type === 'start' && d.resumed)).toEqual([false, true]);
    expect(deltas.some((d) => d.type === 'reset')).toBe(false);
    const kept = response.resumedFrom?.[0]?.keptText ?? '';
    expect(kept.length).toBeGreaterThan(0);
    expect(h.sim.requests.map((r) => r.prefill)).toEqual(['', kept]);
    expect(h.of('llm.attempt_failed')[0]?.error.code).toBe('STREAM_INTERRUPTED');
  });

  it('takes a stream that ends cleanly but early for a cut, never for the answer', async () => {
    const { h, model } = await setup({ rules: [{ times: 1, fault: { kind: 'cut_stream', afterEvents: 6, mode: 'close' } }] });
    const { response, deltas, shown } = await streamed(h.client({ models: [model(api)] }), fox);
    expect(response.text).toBe(full);
    expect(shown).toBe(full);
    expect(deltas.filter((d) => d.type === 'reset')).toHaveLength(1);
    expect(h.of('llm.attempt_failed')[0]?.error.code).toBe('STREAM_INTERRUPTED');
  });

  it.each([
    [{ kind: 'malformed' }, false, 'MALFORMED_RESPONSE'],
    [{ kind: 'malformed' }, true, 'STREAM_INTERRUPTED'],
    [{ kind: 'truncate' }, false, 'MODEL_CONNECTION'],
    [{ kind: 'truncate' }, true, 'STREAM_INTERRUPTED'],
    [{ kind: 'reset' }, false, 'MODEL_CONNECTION'],
    [{ kind: 'reset' }, true, 'MODEL_CONNECTION'],
  ] as const)('retries a %j answer (streamed: %s), the failed attempt coded %s', async (fault, stream, code) => {
    const { h, model } = await setup({ rules: [{ times: 1, fault }] });
    const client = h.client({ models: [model(api)] });
    const response = stream ? (await streamed(client, fox)).response : await client.complete(fox);
    expect([response.text, response.attempts]).toEqual([full, 2]);
    expect(h.of('llm.attempt_failed').map((e) => e.error.code)).toEqual([code]);
  });
});

describe('aiSdkModel in the resilient client', () => {
  it('opens the breaker after repeated failures and falls back to another provider', async () => {
    const { h, model } = await setup({ rules: [{ match: { path: '/v1/chat/completions' }, fault: { kind: 'status', status: 503 } }] });
    const client = h.client({
      models: [model('chat'), model('responses')],
      retry: { maxAttempts: 3 },
      breaker: { trip: { kind: 'consecutive', failures: 2 }, openMs: 600_000, maxOpenMs: 600_000 },
    });
    const first = await client.complete(hello);
    const second = await client.complete(hello);
    expect([first.level, second.level]).toEqual(['fallback', 'fallback']);
    expect([first.provider, first.text]).toEqual(['openai.responses', 'Hello there, friend.']);
    expect(client.breakers[0]?.state.kind).toBe('open');
    expect(h.proxy?.decisions.filter((d) => d.path === '/v1/chat/completions')).toHaveLength(2);
    expect(h.of('llm.fallback').map((e) => e.error.code)).toEqual(['BROKEN_CIRCUIT', 'BROKEN_CIRCUIT']);
  });

  it('meters usage and cost into the budget, and refuses a call over it before sending anything', async () => {
    const { h, model } = await setup();
    const budget = new Budget({ scope: 'run', limits: { usd: 0.01 }, clock: h.clock });
    const client = h.client({ models: [model('chat')], budget });
    const r = await client.complete(hello);
    const price = SIM_MODEL_PRICING['sim-small']!;
    expect(r.costUsd).toBeCloseTo((7 * price.inputPerMTok + 4 * price.outputPerMTok + 2 * (price.cachedInputPerMTok ?? price.inputPerMTok)) / 1e6, 12);
    expect(budget.spending.usd).toBeCloseTo(r.costUsd ?? 0, 12);
    expect(budget.spending.tokens).toBe(13);
    const sent = h.sim.requestCount;
    const error = await client.complete({ ...hello, maxOutputTokens: 100_000 }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'BUDGET_EXCEEDED' });
    expect(h.sim.requestCount).toBe(sent);
  });

  it('refuses something that is not an AI SDK language model, naming the field', () => {
    expect(() => aiSdkModel({ specificationVersion: 'v1', provider: 'x', modelId: 'y', doGenerate() {}, doStream() {} } as never)).toThrow(
      /model\.specificationVersion/,
    );
    expect(() => aiSdkModel({} as never)).toThrow(/must be an AI SDK language model/);
  });
});
