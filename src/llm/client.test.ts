/**
 * The model client's contract, against the simulated server over real HTTP with both SDKs:
 * request validation that names the field, zod tool and output schemas sent as JSON Schema,
 * structured output checked (a bad answer is a typed error), the message mapping of both
 * adapters, the event sequence of a call, stopping a stream early, and configuration errors.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { EventBus, VirtualClock, isWardenError, type WardenEvent } from '../runtime/index.ts';
import { Budget } from '../resilience/index.ts';
import { startSimServer, type SimServer } from '../sim/index.ts';
import { anthropicMessages, createModelClient, openaiChat, prepareRequest, type ModelRequest } from './index.ts';

let sim: SimServer;
beforeAll(async () => {
  sim = await startSimServer({
    script: {
      rules: [
        { match: { lastUser: 'bad json' }, reply: { text: 'not json at all' } },
        { match: { lastUser: 'wrong shape' }, reply: { json: { name: 42 } } },
        { match: { lastUser: 'person' }, reply: { json: { name: 'Ada', age: 36 } } },
        { match: { toolResult: 'sunny' }, reply: { text: 'Take sunglasses.' } },
        { match: { lastUser: 'weather' }, reply: { toolCalls: [{ name: 'weather', arguments: { city: 'Oslo' } }] } },
      ],
    },
  });
});
afterAll(async () => {
  await sim.close();
});
beforeEach(() => sim.reset());

const key = 'sk-test-client-0000000';
const openai = () => openaiChat({ model: 'sim-small', apiKey: key, baseURL: sim.openaiBaseURL });
const anthropic = () => anthropicMessages({ model: 'sim-large', apiKey: key, baseURL: sim.anthropicBaseURL });
const adapters = [
  ['openai', openai],
  ['anthropic', anthropic],
] as const;

const Person = z.object({ name: z.string(), age: z.number().int() });

describe('requests', () => {
  it.each([
    [{ messages: [] }, 'messages'],
    [{ messages: [{ role: 'robot', content: 'x' }] }, 'messages[0].role'],
    [{ messages: [{ role: 'user', content: 'x' }], tools: [{ name: 'bad name!', parameters: {} }] }, 'tools[0].name'],
    [{ messages: [{ role: 'user', content: 'x' }], tools: [{ name: 't', parameters: { type: 'string' } }] }, 'tools[0].parameters'],
    [
      { messages: [{ role: 'user', content: 'x' }], toolChoice: { name: 'missing' }, tools: [{ name: 't', parameters: { type: 'object' } }] },
      'toolChoice.name',
    ],
    [{ messages: [{ role: 'tool', toolCallId: 'c9', content: 'x' }] }, 'messages[0].toolCallId'],
    [{ messages: [{ role: 'user', content: 'x' }], maxOutputTokens: 0 }, 'maxOutputTokens'],
    [{ messages: [{ role: 'user', content: 'x' }], temperature: 3 }, 'temperature'],
  ])('refuses %j naming %s, before any call', async (request, path) => {
    const client = createModelClient({ models: [openai()] });
    const error = await client.complete(request as unknown as ModelRequest).catch((e: unknown) => e);
    expect(isWardenError(error, 'INVALID_SPEC')).toBe(true);
    expect((error as { path: string }).path).toBe(path);
    expect(sim.requestCount).toBe(0);
  });

  it('converts zod schemas to JSON Schema once and sends them to both APIs', async () => {
    const tools = [{ name: 'weather', description: 'Current weather', parameters: z.object({ city: z.string().describe('City name') }) }];
    for (const [, make] of adapters) await make().complete({ messages: [{ role: 'user', content: 'weather please' }], tools });
    const [o, a] = sim.requests.map((r) => r.body as { tools: unknown[] });
    const schema = { type: 'object', properties: { city: { type: 'string', description: 'City name' } }, required: ['city'], additionalProperties: false };
    expect(o?.tools).toEqual([{ type: 'function', function: { name: 'weather', description: 'Current weather', parameters: schema } }]);
    expect(a?.tools).toEqual([{ name: 'weather', description: 'Current weather', input_schema: schema }]);
    expect(prepareRequest({ messages: [{ role: 'user', content: 'x' }], tools }, 10).tools[0]?.parameters).toBe(
      prepareRequest({ messages: [{ role: 'user', content: 'x' }], tools }, 10).tools[0]?.parameters,
    );
  });
});

describe.each(adapters)('%s adapter', (_name, make) => {
  it('runs a tool round trip: the call, then the answer to its result', async () => {
    const client = make();
    const tools = [{ name: 'weather', parameters: z.object({ city: z.string() }) }];
    const first = await client.complete({ messages: [{ role: 'user', content: 'weather in Oslo?' }], tools });
    expect(first.finishReason).toBe('tool_calls');
    const call = first.toolCalls[0];
    expect(call).toMatchObject({ name: 'weather', arguments: { city: 'Oslo' } });
    const second = await client.complete({
      tools,
      messages: [
        { role: 'user', content: 'weather in Oslo?' },
        { role: 'assistant', content: '', toolCalls: first.toolCalls },
        { role: 'tool', toolCallId: call?.id ?? '', content: 'sunny, 21 C' },
      ],
    });
    expect(second.text).toBe('Take sunglasses.');
  });

  it('returns structured output parsed and validated, streamed and not', async () => {
    const client = make();
    const request: ModelRequest = { messages: [{ role: 'user', content: 'a person' }], responseFormat: { type: 'json', schema: Person } };
    expect((await client.complete(request)).output).toEqual({ name: 'Ada', age: 36 });
    const s = client.stream(request);
    for await (const _ of s);
    expect((await s.response).output).toEqual({ name: 'Ada', age: 36 });
  });

  it('throws STRUCTURED_OUTPUT_INVALID for an answer that fails the schema', async () => {
    const error = await make()
      .complete({ messages: [{ role: 'user', content: 'wrong shape' }], responseFormat: { type: 'json', schema: Person } })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'STRUCTURED_OUTPUT_INVALID', retryable: false });
    expect((error as Error).message).toContain('name');
  });

  it('stops the HTTP stream when the consumer breaks out of the loop', async () => {
    const s = make().stream({ messages: [{ role: 'user', content: 'a long answer please' }] });
    for await (const d of s) if (d.type === 'text') break;
    const error = await s.response.catch((e: unknown) => e);
    expect((error as Error).name).toBe('AbortError');
  });
});

it('openai adapter: asks for JSON without a schema as json_object, and reports invalid JSON as a typed error', async () => {
  const error = await openai()
    .complete({ messages: [{ role: 'user', content: 'bad json' }], responseFormat: { type: 'json' } })
    .catch((e: unknown) => e);
  expect(error).toMatchObject({ code: 'STRUCTURED_OUTPUT_INVALID', text: 'not json at all' });
  expect((sim.requests[0]?.body as { response_format?: unknown } | undefined)?.response_format).toEqual({ type: 'json_object' });
});

it('anthropic adapter: joins system messages, merges tool results into one user turn, and sends max_tokens', () => {
  const body = anthropic().body(
    prepareRequest(
      {
        messages: [
          { role: 'system', content: 'A' },
          { role: 'system', content: 'B' },
          { role: 'user', content: 'go' },
          {
            role: 'assistant',
            content: 'calling',
            toolCalls: [
              { id: 't1', name: 'x', argumentsText: '{}', arguments: {} },
              { id: 't2', name: 'y', argumentsText: '{"a":1}', arguments: { a: 1 } },
            ],
          },
          { role: 'tool', toolCallId: 't1', content: 'one' },
          { role: 'tool', toolCallId: 't2', content: 'two', isError: true },
        ],
      },
      256,
    ),
  );
  expect(body).toEqual({
    model: 'sim-large',
    max_tokens: 256,
    system: 'A\n\nB',
    messages: [
      { role: 'user', content: 'go' },
      {
        role: 'assistant',
        content: [
          { type: 'text', text: 'calling' },
          { type: 'tool_use', id: 't1', name: 'x', input: {} },
          { type: 'tool_use', id: 't2', name: 'y', input: { a: 1 } },
        ],
      },
      {
        role: 'user',
        content: [
          { type: 'tool_result', tool_use_id: 't1', content: 'one' },
          { type: 'tool_result', tool_use_id: 't2', content: 'two', is_error: true },
        ],
      },
    ],
  });
});

describe('the resilient client', () => {
  it('emits request, response and completed events with usage and cost, in that order', async () => {
    const clock = new VirtualClock();
    const bus = new EventBus(clock);
    const events: WardenEvent[] = [];
    bus.onAny((e) => events.push(e));
    const client = createModelClient({ name: 'writer', models: [anthropic()], bus, clock, pricing: { '*': { inputPerMTok: 1, outputPerMTok: 1 } } });
    const r = await client.complete({ messages: [{ role: 'user', content: 'hi' }] });
    const llm = events.filter((e) => e.type.startsWith('llm.'));
    expect(llm.map((e) => e.type)).toEqual(['llm.request', 'llm.response', 'llm.completed']);
    expect(llm[0]).toMatchObject({
      client: 'writer',
      callId: 'writer#1',
      provider: 'anthropic',
      model: 'sim-large',
      attempt: 1,
      stream: false,
      level: 'primary',
      resumed: false,
    });
    expect(llm[1]).toMatchObject({ usage: r.usage, costUsd: r.costUsd, finishReason: 'stop', usageEstimated: false });
    expect(llm[2]).toMatchObject({ level: 'primary', attempts: 1, totalUsage: r.usage });
  });

  it.each([
    [() => ({ models: [] }), 'models'],
    [() => ({ models: [openai(), openai()] }), 'models[1]'],
    [() => ({ models: [openai()], budget: new Budget({ scope: 'run', limits: { usd: 1 } }) }), 'pricing'],
    [() => ({ models: [openai()], pricing: { other: { inputPerMTok: 1, outputPerMTok: 1 } } }), 'models[0]'],
    [() => ({ models: [openai()], streamFailure: 'splice' }), 'streamFailure'],
    [() => ({ models: [{}] }), 'models[0]'],
  ])('refuses a bad configuration naming the field (%#)', (options, path) => {
    let error: unknown;
    try {
      createModelClient(options() as unknown as Parameters<typeof createModelClient>[0]);
    } catch (e) {
      error = e;
    }
    expect(isWardenError(error, 'INVALID_SPEC')).toBe(true);
    expect((error as { path: string }).path).toBe(path);
  });

  it('needs an API key from the options or the environment, and says which variable', () => {
    expect(() => openaiChat({ model: 'm', env: {} })).toThrow(expect.objectContaining({ code: 'MISSING_API_KEY', envVar: 'OPENAI_API_KEY' }));
    expect(() => anthropicMessages({ model: 'm', env: {} })).toThrow(expect.objectContaining({ code: 'MISSING_API_KEY', envVar: 'ANTHROPIC_API_KEY' }));
    const fromEnv = anthropicMessages({ model: 'm', env: { ANTHROPIC_API_KEY: 'sk-ant-from-env-1', ANTHROPIC_BASE_URL: sim.anthropicBaseURL } });
    expect(fromEnv.baseURL).toBe(sim.anthropicBaseURL);
  });
});
