/** Token bucket: bursts, refill, FIFO order, fail-fast refusals, and the rate-over-any-window property. */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { VirtualClock } from '../runtime/index.ts';
import { TokenBucket } from './token-bucket.ts';

describe('TokenBucket', () => {
  it('serves a burst at once, then one call per refill interval', async () => {
    const clock = new VirtualClock();
    const bucket = new TokenBucket({ clock, perMinute: 60, burst: 2 }); // 1 token per second
    const times: number[] = [];
    const calls = [0, 1, 2, 3].map(() => bucket.take(1).then(() => times.push(clock.now())));
    await clock.advance(5000);
    await Promise.all(calls);
    expect(times).toEqual([0, 0, 1000, 2000]);
  });

  it('never lets a cheap call overtake an expensive one queued ahead', async () => {
    const clock = new VirtualClock();
    const bucket = new TokenBucket({ clock, perMinute: 600, burst: 10 }); // 10 per second
    await bucket.take(10);
    const order: string[] = [];
    const big = bucket.take(8).then(() => order.push('big'));
    const small = bucket.take(1).then(() => order.push('small'));
    await clock.advance(799);
    expect(order).toEqual([]);
    await clock.advance(1);
    await big;
    await clock.advance(100);
    await small;
    expect(order).toEqual(['big', 'small']);
  });

  it('refuses at once a call that could not be served within the queue timeout, saying when it would fit', async () => {
    const clock = new VirtualClock();
    const bucket = new TokenBucket({ clock, name: 'openai:tpm', perMinute: 60, burst: 5, queueTimeoutMs: 2000 });
    await bucket.take(5);
    await expect(bucket.take(3)).rejects.toMatchObject({ reason: 'would_wait_too_long', retryAfterMs: 3000, limiter: 'openai:tpm' });
    await expect(bucket.take(6)).rejects.toMatchObject({ reason: 'over_capacity', retryable: false });
  });

  it('times out and frees a waiter whose wait grew because of a debit', async () => {
    const clock = new VirtualClock();
    const bucket = new TokenBucket({ clock, perMinute: 60, burst: 1, queueTimeoutMs: 1500 });
    await bucket.take(1);
    const waiting = bucket.take(1).catch((e: unknown) => e);
    bucket.debit(5);
    await clock.advance(1500);
    expect(await waiting).toMatchObject({ reason: 'queue_timeout' });
  });

  it('applies a new rate to tokens accrued after configure()', async () => {
    const clock = new VirtualClock();
    const bucket = new TokenBucket({ clock, perMinute: 60, burst: 100 });
    await bucket.take(100);
    await clock.advance(1000);
    bucket.configure({ perMinute: 6000 });
    await clock.advance(1000);
    expect(bucket.available).toBeCloseTo(101 - 100 + 99, 5); // 1 at the old rate, capped at burst 100
    expect(() => bucket.configure({ perMinute: 0 })).toThrow(/perMinute must be > 0/);
  });

  it('never grants more than burst + rate × W over any window W (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 600 }),
        fc.integer({ min: 1, max: 20 }),
        fc.array(fc.record({ gap: fc.integer({ min: 0, max: 3000 }), cost: fc.integer({ min: 0, max: 20 }) }), { maxLength: 40 }),
        async (perMinute, burst, requests) => {
          const clock = new VirtualClock();
          const bucket = new TokenBucket({ clock, perMinute, burst, maxQueue: 1000, queueTimeoutMs: Infinity });
          const grants: { at: number; cost: number }[] = [];
          const pending: Promise<unknown>[] = [];
          for (const r of requests) {
            await clock.advance(r.gap);
            pending.push(
              bucket.take(r.cost).then(
                () => grants.push({ at: clock.now(), cost: r.cost }),
                () => undefined,
              ),
            );
          }
          await clock.runUntil(() => grants.length + requests.filter((r) => r.cost > burst).length >= requests.length, 10_000);
          await Promise.all(pending);
          const rate = perMinute / 60_000;
          for (let i = 0; i < grants.length; i++) {
            let sum = 0;
            for (let j = i; j < grants.length; j++) {
              sum += (grants[j] as { cost: number }).cost;
              const w = (grants[j] as { at: number }).at - (grants[i] as { at: number }).at;
              if (sum > burst + rate * w + 1e-6) return false;
            }
          }
          return true;
        },
      ),
      { numRuns: 100 },
    );
  });
});
