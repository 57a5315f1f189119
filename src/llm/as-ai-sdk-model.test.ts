/**
 * A Warden model client as an AI SDK model: the `ai` package's own `generateText` and
 * `streamText` (a tool loop included) over the resilient client, over real HTTP to the simulated
 * server through the chaos proxy. A 429 is retried by Warden after its Retry-After on the virtual
 * clock and the AI SDK sees one answer; the call is metered (`providerMetadata.warden`); a stream
 * cut after output is resumed where the endpoint continues a message, and ends with an error
 * part (never a spliced answer) where it cannot.
 */
import { generateText, stepCountIs, streamText, tool } from 'ai';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { SimScript } from '../sim/index.ts';
import { startSimHarness, type SimHarness, type SimHarnessOptions } from '../testing/index.ts';
import { asAiSdkModel } from './index.ts';

const open: SimHarness[] = [];
afterEach(async () => {
  for (const h of open.splice(0)) await h.close();
});

const full = 'The quick brown fox jumps over the lazy dog and keeps on running far away from here.';
const script: SimScript = {
  rules: [
    { match: { toolResult: 'sunny' }, reply: { text: 'Take sunglasses.' } },
    { match: { lastUser: 'weather' }, reply: { toolCalls: [{ name: 'weather', arguments: { city: 'Oslo' } }] } },
    { match: { lastUser: 'fox' }, reply: { text: full, usage: { inputTokens: 10, outputTokens: 20 } } },
  ],
};

async function setup(options: SimHarnessOptions = {}): Promise<SimHarness> {
  const h = await startSimHarness({ script, ...options });
  open.push(h);
  return h;
}

describe('asAiSdkModel', () => {
  it('runs generateText through the resilient client: a 429 retried after its Retry-After, the call metered', async () => {
    const h = await setup({ rules: [{ times: 1, fault: { kind: 'rate_limit', retryAfterSeconds: 5 } }] });
    const before = h.clock.now();
    const result = await generateText({ model: asAiSdkModel(h.client()), prompt: 'tell me about the fox', maxRetries: 0 });
    expect(result.text).toBe(full);
    expect(result.usage).toMatchObject({ inputTokens: 10, outputTokens: 20 });
    expect(result.providerMetadata?.warden).toMatchObject({ provider: 'openai', model: 'sim-small', level: 'primary', attempts: 2 });
    expect(result.providerMetadata?.warden?.costUsd).toBeGreaterThan(0);
    expect(h.clock.now() - before).toBe(5_000);
  });

  it('runs a generateText tool loop: each model call goes through Warden, the tool runs in the AI SDK', async () => {
    const h = await setup();
    const ran: unknown[] = [];
    const result = await generateText({
      model: asAiSdkModel(h.client()),
      prompt: 'weather in Oslo?',
      maxRetries: 0,
      stopWhen: stepCountIs(3),
      tools: {
        weather: tool({
          inputSchema: z.object({ city: z.string() }),
          execute: async (input) => {
            ran.push(input);
            return 'sunny, 21 C';
          },
        }),
      },
    });
    expect(ran).toEqual([{ city: 'Oslo' }]);
    expect(result.text).toBe('Take sunglasses.');
    expect(result.steps).toHaveLength(2);
    expect(h.of('llm.completed')).toHaveLength(2);
    expect((h.sim.requests[1]!.body as { messages: unknown[] }).messages.at(-1)).toMatchObject({ role: 'tool', content: 'sunny, 21 C' });
  });

  it('streams with streamText, and continues a stream cut midway on an endpoint that continues a message', async () => {
    const h = await setup({ rules: [{ times: 1, fault: { kind: 'cut_stream', afterEvents: 6 } }] });
    const client = h.client({ models: [h.openai({ supportsPrefill: true })], streamFailure: 'resume' });
    const result = streamText({ model: asAiSdkModel(client), prompt: 'tell me about the fox', maxRetries: 0 });
    let shown = '';
    for await (const piece of result.textStream) shown += piece;
    expect(shown).toBe(full);
    expect(await result.text).toBe(full);
    expect((await result.providerMetadata)?.warden).toMatchObject({ attempts: 2 });
  });

  it('ends the stream with an error, not a spliced answer, when delivered output is voided', async () => {
    const h = await setup({ rules: [{ times: 1, fault: { kind: 'cut_stream', afterEvents: 6 } }] });
    const errors: unknown[] = [];
    const result = streamText({
      model: asAiSdkModel(h.client()),
      prompt: 'tell me about the fox',
      maxRetries: 0,
      onError: ({ error }) => void errors.push(error),
    });
    let shown = '';
    for await (const piece of result.textStream) shown += piece;
    expect(full.startsWith(shown)).toBe(true);
    expect(shown.length).toBeLessThan(full.length);
    expect(errors[0]).toMatchObject({ code: 'STREAM_INTERRUPTED' });
  });

  it('retries a stream that fails before any output unseen', async () => {
    const h = await setup({ rules: [{ times: 1, fault: { kind: 'status', status: 503 } }] });
    const result = streamText({ model: asAiSdkModel(h.client()), prompt: 'tell me about the fox', maxRetries: 0 });
    let shown = '';
    for await (const piece of result.textStream) shown += piece;
    expect(shown).toBe(full);
  });

  it('refuses a file part, which Warden messages cannot carry, before anything is sent', async () => {
    const h = await setup();
    const error = await generateText({
      model: asAiSdkModel(h.client()),
      maxRetries: 0,
      messages: [{ role: 'user', content: [{ type: 'file', data: new Uint8Array([1, 2, 3]), mediaType: 'application/pdf' }] }],
    }).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'AI_UnsupportedFunctionalityError' });
    expect(h.sim.requestCount).toBe(0);
  });

  it('refuses a client that is not one, naming the field', () => {
    expect(() => asAiSdkModel({} as never)).toThrow(/client/);
  });
});
