/**
 * Fuzzing agent definitions: `defineAgent` and `tool` with options replaced by anything (wrong
 * types, bigints, NaN, cycles, misspelt keys), and a defined agent run with mutated input
 * against the simulated model server over real HTTP. A bad definition or input is refused with
 * an `InvalidSpecError` naming the field, before anything runs; a run that starts ends with a
 * result or a typed Warden error, never a TypeError from deep inside.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineAgent, tool } from '../../src/agent/index.ts';
import { createModelClient, openaiChat, type ModelClient } from '../../src/llm/index.ts';
import { isWardenError } from '../../src/runtime/index.ts';
import { startSimServer, type SimServer } from '../../src/sim/index.ts';
import { anyValue, fuzzParams, settlesOrRejectsTyped } from './fuzz-settings.ts';

const cycle = (() => {
  const o: Record<string, unknown> = {};
  o.self = o;
  return o;
})();

const value = fc.oneof(
  { weight: 4, arbitrary: anyValue },
  { weight: 1, arbitrary: fc.constantFrom(0, 1, 3, 1e9, -1, 0.5, Number.MAX_SAFE_INTEGER, 'writer', 'bad name', '', true, false, cycle) },
);

let sim: SimServer;
let model: ModelClient;
beforeAll(async () => {
  sim = await startSimServer();
  model = createModelClient({ models: [openaiChat({ model: 'sim-small', apiKey: 'sk-test', baseURL: sim.openaiBaseURL })] });
});
afterAll(async () => {
  await sim.close();
});

const goodTool = () => tool({ description: 'Look something up.', input: z.object({ q: z.string() }), run: ({ q }) => `about ${q}` });

const AGENT_KEYS = [
  'name',
  'model',
  'system',
  'tools',
  'output',
  'maxSteps',
  'maxIdenticalToolCalls',
  'maxOutputRetries',
  'maxToolResultChars',
  'maxOutputTokens',
  'temperature',
  'stream',
  'compaction',
  'budget',
  'bus',
  'maxStep',
] as const;

const agentOptions = fc
  .tuple(
    fc.dictionary(
      fc.constantFrom(...AGENT_KEYS),
      fc.oneof(
        value,
        fc.constant('TOOLS'),
        fc.record({ thresholdTokens: value, keepRecentMessages: value, summaryMaxTokens: value, recallTool: value }, { requiredKeys: [] }),
        fc.record({ limits: fc.dictionary(fc.constantFrom('usd', 'tokens', 'steps', 'wallMs', 'euros'), value, { maxKeys: 2 }) }, { requiredKeys: [] }),
      ),
      { maxKeys: 3 },
    ),
    fc.boolean(),
  )
  .map(([patch, dropModel]) => {
    const out: Record<string, unknown> = { name: 'writer', model: 'MODEL', ...patch };
    for (const [k, v] of Object.entries(out)) if (v === 'TOOLS') out[k] = { lookup: goodTool() };
    if (dropModel) delete out.model;
    return out;
  });

const toolSpec = fc
  .dictionary(
    fc.constantFrom('description', 'input', 'run', 'effect', 'irreversible', 'reconcile', 'retry', 'timeoutMs', 'descripton'),
    fc.oneof(value, fc.constantFrom(z.object({}), z.string(), z.array(z.number()))),
    {
      maxKeys: 3,
    },
  )
  .map((patch) => ({ description: 'Look something up.', input: z.object({ q: z.string() }), run: () => 'x', ...patch }));

describe('fuzzing agent definitions', () => {
  it('defineAgent accepts a definition or refuses it with INVALID_SPEC naming the field', () => {
    let refused = 0;
    fc.assert(
      fc.property(agentOptions, (given) => {
        const options = { ...given, ...(given.model === 'MODEL' ? { model } : {}) };
        try {
          defineAgent(options as never);
        } catch (e) {
          if (!isWardenError(e)) throw e;
          expect(e.message.length).toBeGreaterThan(0);
          refused++;
        }
      }),
      fuzzParams(300),
    );
    expect(refused).toBeGreaterThan(0);
  });

  it('tool accepts a spec or refuses it with INVALID_SPEC naming the field', () => {
    fc.assert(
      fc.property(toolSpec, (spec) => {
        try {
          tool(spec as never);
        } catch (e) {
          if (!isWardenError(e, 'INVALID_SPEC')) throw e;
          expect(e.message).toMatch(/^tool: /);
        }
      }),
      fuzzParams(300),
    );
  });

  it('a run with mutated input ends with a result or a typed error', async () => {
    const agent = defineAgent({ name: 'writer', model, tools: { lookup: goodTool() }, maxSteps: 3 });
    const input = fc.oneof(
      value,
      fc.record({ task: value, data: fc.oneof(value, fc.jsonValue({ maxDepth: 2 })) }, { requiredKeys: [] }),
      fc.record({ task: fc.string({ minLength: 1, maxLength: 20 }), data: value, extra: value }, { requiredKeys: ['task'] }),
    );
    await fc.assert(
      fc.asyncProperty(input, async (i) => {
        const result = await settlesOrRejectsTyped(() => agent.run(i as never));
        if (result !== undefined) expect(typeof result).toBe('object');
      }),
      fuzzParams(60),
    );
  });
});
