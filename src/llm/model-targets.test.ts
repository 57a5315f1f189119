/**
 * The policy assembly on its own: each model behind retry ∘ breaker ∘ timeout in that order
 * (so the breaker counts every attempt of the retry, and the timeout bounds each attempt), the
 * parts left out when configured `false`, the provider's limiter picked by name, and a repeated
 * provider and model refused. Policies run on a virtual clock; no model is called.
 */
import { describe, expect, it } from 'vitest';
import { VirtualClock, isWardenError } from '../runtime/index.ts';
import { ProviderLimiter, type Policy } from '../resilience/index.ts';
import { anthropicMessages } from './anthropic.ts';
import { resolveClientOptions, type ModelClientOptions } from './client-options.ts';
import { StreamStalledError } from './errors.ts';
import { buildTargets } from './model-targets.ts';
import { openaiChat } from './openai.ts';

const baseURL = 'http://127.0.0.1:9';
const openai = (model = 'small') => openaiChat({ model, apiKey: 'sk-test-targets-0000', baseURL: `${baseURL}/v1` });
const anthropic = () => anthropicMessages({ model: 'large', apiKey: 'sk-test-targets-0000', baseURL });

function build(options: ModelClientOptions) {
  return buildTargets(resolveClientOptions(options), options);
}

/** Let time pass on `clock`, timer by timer, until `run` settles. */
async function settle<T>(clock: VirtualClock, run: Promise<T>): Promise<{ ok: true; value: T } | { ok: false; error: unknown }> {
  let outcome: { ok: true; value: T } | { ok: false; error: unknown } | undefined;
  run.then(
    (value) => (outcome = { ok: true, value }),
    (error: unknown) => (outcome = { ok: false, error }),
  );
  await clock.runUntil(() => outcome !== undefined);
  return outcome as { ok: true; value: T } | { ok: false; error: unknown };
}

/** Run a call that always stalls through `policy`: its outcome and how many times it was called. */
async function runStalling(clock: VirtualClock, policy: Policy) {
  let calls = 0;
  const outcome = await settle(
    clock,
    policy.execute(() => {
      calls++;
      throw new StreamStalledError('openai', 'small', 1);
    }),
  );
  return { outcome, calls };
}

describe('buildTargets', () => {
  it('labels each model provider:model, in order, each with its own breaker', () => {
    const { targets, breakers } = build({ models: [openai(), anthropic()], clock: new VirtualClock() });
    expect(targets.map((t) => t.label)).toEqual(['openai:small', 'anthropic:large']);
    expect(breakers.map((b) => b?.config.name)).toEqual(['openai:small', 'anthropic:large']);
  });

  it('puts the breaker inside the retry: it counts every attempt the retry makes', async () => {
    const clock = new VirtualClock();
    const { targets, breakers } = build({
      models: [openai()],
      clock,
      retry: { maxAttempts: 3, baseDelayMs: 0 },
      breaker: { trip: { kind: 'consecutive', failures: 3 }, openMs: 30_000 },
    });
    const { outcome, calls } = await runStalling(clock, targets[0]!.policy);
    expect(outcome.ok).toBe(false);
    expect(calls).toBe(3);
    expect(breakers[0]?.state.kind).toBe('open');
  });

  it('puts the timeout inside the retry: each attempt gets its own deadline', async () => {
    const clock = new VirtualClock();
    const { targets } = build({ models: [openai()], clock, timeoutMs: 1_000, retry: { maxAttempts: 2, baseDelayMs: 0 }, breaker: false });
    const starts: number[] = [];
    const outcome = await settle(
      clock,
      targets[0]!.policy.execute(({ signal }) => {
        starts.push(clock.now());
        return new Promise((_resolve, reject) => signal.addEventListener('abort', () => reject(signal.reason), { once: true }));
      }),
    );
    expect(outcome.ok).toBe(false);
    expect(starts).toEqual([0, 1_000]);
  });

  it('leaves out the retry and the breaker when configured false: one attempt, no breaker', async () => {
    const clock = new VirtualClock();
    const { targets, breakers } = build({ models: [openai()], clock, retry: false, breaker: false });
    const { outcome, calls } = await runStalling(clock, targets[0]!.policy);
    expect(outcome.ok).toBe(false);
    expect(calls).toBe(1);
    expect(breakers).toEqual([undefined]);
  });

  it("gives each model its provider's rate limiter, by the adapter's name", () => {
    const limiter = new ProviderLimiter({ provider: 'openai', requestsPerMinute: 60 });
    const { targets } = build({ models: [openai(), anthropic()], limiters: { openai: limiter } });
    expect(targets.map((t) => t.limiter)).toEqual([limiter, undefined]);
  });

  it('refuses a provider and model listed twice, naming the second', () => {
    let error: unknown;
    try {
      build({ name: 'writer', models: [openai('a'), anthropic(), openai('a')] });
    } catch (e) {
      error = e;
    }
    expect(isWardenError(error, 'INVALID_SPEC')).toBe(true);
    expect(error).toMatchObject({ path: 'models[2]', message: expect.stringContaining('model client "writer"') });
  });
});
