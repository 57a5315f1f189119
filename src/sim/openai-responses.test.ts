/**
 * The simulated server's Responses API (`POST /v1/responses`) through the official `openai` SDK's
 * `client.responses.create`, streamed and not, with a tool round trip, and through the chaos
 * proxy: a 429 the SDK reads with its Retry-After, a stream cut midway, a malformed stream event.
 */
import OpenAI from 'openai';
import type { ResponseStreamEvent } from 'openai/resources/responses/responses';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startChaosProxy, startSimServer, type ChaosProxy, type ChaosRule, type SimServer } from './index.ts';

let sim: SimServer;
beforeAll(async () => {
  sim = await startSimServer({
    script: {
      rules: [
        { match: { toolResult: 'sunny' }, reply: { text: 'Take sunglasses.' } },
        { match: { lastUser: 'weather' }, reply: { toolCalls: [{ name: 'weather', arguments: { city: 'Oslo' } }] } },
        { match: { lastUser: 'hello' }, reply: { text: 'Hello there, friend.', usage: { inputTokens: 7, outputTokens: 4, cachedInputTokens: 2 } } },
        { match: { lastUser: 'long' }, reply: { text: 'one two three four five six seven eight nine ten' } },
      ],
    },
  });
});
afterAll(async () => {
  await sim.close();
});
beforeEach(() => sim.reset());

const sdk = (baseURL: string): OpenAI => new OpenAI({ apiKey: 'sk-test', baseURL, maxRetries: 0, logLevel: 'off' });
const tools: OpenAI.Responses.Tool[] = [
  {
    type: 'function',
    name: 'weather',
    description: 'Weather now',
    parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
    strict: false,
  },
];

async function collect(stream: AsyncIterable<ResponseStreamEvent>): Promise<ResponseStreamEvent[]> {
  const out: ResponseStreamEvent[] = [];
  for await (const e of stream) out.push(e);
  return out;
}

describe('POST /v1/responses', () => {
  it('answers a plain request with a completed response, its output text and usage', async () => {
    const r = await sdk(sim.openaiBaseURL).responses.create({ model: 'sim-small', instructions: 'Be brief.', input: 'hello' });
    expect(r).toMatchObject({ object: 'response', status: 'completed', model: 'sim-small' });
    expect(r.id).toMatch(/^resp_/);
    expect(r.output_text).toBe('Hello there, friend.');
    expect(r.usage).toMatchObject({ input_tokens: 9, input_tokens_details: { cached_tokens: 2 }, output_tokens: 4, total_tokens: 13 });
    expect(sim.requests[0]).toMatchObject({ api: 'openai', path: '/v1/responses', lastUser: 'hello', stream: false });
  });

  it('runs a tool round trip: a function_call item, then the answer to its function_call_output', async () => {
    const client = sdk(sim.openaiBaseURL);
    const first = await client.responses.create({ model: 'sim-small', input: [{ role: 'user', content: 'weather in Oslo?' }], tools });
    const call = first.output.find((o) => o.type === 'function_call');
    expect(call).toMatchObject({ type: 'function_call', name: 'weather', arguments: '{"city":"Oslo"}', status: 'completed' });
    const second = await client.responses.create({
      model: 'sim-small',
      tools,
      input: [
        { role: 'user', content: 'weather in Oslo?' },
        { type: 'function_call', call_id: call?.type === 'function_call' ? call.call_id : '', name: 'weather', arguments: '{"city":"Oslo"}' },
        { type: 'function_call_output', call_id: call?.type === 'function_call' ? call.call_id : '', output: 'sunny, 21 C' },
      ],
    });
    expect(second.output_text).toBe('Take sunglasses.');
  });

  it('streams the real event types in order, each with its sequence number', async () => {
    const events = await collect(await sdk(sim.openaiBaseURL).responses.create({ model: 'sim-small', input: 'hello', stream: true }));
    const types = events.map((e) => e.type);
    expect(types.slice(0, 4)).toEqual(['response.created', 'response.in_progress', 'response.output_item.added', 'response.content_part.added']);
    expect(types.slice(-4)).toEqual(['response.output_text.done', 'response.content_part.done', 'response.output_item.done', 'response.completed']);
    expect(events.map((e) => e.sequence_number)).toEqual(events.map((_, i) => i));
    const text = events.flatMap((e) => (e.type === 'response.output_text.delta' ? [e.delta] : [])).join('');
    expect(text).toBe('Hello there, friend.');
    const done = events.at(-1);
    expect(done?.type === 'response.completed' && done.response.usage?.output_tokens).toBe(4);
  });

  it('streams a function call as an item and its argument deltas', async () => {
    const events = await collect(await sdk(sim.openaiBaseURL).responses.create({ model: 'sim-small', input: 'weather?', tools, stream: true }));
    const args = events.flatMap((e) => (e.type === 'response.function_call_arguments.delta' ? [e.delta] : [])).join('');
    expect(args).toBe('{"city":"Oslo"}');
    const added = events.find((e) => e.type === 'response.output_item.added');
    expect(added?.type === 'response.output_item.added' && added.item).toMatchObject({ type: 'function_call', name: 'weather', arguments: '' });
    expect(events.some((e) => e.type === 'response.output_text.delta')).toBe(false);
  });

  it('ends a capped answer with response.incomplete and the reason', async () => {
    const r = await sdk(sim.openaiBaseURL).responses.create({ model: 'sim-small', input: 'long', max_output_tokens: 2 });
    expect(r.status).toBe('incomplete');
    expect(r.incomplete_details).toEqual({ reason: 'max_output_tokens' });
  });

  it.each([
    [{ model: 'sim-small' }, 'input'],
    [{ model: 'sim-small', input: 'x', previous_response_id: 'resp_1' }, 'previous_response_id'],
    [{ model: 'sim-small', input: [{ type: 'item_reference', id: 'msg_1' }] }, 'input[0]'],
    [{ model: 'sim-small', input: [{ type: 'function_call_output', call_id: 'nope', output: 'x' }] }, 'input[0].call_id'],
    [{ model: 'sim-small', input: 'x', tool_choice: 'required' }, 'tool_choice'],
  ])('refuses %j with a 400 naming %s', async (body, param) => {
    const error = await sdk(sim.openaiBaseURL)
      .responses.create(body as unknown as OpenAI.Responses.ResponseCreateParamsNonStreaming)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect((error as InstanceType<typeof OpenAI.BadRequestError>).param).toBe(param);
  });
});

describe('through the chaos proxy', () => {
  let proxy: ChaosProxy | undefined;
  const start = async (rules: readonly ChaosRule[]): Promise<OpenAI> => {
    await proxy?.close();
    proxy = await startChaosProxy({ target: sim.url, rules });
    return sdk(`${proxy.url}/v1`);
  };
  afterAll(async () => {
    await proxy?.close();
  });

  it('answers 429 with Retry-After in the OpenAI error shape, then passes the next request through', async () => {
    const client = await start([{ fault: { kind: 'rate_limit', retryAfterSeconds: 3 }, times: 1 }]);
    const error = await client.responses.create({ model: 'sim-small', input: 'hello' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.RateLimitError);
    expect((error as InstanceType<typeof OpenAI.RateLimitError>).headers.get('retry-after')).toBe('3');
    expect((await client.responses.create({ model: 'sim-small', input: 'hello' })).output_text).toBe('Hello there, friend.');
  });

  it('refuses a streamed tool-call request with a 429, then streams the call whole on the next try', async () => {
    const client = await start([{ fault: { kind: 'rate_limit', retryAfterSeconds: 1 }, times: 1 }]);
    const request = { model: 'sim-small', input: 'weather in Oslo?', tools, stream: true } as const;
    expect(await client.responses.create(request).catch((e: unknown) => e)).toBeInstanceOf(OpenAI.RateLimitError);
    const events = await collect(await client.responses.create(request));
    const args = events.flatMap((e) => (e.type === 'response.function_call_arguments.delta' ? [e.delta] : [])).join('');
    expect(args).toBe('{"city":"Oslo"}');
    expect(events.at(-1)?.type).toBe('response.completed');
    expect(proxy?.decisions.map((d) => d.fault?.kind ?? 'passed')).toEqual(['rate_limit', 'passed']);
  });

  it('cuts a stream after K events: the SDK sees the events before the cut, then an error, and no response.completed', async () => {
    const client = await start([{ fault: { kind: 'cut_stream', afterEvents: 5 } }]);
    const seen: string[] = [];
    const error = await (async () => {
      for await (const e of await client.responses.create({ model: 'sim-small', input: 'long', stream: true })) seen.push(e.type);
    })().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect(seen).toHaveLength(5);
    expect(seen).not.toContain('response.completed');
  });

  it('a stream cut cleanly ends early: the SDK stops without response.completed', async () => {
    const client = await start([{ fault: { kind: 'cut_stream', afterEvents: 5, mode: 'close' } }]);
    const seen = (await collect(await client.responses.create({ model: 'sim-small', input: 'long', stream: true }))).map((e) => e.type);
    expect(seen).toHaveLength(5);
    expect(seen).not.toContain('response.completed');
  });

  it('a malformed stream event makes the SDK throw', async () => {
    const client = await start([{ fault: { kind: 'malformed' } }]);
    const error = await collect(await client.responses.create({ model: 'sim-small', input: 'hello', stream: true })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SyntaxError);
  });
});
