/**
 * What the agent layer needs from the model client, over real HTTP to the simulated server: a
 * budget scope per call (a run's), counted once in the client's own scope when it sits under it
 * and in both otherwise, refusing before anything is sent; one budget step per call even when
 * its first attempt is refused by the provider; and a request that offers tools and asks for
 * JSON, whose tool-call turns are not checked as the final JSON answer.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { anthropicMessages, createModelClient, openaiChat } from '../src/llm/index.ts';
import { Budget } from '../src/resilience/index.ts';
import { harness, type Harness } from './support/llm-harness.ts';

const pricing = { 'sim-small': { inputPerMTok: 1, outputPerMTok: 2 }, 'sim-large': { inputPerMTok: 3, outputPerMTok: 15 } };
const ask = { messages: [{ role: 'user' as const, content: 'hello' }], maxOutputTokens: 100 };

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

function model(hh: Harness, api: 'openai' | 'anthropic') {
  return api === 'openai'
    ? openaiChat({ model: 'sim-small', apiKey: 'sk-test', baseURL: hh.openaiURL, clock: hh.clock })
    : anthropicMessages({ model: 'sim-large', apiKey: 'sk-test', baseURL: hh.anthropicURL, clock: hh.clock });
}

describe('a budget per call', () => {
  it('counts a call once in the client scope above it, and in both scopes when they are unrelated', async () => {
    h = await harness({ script: { rules: [{ reply: { text: 'hi', usage: { inputTokens: 100, outputTokens: 10 } } }] } });
    const global = new Budget({ scope: 'global', clock: h.clock });
    const client = createModelClient({ models: [model(h, 'openai')], clock: h.clock, budget: global, pricing });
    const run = global.child({ scope: 'run:1' });
    await client.complete(ask, { budget: run });
    expect(run.spending).toMatchObject({ steps: 1, tokens: 110 });
    expect(global.spending).toMatchObject({ steps: 1, tokens: 110 });
    const elsewhere = new Budget({ scope: 'team', clock: h.clock });
    await client.complete(ask, { budget: elsewhere });
    expect(elsewhere.spending).toMatchObject({ steps: 1, tokens: 110 });
    expect(global.spending).toMatchObject({ steps: 2, tokens: 220 });
  });

  it('refuses a call its own scope cannot afford before anything is sent', async () => {
    h = await harness({ script: { rules: [{ reply: { text: 'hi' } }] } });
    const client = createModelClient({ models: [model(h, 'anthropic')], clock: h.clock, pricing });
    const run = new Budget({ scope: 'run:2', clock: h.clock, limits: { usd: 0.0001 } });
    await expect(client.complete(ask, { budget: run })).rejects.toMatchObject({ code: 'BUDGET_EXCEEDED', scope: 'run:2', unit: 'usd' });
    expect(h.sim.requestCount).toBe(0);
    const unpriced = createModelClient({ models: [model(h, 'anthropic')], clock: h.clock });
    await expect(unpriced.complete(ask, { budget: run })).rejects.toThrow(/caps usd, but the client has no `pricing`/);
  });

  it('counts one step for a call whose first attempt was refused with a 429', async () => {
    h = await harness({ script: { rules: [{ reply: { text: 'hi' } }] }, rules: [{ times: 1, fault: { kind: 'rate_limit', retryAfterSeconds: 1 } }] });
    const run = new Budget({ scope: 'run:3', clock: h.clock, limits: { steps: 1 } });
    const client = createModelClient({ models: [model(h, 'openai')], clock: h.clock, bus: h.bus, pricing });
    await expect(client.complete(ask, { budget: run })).resolves.toMatchObject({ text: 'hi', attempts: 2 });
    expect(run.spending.steps).toBe(1);
    await expect(client.complete(ask, { budget: run })).rejects.toMatchObject({ code: 'BUDGET_EXCEEDED', unit: 'steps' });
  });
});

describe.each(['openai', 'anthropic'] as const)('tools and a JSON answer in one request (%s)', (api) => {
  it('returns a tool-call turn as such, and checks only the final answer against the schema', async () => {
    h = await harness({
      script: {
        rules: [
          { match: { toolResult: 'sunny' }, reply: { json: { city: 'Oslo', sky: 'sunny' } } },
          { match: { lastUser: 'weather' }, reply: { toolCalls: [{ name: 'weather', arguments: { city: 'Oslo' } }] } },
        ],
      },
    });
    const client = createModelClient({ models: [model(h, api)], clock: h.clock, pricing });
    const tools = [{ name: 'weather', description: 'The weather in a city', parameters: z.object({ city: z.string() }) }];
    const responseFormat = { type: 'json' as const, schema: z.object({ city: z.string(), sky: z.string() }) };
    const first = await client.complete({ messages: [{ role: 'user', content: 'weather in Oslo?' }], tools, responseFormat });
    expect(first.toolCalls).toMatchObject([{ name: 'weather', arguments: { city: 'Oslo' } }]);
    expect(first.output).toBeUndefined();
    const call = first.toolCalls[0]!;
    const second = await client.complete({
      messages: [
        { role: 'user', content: 'weather in Oslo?' },
        { role: 'assistant', content: first.text, toolCalls: first.toolCalls },
        { role: 'tool', toolCallId: call.id, content: 'sunny' },
      ],
      tools,
      responseFormat,
    });
    expect(second.output).toEqual({ city: 'Oslo', sky: 'sunny' });
  });
});
