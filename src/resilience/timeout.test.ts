/** Cooperative and aggressive timeouts on the virtual clock. */
import { describe, expect, it } from 'vitest';
import { startHarnessEvents } from '../testing/event-log.ts';
import { type VirtualClock, isWardenError } from '../runtime/index.ts';
import { Timeout, TimeoutError } from './timeout.ts';

function setup(options: ConstructorParameters<typeof Timeout>[0] = {}) {
  const { clock, bus, events } = startHarnessEvents();
  return { clock, events, timeout: new Timeout({ clock, bus, timeoutMs: 1000, ...options }) };
}

/** Work that resolves after `ms` on the clock, or rejects with the signal's reason when aborted. */
function work(clock: VirtualClock, ms: number, value: string) {
  return ({ signal }: { signal: AbortSignal }) => clock.sleep(ms, signal).then(() => value);
}

describe('Timeout (cooperative)', () => {
  it('returns the value of work that finishes in time and leaves no timer behind', async () => {
    const { clock, timeout } = setup();
    const p = timeout.execute(work(clock, 999, 'done'));
    await clock.advance(999);
    await expect(p).resolves.toBe('done');
    expect(clock.pendingTimers()).toBe(0);
  });

  it('aborts the signal at the deadline and rejects with a TimeoutError once the work stops', async () => {
    const { clock, timeout, events } = setup();
    let signal: AbortSignal | undefined;
    const p = timeout.execute((ctx) => {
      signal = ctx.signal;
      return clock.sleep(5000, ctx.signal);
    });
    const settled = p.catch((e: unknown) => e);
    await clock.advance(999);
    expect(signal?.aborted).toBe(false);
    await clock.advance(1);
    expect(signal?.aborted).toBe(true);
    const err = await settled;
    expect(err).toBeInstanceOf(TimeoutError);
    expect(isWardenError(err, 'TIMEOUT')).toBe(true);
    expect(err).toMatchObject({ policy: 'timeout', timeoutMs: 1000, strategy: 'cooperative', retryable: true });
    expect(events.filter((e) => e.type === 'timeout.timed_out')).toHaveLength(1);
  });

  it('waits for work that ignores the signal and returns its late value', async () => {
    const { clock, timeout } = setup();
    let settled = false;
    const p = timeout.execute(() => clock.sleep(3000).then(() => 'late'));
    void p.then(() => (settled = true));
    await clock.advance(2000);
    expect(settled).toBe(false);
    await clock.advance(1000);
    await expect(p).resolves.toBe('late');
  });

  it('gives the work an already-aborted signal if it first reads it after the deadline', async () => {
    const { clock, timeout } = setup();
    const p = timeout.execute(async (ctx) => {
      await clock.sleep(1500);
      return ctx.signal.aborted;
    });
    await clock.advance(1500);
    await expect(p).resolves.toBe(true);
  });

  it("passes the caller's abort to the work", async () => {
    const { clock, timeout } = setup();
    const ac = new AbortController();
    const p = timeout.execute(work(clock, 5000, 'x'), ac.signal);
    const settled = p.catch((e: unknown) => e);
    await clock.advance(10);
    ac.abort(new Error('caller gave up'));
    expect(await settled).toMatchObject({ message: 'caller gave up' });
  });
});

describe('Timeout (aggressive)', () => {
  it('rejects at the deadline without waiting for the work, and aborts its signal', async () => {
    const { clock, timeout } = setup({ strategy: 'aggressive' });
    let signal: AbortSignal | undefined;
    const p = timeout.execute((ctx) => {
      signal = ctx.signal;
      return clock.sleep(60_000).then(() => 'never seen');
    });
    const settled = p.catch((e: unknown) => e);
    await clock.advance(1000);
    expect(await settled).toMatchObject({ code: 'TIMEOUT', strategy: 'aggressive' });
    expect(signal?.aborted).toBe(true);
    await clock.advance(60_000); // the late result is discarded, not unhandled
  });

  it("rejects at once with the caller's reason when the caller aborts", async () => {
    const { clock, timeout } = setup({ strategy: 'aggressive' });
    const ac = new AbortController();
    const p = timeout.execute(() => clock.sleep(60_000), ac.signal);
    const settled = p.catch((e: unknown) => e);
    ac.abort(new Error('stop'));
    expect(await settled).toMatchObject({ message: 'stop' });
  });

  it("passes through the work's own failure and synchronous throws", async () => {
    const { timeout } = setup({ strategy: 'aggressive' });
    await expect(timeout.execute(() => Promise.reject(new Error('inner')))).rejects.toThrow('inner');
    await expect(
      timeout.execute(() => {
        throw new Error('sync');
      }),
    ).rejects.toThrow('sync');
  });
});

describe('Timeout options', () => {
  it('validates options and updates, keeping the old config on a bad update', () => {
    expect(() => new Timeout({ timeoutMs: -1 })).toThrow(/timeoutMs must be a number >= 0 or Infinity \(got -1\)/);
    expect(() => new Timeout({ strategy: 'optimistic' as never })).toThrow(/strategy must be one of "cooperative", "aggressive"/);
    const { timeout } = setup();
    expect(() => timeout.configure({ timeoutMs: Number.NaN })).toThrow(/timeoutMs/);
    expect(timeout.config.timeoutMs).toBe(1000);
    timeout.configure({ timeoutMs: 50 });
    expect(timeout.config.timeoutMs).toBe(50);
  });

  it('applies a new timeoutMs to calls started after configure()', async () => {
    const { clock, timeout } = setup();
    timeout.configure({ timeoutMs: 10 });
    const p = timeout.execute(work(clock, 100, 'x')).catch((e: unknown) => e);
    await clock.advance(10);
    expect(await p).toMatchObject({ code: 'TIMEOUT', timeoutMs: 10 });
  });
});
