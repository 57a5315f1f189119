/** Retry on the virtual clock: attempts, backoff, Retry-After, aborts, events and hot config. */
import { describe, expect, it } from 'vitest';
import { startHarnessEvents } from '../testing/event-log.ts';
import { isWardenError, seededRandom, type VirtualClock, type WardenEvent } from '../runtime/index.ts';
import { Retry } from './retry.ts';
import { fullJitterDelay } from './backoff.ts';
import { HttpStatusError } from './transient.ts';

function setup(options: ConstructorParameters<typeof Retry>[0] = {}) {
  const { clock, bus, events } = startHarnessEvents();
  const retry = new Retry({ clock, bus, random: seededRandom(1), ...options });
  return { clock, bus, events, retry };
}

const unavailable = () => Object.assign(new Error('503'), { status: 503 });

/** Run through `retry` a call that fails once with a 429 asking for 5 s, then answers 'ok'; when each attempt started. */
function afterOne429(clock: VirtualClock, retry: Retry): { starts: number[]; p: Promise<string> } {
  const starts: number[] = [];
  const p = retry.execute(({ attempt }) => {
    starts.push(clock.now());
    if (attempt === 1) throw new HttpStatusError(429, 'http://x', 5000, true);
    return 'ok';
  });
  return { starts, p };
}

describe('Retry', () => {
  it('retries a transient failure after a full-jitter delay and returns the value', async () => {
    const { clock, retry } = setup({ baseDelayMs: 1000, maxDelayMs: 8000 });
    const expected = fullJitterDelay(1, { baseDelayMs: 1000, maxDelayMs: 8000, factor: 2 }, seededRandom(1));
    const starts: number[] = [];
    const p = retry.execute(({ attempt }) => {
      starts.push(clock.now());
      if (attempt < 2) throw unavailable();
      return 'ok';
    });
    await clock.runUntil(() => starts.length === 2);
    await expect(p).resolves.toBe('ok');
    expect(starts).toEqual([0, expected]);
  });

  it("stops after maxAttempts and rethrows the last attempt's own error", async () => {
    const { clock, retry, events } = setup({ maxAttempts: 4 });
    const errors: Error[] = [];
    const p = retry.execute(() => {
      const e = unavailable();
      errors.push(e);
      throw e;
    });
    const settled = p.catch((e: unknown) => e);
    while (await clock.runNext());
    expect(await settled).toBe(errors[3]);
    expect(errors).toHaveLength(4);
    const failed = events.filter((e) => e.type === 'retry.attempt_failed');
    expect(failed.map((e) => (e as WardenEvent<'retry.attempt_failed'>).attempt)).toEqual([1, 2, 3, 4]);
    expect((failed[3] as WardenEvent<'retry.attempt_failed'>).delayMs).toBeUndefined();
    expect(events.find((e) => e.type === 'retry.gave_up')).toMatchObject({ attempts: 4, reason: 'max_attempts' });
  });

  it('does not retry a failure that is not transient, and says which verdict stopped it', async () => {
    const { retry, events } = setup();
    let calls = 0;
    await expect(
      retry.execute(() => {
        calls++;
        throw Object.assign(new Error('bad request'), { status: 400 });
      }),
    ).rejects.toThrow('bad request');
    expect(calls).toBe(1);
    expect(events.find((e) => e.type === 'retry.gave_up')).toMatchObject({
      reason: 'not_transient',
      classification: 'http 400',
      hint: "not retried: it was classified as http 400, which is not transient; set retryOn: 'all' to retry every error, or pass classify to decide",
    });
  });

  it('gives a plain Error one attempt, and the give-up event says why and how to retry it', async () => {
    const { retry, events } = setup();
    const thrown = new Error('the model returned malformed JSON');
    let calls = 0;
    await expect(
      retry.execute(() => {
        calls++;
        throw thrown;
      }),
    ).rejects.toBe(thrown);
    expect(calls).toBe(1);
    expect(events.filter((e) => e.type === 'retry.gave_up')).toEqual([
      expect.objectContaining({
        attempts: 1,
        error: thrown,
        reason: 'not_transient',
        classification: 'unknown',
        hint: "not retried: it has no HTTP status, network error code or timeout name that marks it transient; set retryOn: 'all' to retry every error, or pass classify to decide",
      }),
    ]);
  });

  it("with retryOn: 'all' retries every error, with backoff, up to maxAttempts", async () => {
    const { clock, retry, events } = setup({ retryOn: 'all', maxAttempts: 3, baseDelayMs: 1000 });
    const starts: number[] = [];
    const p = retry.execute(({ attempt }) => {
      starts.push(clock.now());
      if (attempt < 3) throw new Error(`malformed JSON #${attempt}`);
      return 'parsed';
    });
    await clock.runUntil(() => starts.length === 3);
    await expect(p).resolves.toBe('parsed');
    const failed = events.filter((e): e is WardenEvent<'retry.attempt_failed'> => e.type === 'retry.attempt_failed');
    expect(failed.map((e) => [e.attempt, e.transient, e.delayMs !== undefined])).toEqual([
      [1, false, true],
      [2, false, true],
    ]);
    expect(starts[1]! - starts[0]!).toBe(failed[0]!.delayMs);
    expect(events.find((e) => e.type === 'retry.recovered')).toMatchObject({ attempts: 3 });

    // It still stops at maxAttempts, rethrowing the last error, and an abort still ends it.
    const last = new Error('still broken');
    const gaveUp = retry.execute(() => {
      throw last;
    });
    const settled = gaveUp.catch((e: unknown) => e);
    while (await clock.runNext());
    expect(await settled).toBe(last);
    expect(events.filter((e) => e.type === 'retry.gave_up').at(-1)).toMatchObject({ reason: 'max_attempts', attempts: 3 });
    const ac = new AbortController();
    ac.abort(new Error('caller stopped'));
    await expect(retry.execute(() => 1, ac.signal)).rejects.toThrow('caller stopped');
  });

  it("with retryOn: 'all' still waits the Retry-After the classifier reads", async () => {
    const { clock, retry } = setup({ retryOn: 'all', baseDelayMs: 10 });
    const { starts, p } = afterOne429(clock, retry);
    await clock.advance(5000);
    await expect(p).resolves.toBe('ok');
    expect(starts).toEqual([0, 5000]);
  });

  it('waits exactly the Retry-After the server asked for', async () => {
    const { clock, retry } = setup({ baseDelayMs: 10 });
    const { starts, p } = afterOne429(clock, retry);
    await clock.advance(4999);
    expect(starts).toEqual([0]);
    await clock.advance(1);
    await expect(p).resolves.toBe('ok');
    expect(starts).toEqual([0, 5000]);
  });

  it('gives up when the server asks for a longer wait than maxRetryAfterMs', async () => {
    const { retry, events } = setup({ maxRetryAfterMs: 1000 });
    await expect(
      retry.execute(() => {
        throw new HttpStatusError(429, 'http://x', 60_000, true);
      }),
    ).rejects.toMatchObject({ status: 429 });
    expect(events.find((e) => e.type === 'retry.gave_up')).toMatchObject({ reason: 'retry_after_too_long' });
  });

  it("rejects with the signal's reason when aborted during a wait and starts no new attempt", async () => {
    const { clock, retry, events } = setup({ baseDelayMs: 1000 });
    const ac = new AbortController();
    let calls = 0;
    const p = retry.execute(() => {
      calls++;
      throw unavailable();
    }, ac.signal);
    const settled = p.catch((e: unknown) => e);
    await clock.advance(1);
    ac.abort(new Error('user stopped'));
    expect(await settled).toMatchObject({ message: 'user stopped' });
    await clock.advance(100_000);
    expect(calls).toBe(1);
    expect(events.find((e) => e.type === 'retry.gave_up')).toMatchObject({ reason: 'aborted' });
  });

  it("passes the caller's signal and the attempt number to the work", async () => {
    const { clock, retry } = setup({ baseDelayMs: 0 });
    const ac = new AbortController();
    const seen: [AbortSignal, number][] = [];
    const p = retry.execute(({ signal, attempt }) => {
      seen.push([signal, attempt]);
      if (attempt < 3) throw unavailable();
      return attempt;
    }, ac.signal);
    await clock.advance(0);
    await expect(p).resolves.toBe(3);
    expect(seen.map(([s, a]) => [s === ac.signal, a])).toEqual([
      [true, 1],
      [true, 2],
      [true, 3],
    ]);
  });

  it('emits retry.recovered when a retried call finally succeeds', async () => {
    const { clock, retry, events } = setup({ baseDelayMs: 0 });
    const p = retry.execute(({ attempt }) => {
      if (attempt === 1) throw unavailable();
      return 1;
    });
    await clock.advance(0);
    await p;
    expect(events.find((e) => e.type === 'retry.recovered')).toMatchObject({ attempts: 2 });
  });
});

describe('Retry options', () => {
  it('rejects bad options with an InvalidSpecError naming the field and value', () => {
    expect(() => new Retry({ maxAttempts: 0 })).toThrow(/retry: maxAttempts must be >= 1 \(got 0\)/);
    expect(() => new Retry({ maxAtempts: 3 } as never)).toThrow(/maxAtempts is not a known option/);
    expect(() => new Retry({ baseDelayMs: 5000, maxDelayMs: 100 })).toThrow(/baseDelayMs must be <= maxDelayMs/);
    expect(() => new Retry({ retryOn: 'everything' as never })).toThrow('retry: retryOn must be one of "transient", "all" (got "everything")');
    try {
      new Retry({ name: 'llm', factor: 0.5 });
    } catch (e) {
      expect(isWardenError(e, 'INVALID_SPEC')).toBe(true);
      expect(e).toMatchObject({ subject: 'retry "llm"', path: 'factor', value: 0.5 });
    }
  });

  it("can be switched to retryOn: 'all' at run time", async () => {
    const { clock, retry, events } = setup({ baseDelayMs: 0 });
    expect(retry.config.retryOn).toBe('transient');
    retry.configure({ retryOn: 'all' });
    expect(events.find((e) => e.type === 'policy.configured')).toMatchObject({ kind: 'retry', changed: ['retryOn'] });
    expect(() => retry.configure({ retryOn: 'some' as never })).toThrow(/retryOn must be one of/);
    expect(retry.config.retryOn).toBe('all');
    let calls = 0;
    const p = retry.execute(() => {
      if (++calls === 1) throw new Error('plain');
      return calls;
    });
    await clock.advance(0);
    await expect(p).resolves.toBe(2);
  });

  it('applies configure() to the next failure and keeps the old config after a bad update', async () => {
    const { clock, retry, events } = setup({ maxAttempts: 1 });
    retry.configure({ maxAttempts: 2, baseDelayMs: 0 });
    expect(events.find((e) => e.type === 'policy.configured')).toMatchObject({ kind: 'retry', changed: ['maxAttempts', 'baseDelayMs'] });
    expect(() => retry.configure({ maxAttempts: -1 })).toThrow(/maxAttempts must be >= 1/);
    expect(() => retry.configure({ baseDelayMs: 1e9 })).toThrow(/baseDelayMs must be <= maxDelayMs/);
    expect(retry.config).toMatchObject({ maxAttempts: 2, baseDelayMs: 0 });
    let calls = 0;
    const p = retry.execute(() => {
      if (++calls === 1) throw unavailable();
      return calls;
    });
    await clock.advance(0);
    await expect(p).resolves.toBe(2);
  });
});
