/**
 * The OpenAI Responses adapter, through the official `openai` SDK over real HTTP to the
 * simulated server's `/v1/responses`, and through the chaos proxy: the request mapping (input
 * items, function tools, `text.format`, `store: false`), a tool round trip, streamed and whole
 * answers with usage, structured output, and the resilient client's retry (Retry-After on the
 * virtual clock) and typed errors for faults on this API.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { isWardenError } from '../runtime/index.ts';
import type { ChaosFault, SimScript } from '../sim/index.ts';
import { startSimHarness, type SimHarness, type SimHarnessOptions } from '../testing/index.ts';
import { openaiResponses, type ModelRequest, type OpenAIResponsesAdapter, type StreamDelta } from './index.ts';

const open: SimHarness[] = [];
afterEach(async () => {
  for (const h of open.splice(0)) await h.close();
});

const script: SimScript = {
  rules: [
    { match: { toolResult: 'sunny' }, reply: { text: 'Take sunglasses.' } },
    { match: { lastUser: 'weather' }, reply: { toolCalls: [{ name: 'weather', arguments: { city: 'Oslo' } }] } },
    { match: { lastUser: 'person' }, reply: { json: { name: 'Ada', age: 36 } } },
    { match: { lastUser: 'hello' }, reply: { text: 'Hello there, friend.', usage: { inputTokens: 7, outputTokens: 4, cachedInputTokens: 2 } } },
  ],
};

async function setup(options: SimHarnessOptions = {}): Promise<{ h: SimHarness; responses: () => OpenAIResponsesAdapter }> {
  const h = await startSimHarness({ script, ...options });
  open.push(h);
  return { h, responses: () => openaiResponses({ model: 'sim-small', apiKey: 'sk-test', baseURL: h.openaiBaseURL, clock: h.clock }) };
}

const tools = [{ name: 'weather', description: 'Weather now', parameters: z.object({ city: z.string() }) }];
const hello: ModelRequest = {
  messages: [
    { role: 'system', content: 'Be brief.' },
    { role: 'user', content: 'hello' },
  ],
};

async function drain(stream: AsyncIterable<StreamDelta>): Promise<StreamDelta[]> {
  const out: StreamDelta[] = [];
  for await (const d of stream) out.push(d);
  return out;
}

describe('openaiResponses', () => {
  it('answers whole and streamed with the same text, id and usage (cached input apart)', async () => {
    const { h, responses } = await setup();
    const whole = await responses().complete(hello);
    expect(whole).toMatchObject({ text: 'Hello there, friend.', finishReason: 'stop', usage: { inputTokens: 7, cachedInputTokens: 2, outputTokens: 4 } });
    expect(whole.id).toMatch(/^resp_/);
    const s = responses().stream(hello);
    const deltas = await drain(s);
    const streamed = await s.response;
    expect(streamed).toMatchObject({ text: whole.text, usage: whole.usage, finishReason: 'stop' });
    expect(streamed.id).toMatch(/^resp_/);
    expect(deltas.filter((d) => d.type === 'text').length).toBeGreaterThan(1);
    expect(h.sim.requests.map((r) => [r.path, r.stream])).toEqual([
      ['/v1/responses', false],
      ['/v1/responses', true],
    ]);
    expect(h.sim.requests[0]?.body).toMatchObject({
      model: 'sim-small',
      store: false,
      max_output_tokens: 4096,
      input: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'hello' },
      ],
    });
  });

  it.each([false, true])('runs a tool round trip as function_call and function_call_output items (streamed: %s)', async (streamed) => {
    const { h, responses } = await setup();
    const adapter = responses();
    const ask = async (request: ModelRequest) => {
      if (!streamed) return adapter.complete(request);
      const s = adapter.stream(request);
      await drain(s);
      return s.response;
    };
    const first = await ask({ messages: [{ role: 'user', content: 'weather in Oslo?' }], tools, toolChoice: 'auto' });
    expect(first.finishReason).toBe('tool_calls');
    expect(first.toolCalls).toEqual([{ id: expect.any(String), name: 'weather', argumentsText: '{"city":"Oslo"}', arguments: { city: 'Oslo' } }]);
    const call = first.toolCalls[0]!;
    const second = await ask({
      tools,
      messages: [
        { role: 'user', content: 'weather in Oslo?' },
        { role: 'assistant', content: '', toolCalls: first.toolCalls },
        { role: 'tool', toolCallId: call.id, content: 'sunny, 21 C' },
      ],
    });
    expect(second.text).toBe('Take sunglasses.');
    expect(h.sim.requests[0]?.body).toMatchObject({
      tool_choice: 'auto',
      tools: [{ type: 'function', name: 'weather', description: 'Weather now', strict: false, parameters: { type: 'object' } }],
    });
    expect((h.sim.requests[1]!.body as { input: unknown[] }).input.slice(1)).toEqual([
      { type: 'function_call', call_id: call.id, name: 'weather', arguments: '{"city":"Oslo"}' },
      { type: 'function_call_output', call_id: call.id, output: 'sunny, 21 C' },
    ]);
  });

  it('returns structured output through text.format json_schema', async () => {
    const { h, responses } = await setup();
    const Person = z.object({ name: z.string(), age: z.number() });
    const r = await responses().complete({ messages: [{ role: 'user', content: 'a person' }], responseFormat: { type: 'json', schema: Person } });
    expect(r.output).toEqual({ name: 'Ada', age: 36 });
    expect(h.sim.requests[0]?.body).toMatchObject({ text: { format: { type: 'json_schema', name: 'output', strict: false } } });
  });

  it('reports a capped answer as finishReason length', async () => {
    const { responses } = await setup();
    const r = await responses().complete({ messages: [{ role: 'user', content: 'tell me everything' }], maxOutputTokens: 2 });
    expect(r.finishReason).toBe('length');
  });

  it('refuses stop sequences, which the API lacks, before anything is sent', async () => {
    const { h, responses } = await setup();
    const error = await h
      .client({ models: [responses()] })
      .complete({ ...hello, stopSequences: ['.'] })
      .catch((e: unknown) => e);
    expect(isWardenError(error, 'INVALID_SPEC')).toBe(true);
    expect(error).toMatchObject({ path: 'stopSequences' });
    expect(h.sim.requestCount).toBe(0);
  });
});

describe('openaiResponses through the chaos proxy, in the resilient client', () => {
  it('retries a 429 after exactly its Retry-After on the virtual clock', async () => {
    const { h, responses } = await setup({ rules: [{ times: 1, fault: { kind: 'rate_limit', retryAfterSeconds: 7 } }] });
    const before = h.clock.now();
    const r = await h.client({ models: [responses()] }).complete(hello);
    expect(r).toMatchObject({ text: 'Hello there, friend.', attempts: 2 });
    expect(h.of('retry.attempt_failed').map((e) => e.delayMs)).toEqual([7_000]);
    expect(h.clock.now() - before).toBe(7_000);
  });

  const faults: readonly ChaosFault[] = [
    { kind: 'rate_limit', retryAfterSeconds: 2 },
    { kind: 'overloaded' },
    { kind: 'status', status: 500 },
    { kind: 'status', status: 503 },
    { kind: 'hang' },
    { kind: 'reset' },
    { kind: 'truncate' },
    { kind: 'malformed' },
    { kind: 'cut_stream', afterEvents: 4 },
    { kind: 'cut_stream', afterEvents: 4, mode: 'close' },
  ];
  it.each(faults.flatMap((fault) => [false, true].map((stream) => ({ fault, stream }))))(
    'recovers from $fault.kind once (streamed: $stream) with the answer it gives without the fault',
    async ({ fault, stream }) => {
      const { h, responses } = await setup({ rules: [{ times: 1, fault }] });
      const client = h.client({ models: [responses()], timeoutMs: 5_000 });
      const running = (async () => {
        if (!stream) return client.complete(hello);
        const s = client.stream(hello);
        await drain(s);
        return s.response;
      })();
      if (fault.kind === 'hang') await h.expireHangs(5_000);
      const r = await running;
      expect([r.text, r.attempts, r.level]).toEqual(['Hello there, friend.', 2, 'primary']);
    },
  );

  it.each([{ kind: 'cut_stream', afterEvents: 6 }, { kind: 'cut_stream', afterEvents: 6, mode: 'close' }, { kind: 'malformed' }] as const)(
    'retries a stream broken by %j and voids what the broken attempt delivered',
    async (fault) => {
      const { h, responses } = await setup({ rules: [{ times: 1, fault }] });
      const s = h.client({ models: [responses()] }).stream(hello);
      const deltas = await drain(s);
      const r = await s.response;
      expect(r.text).toBe('Hello there, friend.');
      expect(r.attempts).toBe(2);
      expect(h.of('llm.attempt_failed')[0]?.error.code).toBe('STREAM_INTERRUPTED');
      expect(deltas.filter((d) => d.type === 'start')).toHaveLength(2);
    },
  );

  it.each([
    [{ kind: 'rate_limit', retryAfterSeconds: 1 }, 'MODEL_RATE_LIMITED'],
    [{ kind: 'status', status: 503 }, 'MODEL_UNAVAILABLE'],
    [{ kind: 'status', status: 400 }, 'MODEL_BAD_REQUEST'],
    [{ kind: 'reset' }, 'MODEL_CONNECTION'],
  ] as const)('surfaces %j on every try as %s', async (fault, code) => {
    const { h, responses } = await setup({ rules: [{ fault }] });
    const error = await h
      .client({ models: [responses()], retry: { maxAttempts: 2 } })
      .complete(hello)
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code, provider: 'openai', model: 'sim-small' });
  });
});
