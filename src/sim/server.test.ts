/**
 * The simulated model server, spoken to by the official `openai` and `@anthropic-ai/sdk`
 * clients unchanged (streamed and not, with tools and structured output) and by raw fetch for
 * the wire details: the providers' error shapes for bad requests, scripted answers by rule,
 * sequence and default, determinism, token counts, prefill and the inspection endpoints.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { thrownBy } from '../testing/index.ts';
import OpenAI from 'openai';
import Anthropic from '@anthropic-ai/sdk';
import { isWardenError } from '../runtime/index.ts';
import { defaultSentence, parseScript, startSimServer, type SimServer } from './index.ts';

let sim: SimServer;
let openai: OpenAI;
let anthropic: Anthropic;

const weatherTool: { type: 'object'; properties: Record<string, unknown>; required: string[] } = {
  type: 'object',
  properties: { city: { type: 'string' }, unit: { type: 'string', enum: ['c', 'f'] } },
  required: ['city'],
};

beforeAll(async () => {
  sim = await startSimServer({
    script: {
      rules: [
        // Rules are tried in order: the answer to a tool result comes first, because the last user message is unchanged.
        { name: 'after-tool', match: { toolResult: '"temp"' }, reply: { text: 'It is 3 degrees in Oslo.' } },
        {
          name: 'weather',
          match: { lastUser: { regex: 'weather in \\w+', flags: 'i' } },
          reply: { toolCalls: [{ name: 'get_weather', arguments: { city: 'Oslo', unit: 'c' } }] },
        },
        { name: 'pirate', match: { system: 'pirate' }, reply: { text: 'Arr.', usage: { inputTokens: 50, outputTokens: 2, cachedInputTokens: 10 } } },
        { name: 'profile', match: { lastUser: 'profile' }, reply: { json: { name: 'Ada', age: 36 } } },
        { name: 'once', match: { lastUser: 'only once' }, times: 1, reply: { text: 'first time' } },
        { name: 'anthropic-only', match: { api: 'anthropic', lastUser: 'which api' }, reply: { text: 'anthropic' } },
      ],
      sequence: [],
    },
  });
  openai = new OpenAI({ apiKey: 'test-key', baseURL: sim.openaiBaseURL, maxRetries: 0 });
  anthropic = new Anthropic({ apiKey: 'test-key', baseURL: sim.anthropicBaseURL, maxRetries: 0 });
});

afterAll(async () => {
  await sim.close();
});

beforeEach(() => sim.reset());

describe('with the official openai client', () => {
  it('answers a chat completion with text and usage', async () => {
    const c = await openai.chat.completions.create({ model: 'sim-small', messages: [{ role: 'user', content: 'Hello there' }] });
    expect(c.object).toBe('chat.completion');
    expect(c.model).toBe('sim-small');
    expect(c.choices[0]?.message.content).toBe(defaultSentence(JSON.stringify(['', [['user', 'Hello there']]])));
    expect(c.choices[0]?.finish_reason).toBe('stop');
    expect(c.usage?.total_tokens).toBe((c.usage?.prompt_tokens ?? 0) + (c.usage?.completion_tokens ?? 0));
  });

  it('streams chunks, then the usage chunk when include_usage is set', async () => {
    const stream = await openai.chat.completions.create({
      model: 'sim-small',
      messages: [
        { role: 'system', content: 'Talk like a pirate' },
        { role: 'user', content: 'hi' },
      ],
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    let finish: string | null = null;
    let usage: OpenAI.CompletionUsage | null | undefined;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
      if (chunk.usage) usage = chunk.usage;
    }
    expect(text).toBe('Arr.');
    expect(finish).toBe('stop');
    expect(usage).toMatchObject({ prompt_tokens: 60, completion_tokens: 2, prompt_tokens_details: { cached_tokens: 10 } });
  });

  it('calls a tool, streamed and not, and answers the tool result', async () => {
    const tools: OpenAI.Chat.Completions.ChatCompletionTool[] = [{ type: 'function', function: { name: 'get_weather', parameters: weatherTool } }];
    const messages: OpenAI.Chat.Completions.ChatCompletionMessageParam[] = [{ role: 'user', content: 'What is the weather in Oslo?' }];
    const c = await openai.chat.completions.create({ model: 'sim-small', messages, tools });
    const call = c.choices[0]?.message.tool_calls?.[0];
    expect(c.choices[0]?.finish_reason).toBe('tool_calls');
    expect(call?.type === 'function' ? JSON.parse(call.function.arguments) : undefined).toEqual({ city: 'Oslo', unit: 'c' });

    const stream = await openai.chat.completions.create({ model: 'sim-small', messages, tools, stream: true });
    let args = '';
    let id = '';
    for await (const chunk of stream) {
      for (const tc of chunk.choices[0]?.delta.tool_calls ?? []) {
        id ||= tc.id ?? '';
        args += tc.function?.arguments ?? '';
      }
    }
    expect(id).toBe(call?.id);
    expect(JSON.parse(args)).toEqual({ city: 'Oslo', unit: 'c' });

    const next = await openai.chat.completions.create({
      model: 'sim-small',
      tools,
      messages: [
        ...messages,
        c.choices[0]?.message as OpenAI.Chat.Completions.ChatCompletionMessageParam,
        { role: 'tool', tool_call_id: id, content: '{"temp": 3}' },
      ],
    });
    expect(next.choices[0]?.message.content).toBe('It is 3 degrees in Oslo.');
  });

  it('answers a forced tool choice with arguments generated from the schema', async () => {
    const c = await openai.chat.completions.create({
      model: 'sim-small',
      messages: [{ role: 'user', content: 'anything' }],
      tools: [{ type: 'function', function: { name: 'get_weather', parameters: weatherTool } }],
      tool_choice: 'required',
    });
    const call = c.choices[0]?.message.tool_calls?.[0];
    const args = call?.type === 'function' ? (JSON.parse(call.function.arguments) as { city: unknown; unit: unknown }) : undefined;
    expect(typeof args?.city).toBe('string');
    expect(['c', 'f']).toContain(args?.unit);
  });

  it('gives JSON for response_format, scripted or generated from the schema', async () => {
    const scripted = await openai.chat.completions.create({
      model: 'sim-small',
      messages: [{ role: 'user', content: 'profile please' }],
      response_format: { type: 'json_object' },
    });
    expect(JSON.parse(scripted.choices[0]?.message.content ?? '')).toEqual({ name: 'Ada', age: 36 });
    const generated = await openai.chat.completions.create({
      model: 'sim-small',
      messages: [{ role: 'user', content: 'a person' }],
      response_format: {
        type: 'json_schema',
        json_schema: { name: 'person', schema: { type: 'object', properties: { n: { type: 'integer', minimum: 1, maximum: 5 } }, required: ['n'] } },
      },
    });
    const n = (JSON.parse(generated.choices[0]?.message.content ?? '') as { n: number }).n;
    expect(n).toBeGreaterThanOrEqual(1);
    expect(n).toBeLessThanOrEqual(5);
  });

  it('lists models', async () => {
    const page = await openai.models.list();
    expect(page.data.map((m) => m.id)).toEqual(['sim-small', 'sim-large']);
  });

  it('turns a bad request into the SDK BadRequestError naming the parameter', async () => {
    const error = await openai.chat.completions.create({ model: 'sim-small', messages: [] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect(error).toMatchObject({ status: 400, param: 'messages', type: 'invalid_request_error' });
  });
});

describe('with the official anthropic client', () => {
  it('answers a message with text and usage, the same text as over the OpenAI API', async () => {
    const m = await anthropic.messages.create({ model: 'sim-large', max_tokens: 100, messages: [{ role: 'user', content: 'Hello there' }] });
    expect(m.type).toBe('message');
    expect(m.stop_reason).toBe('end_turn');
    const first = m.content[0];
    expect(first?.type === 'text' ? first.text : '').toBe(defaultSentence(JSON.stringify(['', [['user', 'Hello there']]])));
    expect(m.usage.input_tokens).toBeGreaterThan(0);
  });

  it('streams the events the API sends, and the SDK assembles the final message', async () => {
    const stream = anthropic.messages.stream({
      model: 'sim-large',
      max_tokens: 100,
      system: 'Talk like a pirate',
      messages: [{ role: 'user', content: 'hi' }],
    });
    const types: string[] = [];
    stream.on('streamEvent', (e) => types.push(e.type));
    const final = await stream.finalMessage();
    expect(final.content).toEqual([{ type: 'text', text: 'Arr.' }]);
    expect(final.usage).toMatchObject({ input_tokens: 50, output_tokens: 2, cache_read_input_tokens: 10 });
    expect(types[0]).toBe('message_start');
    expect(types.slice(-2)).toEqual(['message_delta', 'message_stop']);
    expect(types).toContain('content_block_delta');
  });

  it('calls a tool, streamed and not, and answers the tool result', async () => {
    const tools: Anthropic.Tool[] = [{ name: 'get_weather', input_schema: weatherTool }];
    const messages: Anthropic.MessageParam[] = [{ role: 'user', content: 'What is the weather in Oslo?' }];
    const m = await anthropic.messages.create({ model: 'sim-large', max_tokens: 100, messages, tools });
    expect(m.stop_reason).toBe('tool_use');
    const use = m.content.find((b) => b.type === 'tool_use');
    expect(use).toMatchObject({ name: 'get_weather', input: { city: 'Oslo', unit: 'c' } });

    const streamed = await anthropic.messages.stream({ model: 'sim-large', max_tokens: 100, messages, tools }).finalMessage();
    expect(streamed.content.find((b) => b.type === 'tool_use')).toMatchObject({
      id: use?.type === 'tool_use' ? use.id : '',
      input: { city: 'Oslo', unit: 'c' },
    });

    const next = await anthropic.messages.create({
      model: 'sim-large',
      max_tokens: 100,
      tools,
      messages: [
        ...messages,
        { role: 'assistant', content: m.content },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: use?.type === 'tool_use' ? use.id : '', content: '{"temp": 3}' }] },
      ],
    });
    expect(next.content).toEqual([{ type: 'text', text: 'It is 3 degrees in Oslo.' }]);
  });

  it('answers a forced tool with the scripted JSON (structured output)', async () => {
    const m = await anthropic.messages.create({
      model: 'sim-large',
      max_tokens: 100,
      messages: [{ role: 'user', content: 'profile please' }],
      tools: [{ name: 'output', input_schema: { type: 'object' } }],
      tool_choice: { type: 'tool', name: 'output' },
    });
    expect(m.content).toEqual([expect.objectContaining({ type: 'tool_use', name: 'output', input: { name: 'Ada', age: 36 } })]);
  });

  it('continues a prefilled assistant message', async () => {
    const full = await anthropic.messages.create({ model: 'sim-large', max_tokens: 100, messages: [{ role: 'user', content: 'tell me' }] });
    const text = full.content[0]?.type === 'text' ? full.content[0].text : '';
    const head = text.slice(0, 12);
    const rest = await anthropic.messages.create({
      model: 'sim-large',
      max_tokens: 100,
      messages: [
        { role: 'user', content: 'tell me' },
        { role: 'assistant', content: head },
      ],
    });
    expect(head + (rest.content[0]?.type === 'text' ? rest.content[0].text : '')).toBe(text);
  });

  it('cuts the answer at max_tokens with stop_reason max_tokens', async () => {
    const m = await anthropic.messages.create({ model: 'sim-large', max_tokens: 2, messages: [{ role: 'user', content: 'a long story please' }] });
    expect(m.stop_reason).toBe('max_tokens');
    expect(m.usage.output_tokens).toBe(2);
    expect(m.content[0]?.type === 'text' ? m.content[0].text.length : 0).toBeLessThanOrEqual(8);
  });

  it('lists models in the Anthropic shape', async () => {
    const page = await anthropic.models.list();
    expect(page.data.map((m) => m.id)).toEqual(['sim-small', 'sim-large']);
  });

  it('turns a missing max_tokens into the SDK BadRequestError naming the field', async () => {
    const error = await anthropic.messages
      .create({ model: 'sim-large', messages: [{ role: 'user', content: 'x' }] } as unknown as Anthropic.MessageCreateParamsNonStreaming)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Anthropic.BadRequestError);
    expect((error as Error).message).toContain('max_tokens: Field required');
  });
});

describe('over raw HTTP', () => {
  async function post(path: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; json: unknown }> {
    const res = await fetch(`${sim.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
    return { status: res.status, json: await res.json() };
  }
  const anthropicHeaders = { 'anthropic-version': '2023-06-01' };

  it.each([
    ['/v1/chat/completions', { messages: [{ role: 'user', content: 'x' }] }, {}, 'model', 'you must provide a model parameter'],
    ['/v1/chat/completions', { model: 'm', messages: [{ role: 'robot', content: 'x' }] }, {}, 'messages[0].role', "Invalid value for 'messages[0].role'"],
    [
      '/v1/chat/completions',
      { model: 'm', messages: [{ role: 'user', content: 'x' }], stream_options: { include_usage: true } },
      {},
      'stream_options',
      'only allowed when',
    ],
    ['/v1/chat/completions', { model: 'm', messages: [{ role: 'user', content: 'x' }], tool_choice: 'required' }, {}, 'tool_choice', 'only allowed when'],
    ['/v1/chat/completions', { model: 'm', messages: [{ role: 'tool', tool_call_id: 'c1', content: 'x' }] }, {}, 'messages.[0].tool_call_id', "role 'tool'"],
  ])('openai %s %j → 400 with param %s', async (path, body, headers, param, message) => {
    const r = await post(path, body, headers);
    expect(r.status).toBe(400);
    expect(r.json).toMatchObject({ error: { type: 'invalid_request_error', param } });
    expect((r.json as { error: { message: string } }).error.message).toContain(message);
  });

  it.each([
    [{ model: 'm', max_tokens: 5 }, 'messages: Field required'],
    [{ model: 'm', max_tokens: 5, messages: [{ role: 'system', content: 'x' }] }, 'messages.0.role'],
    [{ model: 'm', max_tokens: 0, messages: [{ role: 'user', content: 'x' }] }, 'max_tokens'],
    [{ model: 'm', max_tokens: 5, messages: [{ role: 'user', content: 'x' }], tool_choice: { type: 'tool', name: 'nope' } }, "Tool 'nope' not found"],
  ])('anthropic %j → 400 naming the field', async (body, message) => {
    const r = await post('/v1/messages', body, anthropicHeaders);
    expect(r.status).toBe(400);
    expect(r.json).toMatchObject({ type: 'error', error: { type: 'invalid_request_error' } });
    expect((r.json as { error: { message: string } }).error.message).toContain(message);
  });

  it('refuses a body that is not JSON, a missing anthropic-version, an unknown path and a wrong method', async () => {
    expect((await post('/v1/chat/completions', '{nope')).status).toBe(400);
    expect(await post('/v1/messages', { model: 'm', max_tokens: 5, messages: [{ role: 'user', content: 'x' }] })).toMatchObject({
      status: 400,
      json: { error: { message: 'anthropic-version: header is required' } },
    });
    expect((await post('/v1/embeddings', {})).status).toBe(404);
    const get = await fetch(`${sim.url}/v1/chat/completions`);
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST');
  });

  it('answers a request target the URL parser refuses (`//`) with a 404, not a server failure', async () => {
    const res = await fetch(`${sim.url}//`);
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: { message: string } }).error.message).toContain('Invalid URL');
  });

  it('answers the same request with the same text every time, and rules with times only so often', async () => {
    const body = { model: 'm', messages: [{ role: 'user', content: 'only once' }] };
    const a = await post('/v1/chat/completions', body);
    const b = await post('/v1/chat/completions', body);
    const c = await post('/v1/chat/completions', body);
    const text = (r: { json: unknown }) => (r.json as { choices: { message: { content: string } }[] }).choices[0]?.message.content;
    expect(text(a)).toBe('first time');
    expect(text(b)).toBe(text(c));
    expect(text(b)).not.toBe('first time');
  });

  it('filters rules by API', async () => {
    const o = await post('/v1/chat/completions', { model: 'm', messages: [{ role: 'user', content: 'which api' }] });
    const a = await post('/v1/messages', { model: 'm', max_tokens: 50, messages: [{ role: 'user', content: 'which api' }] }, anthropicHeaders);
    expect((o.json as { choices: { message: { content: string } }[] }).choices[0]?.message.content).not.toBe('anthropic');
    expect((a.json as { content: { text: string }[] }).content[0]?.text).toBe('anthropic');
  });

  it('answers a sequence in order, then the default; scripted errors carry the provider shape and Retry-After', async () => {
    const seq = await startSimServer({
      script: { sequence: [{ error: { status: 429, retryAfterSeconds: 3 } }, { text: 'second' }, { error: { status: 529 } }] },
    });
    try {
      const ask = async (path: string, body: unknown, headers: Record<string, string> = {}) =>
        fetch(`${seq.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
      const r1 = await ask('/v1/chat/completions', { model: 'm', messages: [{ role: 'user', content: 'x' }] });
      expect(r1.status).toBe(429);
      expect(r1.headers.get('retry-after')).toBe('3');
      expect(await r1.json()).toMatchObject({ error: { code: 'rate_limit_exceeded' } });
      const r2 = await ask('/v1/chat/completions', { model: 'm', messages: [{ role: 'user', content: 'x' }] });
      expect(((await r2.json()) as { choices: { message: { content: string } }[] }).choices[0]?.message.content).toBe('second');
      const r3 = await ask('/v1/messages', { model: 'm', max_tokens: 5, messages: [{ role: 'user', content: 'x' }] }, anthropicHeaders);
      expect(r3.status).toBe(529);
      expect(await r3.json()).toMatchObject({ type: 'error', error: { type: 'overloaded_error' } });
      const r4 = await ask('/v1/chat/completions', { model: 'm', messages: [{ role: 'user', content: 'x' }] });
      expect(r4.status).toBe(200);
      expect(seq.requests.map((r) => r.source)).toEqual(['sequence[0]', 'sequence[1]', 'sequence[2]', 'default']);
    } finally {
      await seq.close();
    }
  });

  it('lists requests at /_sim/requests, resets them, and replaces the script at /_sim/script', async () => {
    await post('/v1/chat/completions', { model: 'm', messages: [{ role: 'user', content: 'count me' }] });
    const listed = (await (await fetch(`${sim.url}/_sim/requests`)).json()) as { count: number; requests: { lastUser: string; api: string }[] };
    expect(listed.count).toBe(1);
    expect(listed.requests[0]).toMatchObject({ lastUser: 'count me', api: 'openai' });
    await fetch(`${sim.url}/_sim/reset`, { method: 'POST' });
    expect(sim.requestCount).toBe(0);
    const bad = await fetch(`${sim.url}/_sim/script`, { method: 'PUT', body: JSON.stringify({ rules: [{ reply: {} }] }) });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { message: string } }).error.message).toContain('rules[0].reply');
  });
});

describe('script validation', () => {
  it('listens on an IPv6 loopback address given in brackets, as in a URL', async () => {
    const server = await startSimServer({ host: '[::1]' });
    try {
      expect(server.url).toBe(`http://[::1]:${server.port}`);
      expect((await fetch(`${server.url}/v1/models`)).status).toBe(200);
    } finally {
      await server.close();
    }
  });

  it('refuses options that are no object with INVALID_SPEC, not a TypeError', async () => {
    const error = await startSimServer(null as never).catch((e: unknown) => e);
    expect(isWardenError(error, 'INVALID_SPEC')).toBe(true);
    expect((error as Error).message).toBe('sim server: options must be an object (got null)');
  });

  it.each([
    [{ rules: [{ reply: { text: 'x' }, bogus: 1 }] }, 'rules[0].bogus'],
    [{ rules: [{ match: { lastUser: { regex: '(' } }, reply: { text: 'x' } }] }, 'rules[0].match.lastUser.regex'],
    [{ rules: [{ reply: { text: 'x', error: { status: 500 } } }] }, 'rules[0].reply.error'],
    [{ sequence: [{ error: { status: 200 } }] }, 'sequence[0].error.status'],
    [{ rules: [{ reply: { text: 'x' }, times: 0 }] }, 'rules[0].times'],
  ])('refuses %j naming %s', (script, path) => {
    const error = thrownBy(() => parseScript(script));
    expect(isWardenError(error, 'INVALID_SPEC')).toBe(true);
    expect((error as { path: string }).path).toBe(path);
  });
});
