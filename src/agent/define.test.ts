/**
 * Defining an agent checks its spec before anything runs: a bad option of the agent, of a tool
 * or of a run's input throws an error naming the field, and the built-in recall tool's name is
 * not taken by one of the agent's own tools while compaction offers it.
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createModelClient, openaiChat } from '../llm/index.ts';
import { defineAgent } from './define.ts';
import { tool } from './tool.ts';

/** Never called: nothing here runs a model. */
const model = createModelClient({ models: [openaiChat({ model: 'sim-small', apiKey: 'sk-test', baseURL: 'http://127.0.0.1:9/v1' })] });

const webSearch = () =>
  tool({ description: 'Search the web; returns titles and URLs.', input: z.object({ q: z.string() }), run: ({ q }) => [{ title: `About ${q}` }] });

describe('definition', () => {
  it('names the bad field of an agent or tool spec', () => {
    expect(() => defineAgent({ name: 'bad name', model })).toThrow(/agent "bad name": name must be/);
    expect(() => defineAgent({ name: 'a', model, maxSteps: 0 })).toThrow(/maxSteps/);
    expect(() => defineAgent({ name: 'a', model: {} as never })).toThrow(/model must be a model client/);
    expect(() => defineAgent({ name: 'a', model, tools: { 'bad tool': webSearch() } })).toThrow(/tools/);
    expect(() => defineAgent({ name: 'a', model, tools: { search: { description: 'x' } as never } })).toThrow(/must be built with tool/);
    expect(() => defineAgent({ name: 'a', model, compaction: { thresholdTokens: 100 }, tools: { recall_context: webSearch() } })).toThrow(/recall_context/);
    expect(() => tool({ description: '', input: z.object({}), run: () => 1 })).toThrow(/description/);
    expect(() => tool({ description: 'x', input: z.string() as never, run: () => 1 })).toThrow(/input must be an object schema/);
    expect(() => defineAgent({ name: 'a', model }).run({ task: '' })).toThrow(/task must not be empty/);
    // Data that is not JSON once escaped from the run as "TypeError: Do not know how to serialize a BigInt".
    expect(() => defineAgent({ name: 'a', model }).run({ task: 'x', data: { n: 1n } as never })).toThrow(/input: data\.n must be JSON data: \$\.n is a bigint/);
  });
});
