/** The degradation ladder: primary, fallback, cache, static answer and queue, each reported. */
import { describe, expect, it } from 'vitest';
import { startHarnessEvents } from '../testing/event-log.ts';
import { VirtualClock, type WardenEvent } from '../runtime/index.ts';
import { DegradationLadder } from './degradation.ts';
import { InProcessResultCache } from './result-cache.ts';

function ladder(primaryUp: { value: boolean }, fallbackUp: { value: boolean }) {
  const { clock, bus, events } = startHarnessEvents(1000);
  const cache = new InProcessResultCache<string>({ clock });
  const queued: string[] = [];
  const l = new DegradationLadder<{ q: string }, string, { ticket: number }>({
    name: 'answer',
    bus,
    primary: ({ q }) => (primaryUp.value ? `opus: ${q}` : Promise.reject(Object.assign(new Error('529'), { status: 529 }))),
    fallbacks: [{ name: 'haiku', run: ({ q }) => (fallbackUp.value ? `haiku: ${q}` : Promise.reject(new Error('haiku down'))) }],
    cache,
    staticAnswer: () => 'We are busy; try again in a few minutes.',
    queue: ({ q }) => ({ ticket: queued.push(q) }),
  });
  return { l, clock, cache, events, queued };
}

describe('DegradationLadder', () => {
  it('reports the level of every answer as it steps down primary → fallback → cache → static → queued', async () => {
    const primary = { value: true };
    const fallback = { value: true };
    const { l, events } = ladder(primary, fallback);
    await expect(l.execute({ q: 'a' })).resolves.toMatchObject({ level: 'primary', value: 'opus: a' });
    primary.value = false;
    await expect(l.execute({ q: 'b' })).resolves.toMatchObject({ level: 'fallback', value: 'haiku: b', source: 'haiku' });
    fallback.value = false;
    const cached = await l.execute({ q: 'a' });
    expect(cached).toMatchObject({ level: 'cache', value: 'opus: a', storedAt: 1000 });
    expect(cached.failures.map((f) => f.source)).toEqual(['primary', 'haiku']);
    await expect(l.execute({ q: 'never asked' })).resolves.toMatchObject({ level: 'static', value: expect.stringContaining('busy') });
    expect(events.filter((e) => e.type === 'degradation.degraded').map((e) => (e as WardenEvent<'degradation.degraded'>).level)).toEqual([
      'fallback',
      'cache',
      'static',
    ]);
  });

  it('queues the input for later when nothing else can answer, returning the ticket', async () => {
    const clock = new VirtualClock();
    const l = new DegradationLadder<string, string, string>({
      primary: () => Promise.reject(new Error('down')),
      queue: (q) => `ticket-for-${q}`,
    });
    void clock;
    const r = await l.execute('x');
    expect(r).toMatchObject({ level: 'queued', ticket: 'ticket-for-x', source: 'queue' });
  });

  it('skips levels named in skip at run time, forcing degraded mode', async () => {
    const { l } = ladder({ value: true }, { value: true });
    l.configure({ skip: ['primary'] });
    await expect(l.execute({ q: 'z' })).resolves.toMatchObject({ level: 'fallback' });
    expect(() => l.configure({ skip: [1] as never })).toThrow(/skip\[0\] must be a string/);
  });

  it("throws FallbackExhaustedError when every level fails and rethrows the caller's abort at once", async () => {
    const l = new DegradationLadder<string, string>({ primary: () => Promise.reject(new Error('p')) });
    await expect(l.execute('x')).rejects.toMatchObject({ code: 'FALLBACK_EXHAUSTED' });
    const ac = new AbortController();
    let fellBack = false;
    const l2 = new DegradationLadder<string, string>({
      primary: () => (ac.abort(), Promise.reject(new Error('stopped'))),
      staticAnswer: () => ((fellBack = true), 's'),
    });
    await expect(l2.execute('x', ac.signal)).rejects.toThrow('stopped');
    expect(fellBack).toBe(false);
  });
});
