/** Composition with wrap, and hot configuration across policies. */
import { describe, expect, it } from 'vitest';
import { startHarnessEvents } from '../testing/event-log.ts';
import { seededRandom } from '../runtime/index.ts';
import { Budget, CircuitBreaker, ProviderLimiter, Retry, Semaphore, SpawnGuard, Timeout, wrap, type Policy } from './index.ts';

function setup() {
  const { clock, bus, events } = startHarnessEvents();
  return { clock, bus, events };
}

const unavailable = () => Object.assign(new Error('503'), { status: 503 });

describe('wrap', () => {
  it('runs the policies outermost first around the work', async () => {
    const trace: string[] = [];
    const tracer = (name: string): Policy => ({
      execute: async (fn, signal) => {
        trace.push(`>${name}`);
        try {
          return await fn({ signal: signal ?? new AbortController().signal });
        } finally {
          trace.push(`<${name}`);
        }
      },
    });
    await wrap(tracer('a'), tracer('b'), tracer('c')).execute(() => trace.push('work'));
    expect(trace).toEqual(['>a', '>b', '>c', 'work', '<c', '<b', '<a']);
  });

  it('retries through a breaker, each attempt bounded by the timeout, until the breaker opens', async () => {
    const { clock, bus, events } = setup();
    const breaker = new CircuitBreaker({ clock, bus, name: 'api', trip: { kind: 'consecutive', failures: 2 }, openMs: 60_000 });
    const policy = wrap(
      new Retry({ clock, bus, random: seededRandom(3), maxAttempts: 5, baseDelayMs: 100, maxRetryAfterMs: 1000 }),
      breaker,
      new Timeout({ clock, bus, timeoutMs: 1000 }),
    );
    let calls = 0;
    const p = policy.execute(({ signal }) => {
      calls++;
      return clock.sleep(5000, signal); // hangs: every attempt times out
    });
    const settled = p.catch((e: unknown) => e);
    await clock.advance(10_000);
    const err = await settled;
    // two timeouts open the breaker; the breaker's retryAfterMs (60 s) is longer than maxRetryAfterMs: give up
    expect(calls).toBe(2);
    expect(err).toMatchObject({ code: 'BROKEN_CIRCUIT', state: 'open' });
    expect(events.filter((e) => e.type === 'timeout.timed_out')).toHaveLength(2);
    expect(events.find((e) => e.type === 'retry.gave_up')).toMatchObject({ reason: 'retry_after_too_long', attempts: 3 });
  });

  it("passes the caller's signal through every layer to the work", async () => {
    const { clock } = setup();
    const ac = new AbortController();
    const policy = wrap(new Retry({ clock }), new Semaphore({ clock }), new Timeout({ clock, timeoutMs: 10_000 }));
    let seen: AbortSignal | undefined;
    const q = policy
      .execute(({ signal }) => {
        seen = signal;
        return clock.sleep(5000, signal);
      }, ac.signal)
      .catch((e: unknown) => e);
    await clock.advance(10);
    expect(seen?.aborted).toBe(false);
    ac.abort(new Error('stop'));
    expect(await q).toMatchObject({ message: 'stop' });
    expect(seen?.aborted).toBe(true);
  });

  it('composes budgets, limiters and guards as policies too', async () => {
    const { clock } = setup();
    const budget = new Budget({ scope: 'run', limits: { steps: 2 }, clock });
    const guard = new SpawnGuard({ clock });
    const policy = wrap(budget, new ProviderLimiter({ clock, provider: 'p', maxConcurrent: 1 }), guard.forKey('job'));
    await expect(policy.execute(() => 1)).resolves.toBe(1);
    await expect(policy.execute(() => 2)).resolves.toBe(2);
    await expect(policy.execute(() => 3)).rejects.toMatchObject({ code: 'BUDGET_EXCEEDED', unit: 'steps' });
  });

  it('rejects an empty or non-policy list', () => {
    expect(() => wrap()).toThrow(/policies must have at least 1 item/);
    expect(() => wrap({} as Policy)).toThrow(/policies\[0\] must be a policy/);
  });
});

describe('hot configuration', () => {
  it("changes a composed policy's behaviour at run time without recreating anything", async () => {
    const { clock, bus, events } = setup();
    const retry = new Retry({ clock, bus, maxAttempts: 1, baseDelayMs: 0 });
    const timeout = new Timeout({ clock, bus, timeoutMs: 100 });
    const policy = wrap(retry, timeout);
    let calls = 0;
    const flaky = () => {
      calls++;
      if (calls % 2 === 1) throw unavailable();
      return 'ok';
    };
    await expect(policy.execute(flaky)).rejects.toThrow('503');
    retry.configure({ maxAttempts: 2 });
    const p = policy.execute(flaky);
    await clock.advance(0);
    await expect(p).resolves.toBe('ok');
    expect(events.filter((e) => e.type === 'policy.configured')).toHaveLength(1);
  });

  it.each([
    ['retry', () => new Retry(), { maxAttempts: 0 }, 'maxAttempts'],
    ['timeout', () => new Timeout(), { strategy: 'eventually' }, 'strategy'],
    ['breaker', () => new CircuitBreaker(), { halfOpenMaxProbes: 1.5 }, 'halfOpenMaxProbes'],
    ['semaphore', () => new Semaphore(), { maxQueue: -1 }, 'maxQueue'],
    ['budget', () => new Budget({ scope: 's' }), { limits: { steps: 'ten' } }, 'limits.steps'],
  ] as const)('%s: a bad update throws InvalidSpecError naming the field and keeps the old config', (_n, make, patch, path) => {
    const p = make() as { configure(patch: unknown): void; config: unknown };
    const before = p.config;
    let error: unknown;
    try {
      p.configure(patch);
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({ code: 'INVALID_SPEC', path });
    expect(p.config).toBe(before);
  });
});
