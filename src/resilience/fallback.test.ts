/** Ordered fallback across candidates. */
import { describe, expect, it } from 'vitest';
import { EventBus, VirtualClock, type WardenEvent } from '../runtime/index.ts';
import { Fallback, FallbackExhaustedError } from './fallback.ts';

const down = (name: string) => () => Promise.reject(new Error(`${name} down`));

describe('Fallback', () => {
  it('answers from the first candidate that succeeds, reporting the source and earlier failures', async () => {
    const bus = new EventBus(new VirtualClock());
    const events: WardenEvent[] = [];
    bus.onAny((e) => events.push(e));
    const calls: string[] = [];
    const fb = new Fallback<string, string>({
      name: 'chat',
      bus,
      candidates: [
        { name: 'gpt', run: () => (calls.push('gpt'), down('gpt')()) },
        { name: 'claude', run: (q) => (calls.push('claude'), `claude: ${q}`) },
        { name: 'local', run: () => (calls.push('local'), 'local') },
      ],
    });
    const r = await fb.execute('hi');
    expect(r).toMatchObject({ value: 'claude: hi', source: 'claude', index: 1 });
    expect(r.failures.map((f) => f.source)).toEqual(['gpt']);
    expect(calls).toEqual(['gpt', 'claude']);
    expect(events.find((e) => e.type === 'fallback.used')).toMatchObject({ policy: 'chat', source: 'claude', failures: 1 });
  });

  it('throws FallbackExhaustedError listing every failure when all candidates fail', async () => {
    const fb = new Fallback<void, string>({
      candidates: [
        { name: 'a', run: down('a') },
        { name: 'b', run: down('b') },
      ],
    });
    const err = await fb.execute().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FallbackExhaustedError);
    expect((err as FallbackExhaustedError).failures.map((f) => f.source)).toEqual(['a', 'b']);
    expect(err).toMatchObject({ code: 'FALLBACK_EXHAUSTED' });
  });

  it('does not fall back when the caller aborted or shouldFallBack says no', async () => {
    const ac = new AbortController();
    let second = false;
    const fb = new Fallback<void, string>({
      candidates: [
        { name: 'a', run: () => (ac.abort(), Promise.reject(new Error('aborted'))) },
        { name: 'b', run: () => ((second = true), 'b') },
      ],
    });
    await expect(fb.execute(undefined, ac.signal)).rejects.toThrow('aborted');
    const strict = new Fallback<void, string>({
      shouldFallBack: () => false,
      candidates: [
        { name: 'a', run: down('a') },
        { name: 'b', run: () => 'b' },
      ],
    });
    await expect(strict.execute()).rejects.toThrow('a down');
    expect(second).toBe(false);
  });

  it('passes over candidates listed in skip, changeable at run time', async () => {
    const fb = new Fallback<void, string>({
      candidates: [
        { name: 'a', run: () => 'a' },
        { name: 'b', run: () => 'b' },
      ],
    });
    fb.configure({ skip: ['a'] });
    await expect(fb.execute()).resolves.toMatchObject({ value: 'b', index: 1 });
    expect(() => fb.configure({ skip: 'a' as never })).toThrow(/skip must be an array/);
    expect(() => new Fallback({ candidates: [] })).toThrow(/candidates must have at least 1 item/);
    expect(
      () =>
        new Fallback({
          candidates: [
            { name: 'a', run: () => 1 },
            { name: 'a', run: () => 2 },
          ],
        }),
    ).toThrow(/candidates\[1\].name must be unique/);
  });
});
