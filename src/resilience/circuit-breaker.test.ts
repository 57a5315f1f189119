/** Circuit breaker: transitions, probes, stale outcomes, isolation, snapshots, and the probe-count property. */
import { describe, expect, it } from 'vitest';
import { startHarnessEvents } from '../testing/event-log.ts';
import fc from 'fast-check';
import { VirtualClock, type WardenEvent } from '../runtime/index.ts';
import { BrokenCircuitError, CircuitBreaker, type BreakerOptions } from './circuit-breaker.ts';

const fail = () => Promise.reject(Object.assign(new Error('503'), { status: 503 }));
const ok = () => Promise.resolve('ok');

function setup(options: BreakerOptions = {}) {
  const { clock, bus, events } = startHarnessEvents();
  const breaker = new CircuitBreaker({ clock, bus, name: 'dep', ...options });
  const kinds = () =>
    events
      .filter((e) => e.type === 'breaker.state_changed')
      .map((e) => `${(e as WardenEvent<'breaker.state_changed'>).from}>${(e as WardenEvent<'breaker.state_changed'>).to}`);
  return { clock, bus, events, breaker, kinds };
}

async function failTimes(breaker: CircuitBreaker, n: number) {
  for (let i = 0; i < n; i++) await breaker.execute(fail).catch(() => undefined);
}

function deferred<T>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('CircuitBreaker (consecutive failures)', () => {
  it('opens after the configured failures in a row and refuses calls with BrokenCircuitError', async () => {
    const { breaker, events } = setup({ trip: { kind: 'consecutive', failures: 3 }, openMs: 10_000 });
    await failTimes(breaker, 2);
    expect(breaker.state.kind).toBe('closed');
    await failTimes(breaker, 1);
    expect(breaker.state).toMatchObject({ kind: 'open', openUntil: 10_000, openings: 1 });
    let ran = false;
    const err = await breaker.execute(() => (ran = true)).catch((e: unknown) => e);
    expect(ran).toBe(false);
    expect(err).toBeInstanceOf(BrokenCircuitError);
    expect(err).toMatchObject({ code: 'BROKEN_CIRCUIT', breaker: 'dep', state: 'open', retryAfterMs: 10_000, retryable: true });
    expect(events.find((e) => e.type === 'breaker.opened')).toMatchObject({ reason: 'tripped', openMs: 10_000 });
  });

  it('resets the count on a success', async () => {
    const { breaker } = setup({ trip: { kind: 'consecutive', failures: 3 } });
    await failTimes(breaker, 2);
    await breaker.execute(ok);
    await failTimes(breaker, 2);
    expect(breaker.state.kind).toBe('closed');
  });

  it('does not count permanent failures (the dependency answered)', async () => {
    const { breaker } = setup({ trip: { kind: 'consecutive', failures: 1 } });
    await breaker.execute(() => Promise.reject(Object.assign(new Error('bad'), { status: 400 }))).catch(() => undefined);
    expect(breaker.state.kind).toBe('closed');
  });

  it('half-opens after openMs, closes after the probe successes, with an event on every transition', async () => {
    const { clock, breaker, kinds, events } = setup({ trip: { kind: 'consecutive', failures: 1 }, openMs: 1000, halfOpenSuccesses: 2 });
    await failTimes(breaker, 1);
    await clock.advance(1000);
    await breaker.execute(ok);
    expect(breaker.state).toMatchObject({ kind: 'half_open', successes: 1 });
    await breaker.execute(ok);
    expect(breaker.state.kind).toBe('closed');
    expect(kinds()).toEqual(['closed>open', 'open>half_open', 'half_open>closed']);
    expect(events.map((e) => e.type).filter((t) => t.startsWith('breaker.') && t !== 'breaker.state_changed')).toEqual([
      'breaker.opened',
      'breaker.half_opened',
      'breaker.closed',
    ]);
  });

  it('reopens on a failed probe for a longer time when openBackoffFactor > 1', async () => {
    const { clock, breaker, events } = setup({ trip: { kind: 'consecutive', failures: 1 }, openMs: 1000, openBackoffFactor: 3, maxOpenMs: 5000 });
    await failTimes(breaker, 1);
    await clock.advance(1000);
    await failTimes(breaker, 1);
    expect(breaker.state).toMatchObject({ kind: 'open', openings: 2, openUntil: 4000 });
    await clock.advance(3000);
    await failTimes(breaker, 1);
    expect(breaker.state).toMatchObject({ kind: 'open', openings: 3, openUntil: 9000 }); // capped at 5000
    expect(events.filter((e) => e.type === 'breaker.opened').map((e) => (e as WardenEvent<'breaker.opened'>).reason)).toEqual([
      'tripped',
      'probe_failed',
      'probe_failed',
    ]);
  });

  it('refuses more than halfOpenMaxProbes concurrent probes', async () => {
    const { clock, breaker } = setup({ trip: { kind: 'consecutive', failures: 1 }, openMs: 10, halfOpenMaxProbes: 2, halfOpenSuccesses: 5 });
    await failTimes(breaker, 1);
    await clock.advance(10);
    const a = deferred<string>();
    const b = deferred<string>();
    const pa = breaker.execute(() => a.promise);
    const pb = breaker.execute(() => b.promise);
    await expect(breaker.execute(ok)).rejects.toMatchObject({ state: 'half_open' });
    a.resolve('a');
    await pa;
    await expect(breaker.execute(ok)).resolves.toBe('ok');
    b.resolve('b');
    await pb;
  });

  it('ignores the outcome of a call admitted in an earlier state', async () => {
    const { clock, breaker } = setup({ trip: { kind: 'consecutive', failures: 2 }, openMs: 100 });
    const slow = deferred<string>();
    const pending = breaker.execute(() => slow.promise);
    await failTimes(breaker, 2); // opens while the slow call runs
    await clock.advance(100);
    await breaker.execute(ok); // closes again
    expect(breaker.state.kind).toBe('closed');
    await failTimes(breaker, 1);
    slow.reject(Object.assign(new Error('late'), { status: 503 }));
    await pending.catch(() => undefined);
    expect(breaker.state.kind).toBe('closed'); // the stale failure was not counted
  });
});

describe('CircuitBreaker (failure rate)', () => {
  it('opens when the failure rate over the window reaches the threshold with enough calls', async () => {
    const { breaker } = setup({ trip: { kind: 'rate', threshold: 0.5, windowMs: 10_000, minThroughput: 4 } });
    await breaker.execute(ok);
    await failTimes(breaker, 2); // 2 of 3: under minThroughput
    expect(breaker.state.kind).toBe('closed');
    await failTimes(breaker, 1); // 3 of 4
    expect(breaker.state.kind).toBe('open');
  });

  it('forgets outcomes that slid out of the window', async () => {
    const { clock, breaker } = setup({ trip: { kind: 'rate', threshold: 0.5, windowMs: 10_000, minThroughput: 4, buckets: 10 } });
    await failTimes(breaker, 3);
    await clock.advance(10_000);
    await breaker.execute(ok);
    await breaker.execute(ok);
    await breaker.execute(ok);
    await failTimes(breaker, 1); // 1 of 4 in the window
    expect(breaker.state.kind).toBe('closed');
  });
});

describe('CircuitBreaker isolation, reset and snapshots', () => {
  it('isolates until every handle is released, then closes', async () => {
    const { breaker, kinds } = setup();
    const h1 = breaker.isolate();
    const h2 = breaker.isolate();
    await expect(breaker.execute(ok)).rejects.toMatchObject({ state: 'isolated', retryable: false });
    h1.release();
    h1.release();
    expect(breaker.state.kind).toBe('isolated');
    h2.release();
    expect(breaker.state.kind).toBe('closed');
    expect(kinds()).toEqual(['closed>isolated', 'isolated>closed']);
  });

  it('reset() closes the breaker and makes older isolation handles inert', async () => {
    const { breaker } = setup({ trip: { kind: 'consecutive', failures: 1 } });
    const h = breaker.isolate();
    breaker.reset();
    expect(breaker.state.kind).toBe('closed');
    await failTimes(breaker, 1);
    h.release();
    expect(breaker.state.kind).toBe('open');
  });

  it('restores an open breaker from toJSON() in a new instance', async () => {
    const { clock, breaker } = setup({ trip: { kind: 'consecutive', failures: 1 }, openMs: 500 });
    await failTimes(breaker, 1);
    const snapshot = JSON.parse(JSON.stringify(breaker.toJSON()));
    const copy = new CircuitBreaker({ clock, trip: { kind: 'consecutive', failures: 1 }, initialState: snapshot });
    await expect(copy.execute(ok)).rejects.toMatchObject({ state: 'open', retryAfterMs: 500 });
    await clock.advance(500);
    await expect(copy.execute(ok)).resolves.toBe('ok');
    expect(copy.state.kind).toBe('closed');
  });

  it('restores rate-window counts and rejects a snapshot of another trip kind', async () => {
    const clock = new VirtualClock();
    const trip = { kind: 'rate', threshold: 0.5, windowMs: 1000, minThroughput: 3 } as const;
    const a = new CircuitBreaker({ clock, trip });
    await failTimes(a, 2);
    const b = new CircuitBreaker({ clock, trip, initialState: a.toJSON() });
    await failTimes(b, 1);
    expect(b.state.kind).toBe('open');
    expect(() => new CircuitBreaker({ clock, initialState: a.toJSON() })).toThrow(/initialState.trip.kind must match/);
  });

  it('validates options and hot updates, keeping the old config on a bad one', () => {
    expect(() => new CircuitBreaker({ halfOpenMaxProbes: 0 })).toThrow(/halfOpenMaxProbes must be >= 1 \(got 0\)/);
    expect(() => new CircuitBreaker({ trip: { kind: 'rate', threshold: 2 } })).toThrow(/trip.threshold must be <= 1 \(got 2\)/);
    expect(() => new CircuitBreaker({ trip: { kind: 'sometimes' } as never })).toThrow(/trip.kind must be one of/);
    const { breaker } = setup();
    expect(() => breaker.configure({ openMs: 1e9 })).toThrow(/openMs must be <= maxOpenMs/);
    breaker.configure({ trip: { kind: 'consecutive', failures: 2 } });
    expect(breaker.config.trip).toEqual({ kind: 'consecutive', failures: 2 });
  });
});

describe('CircuitBreaker properties', () => {
  it('never lets more than halfOpenMaxProbes probes run at once, whatever the interleaving', async () => {
    const op = fc.oneof(
      fc.constant({ kind: 'start' as const }),
      fc.record({ kind: fc.constant('settle' as const), index: fc.nat(), ok: fc.boolean() }),
      fc.record({ kind: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 300 }) }),
    );
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 }), fc.array(op, { maxLength: 60 }), async (maxProbes, successes, ops) => {
        const clock = new VirtualClock();
        const breaker = new CircuitBreaker({
          clock,
          trip: { kind: 'consecutive', failures: 1 },
          openMs: 100,
          halfOpenMaxProbes: maxProbes,
          halfOpenSuccesses: successes,
        });
        const running: { d: ReturnType<typeof deferred<string>>; probe: boolean }[] = [];
        let probes = 0;
        let maxSeen = 0;
        for (const o of ops) {
          if (o.kind === 'start') {
            const wasHalfOrOpen = breaker.state.kind !== 'closed';
            const d = deferred<string>();
            let admitted = false;
            const p = breaker.execute(() => {
              admitted = true;
              return d.promise;
            });
            p.catch(() => undefined);
            if (admitted) {
              const probe = wasHalfOrOpen;
              if (probe) maxSeen = Math.max(maxSeen, ++probes);
              running.push({ d, probe });
            }
          } else if (o.kind === 'settle' && running.length > 0) {
            const [r] = running.splice(o.index % running.length, 1);
            if (r === undefined) continue;
            if (r.probe) probes--;
            if (o.ok) r.d.resolve('ok');
            else r.d.reject(Object.assign(new Error('503'), { status: 503 }));
            await Promise.resolve();
            await Promise.resolve();
          } else if (o.kind === 'advance') {
            await clock.advance(o.ms);
          }
        }
        return maxSeen <= maxProbes;
      }),
      { numRuns: 200 },
    );
  });
});
