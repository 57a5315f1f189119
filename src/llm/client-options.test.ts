/**
 * The client's options resolved once: every default as MODEL_CLIENT_DEFAULTS states it, and a
 * configuration refused, naming the field, when costs could not be counted (a budget capping
 * USD without pricing) or a model has no price.
 */
import { describe, expect, it } from 'vitest';
import { EventBus, VirtualClock, isWardenError, realClock, systemRandom } from '../runtime/index.ts';
import { Budget } from '../resilience/index.ts';
import { MODEL_CLIENT_DEFAULTS, resolveClientOptions, type ModelClientOptions } from './client-options.ts';
import { openaiChat } from './openai.ts';

const model = (name = 'small') => openaiChat({ model: name, apiKey: 'sk-test-options-0000', baseURL: 'http://127.0.0.1:9/v1' });

function refusal(options: ModelClientOptions): unknown {
  try {
    resolveClientOptions(options);
  } catch (e) {
    return e;
  }
  return undefined;
}

describe('resolveClientOptions', () => {
  it('fills in every default, frozen', () => {
    const settings = resolveClientOptions({ models: [model()] });
    expect(settings).toEqual({
      subject: 'model client',
      name: MODEL_CLIENT_DEFAULTS.name,
      clock: realClock,
      random: systemRandom,
      bus: undefined,
      budget: undefined,
      pricing: undefined,
      timeoutMs: MODEL_CLIENT_DEFAULTS.timeoutMs,
      idleMs: MODEL_CLIENT_DEFAULTS.streamIdleTimeoutMs,
      streamFailure: 'discard',
    });
    expect(Object.isFrozen(settings)).toBe(true);
  });

  it('keeps what was given', () => {
    const clock = new VirtualClock();
    const bus = new EventBus(clock);
    const budget = new Budget({ scope: 'run', limits: { usd: 1 } });
    const pricing = { small: { inputPerMTok: 1, outputPerMTok: 2 } };
    const settings = resolveClientOptions({
      name: 'writer',
      models: [model()],
      clock,
      bus,
      budget,
      pricing,
      timeoutMs: 5,
      streamIdleTimeoutMs: 2,
      streamFailure: 'resume',
    });
    expect(settings).toMatchObject({
      subject: 'model client "writer"',
      name: 'writer',
      clock,
      bus,
      budget,
      pricing,
      timeoutMs: 5,
      idleMs: 2,
      streamFailure: 'resume',
    });
  });

  it.each([
    ['a budget capping usd without pricing', { models: [model()], budget: new Budget({ scope: 'run', limits: { usd: 1 } }) }, 'pricing'],
    [
      'a budget whose parent caps usd, without pricing',
      { models: [model()], budget: new Budget({ scope: 'org', limits: { usd: 1 } }).child({ scope: 'run' }) },
      'pricing',
    ],
    ['a model with no price', { models: [model('small'), model('large')], pricing: { small: { inputPerMTok: 1, outputPerMTok: 1 } } }, 'models[1]'],
    ['a zero timeout', { models: [model()], timeoutMs: 0 }, 'timeoutMs'],
  ])('refuses %s, naming %s', (_label, options, path) => {
    const error = refusal(options as ModelClientOptions);
    expect(isWardenError(error, 'INVALID_SPEC')).toBe(true);
    expect((error as { path: string }).path).toBe(path);
  });

  it("accepts a '*' price for every model", () => {
    expect(refusal({ models: [model('small'), model('large')], pricing: { '*': { inputPerMTok: 1, outputPerMTok: 1 } } })).toBeUndefined();
  });
});
