/** The per-provider limiter: request rate, token rate and concurrency applied together. */
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../runtime/index.ts';
import { ProviderLimiter } from './provider-limiter.ts';

describe('ProviderLimiter', () => {
  it('applies the request rate, the token rate and the concurrency cap together', async () => {
    const clock = new VirtualClock();
    const limiter = new ProviderLimiter({ clock, provider: 'openai', requestsPerMinute: 60, tokensPerMinute: 6000, maxConcurrent: 1 });
    const starts: number[] = [];
    const call = (tokens: number) =>
      limiter.run(
        async () => {
          starts.push(clock.now());
          await clock.sleep(100);
        },
        { tokens },
      );
    const all = [call(6000), call(100), call(100)];
    await clock.advance(5000);
    await Promise.all(all);
    // call 2 needs tokens (refill of 100 at 100/s takes 1 s), call 3 a request token (1 per s after the burst of 60 is not used up, so only the tokens wait)
    expect(starts).toEqual([0, 1000, 2000]);
  });

  it('refunds what earlier stages granted when a later stage refuses', async () => {
    const clock = new VirtualClock();
    const limiter = new ProviderLimiter({ clock, provider: 'p', requestsPerMinute: 10, tokensPerMinute: 100, queueTimeoutMs: 10 });
    await expect(limiter.run(() => 1, { tokens: 101 })).rejects.toMatchObject({ reason: 'over_capacity', limiter: 'p:tpm' });
    expect(limiter.requests?.available).toBe(10);
  });

  it('charges the token bucket for actual usage reported by the call', async () => {
    const clock = new VirtualClock();
    const limiter = new ProviderLimiter({ clock, provider: 'p', tokensPerMinute: 1000 });
    await limiter.run((ctx) => ctx.reportTokens(700), { tokens: 100 });
    expect(limiter.tokens?.available).toBeCloseTo(300);
  });
});
