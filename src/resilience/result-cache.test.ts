/** The in-process result cache behind the degradation ladder's cache level. */
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../runtime/index.ts';
import { InProcessResultCache } from './result-cache.ts';

describe('InProcessResultCache', () => {
  it('evicts the least recently used entry and ages entries out on the clock', async () => {
    const clock = new VirtualClock();
    const c = new InProcessResultCache<number>({ clock, maxEntries: 2, ttlMs: 100 });
    c.set('a', 1);
    c.set('b', 2);
    c.get('a');
    c.set('c', 3);
    expect(c.get('b')).toBeUndefined();
    expect(c.get('a')?.value).toBe(1);
    await clock.advance(100);
    expect(c.get('a')).toBeUndefined();
  });
});
