/** Poison quarantine: crash counting, quarantine, listing and release. */
import { describe, expect, it } from 'vitest';
import { startHarnessEvents } from '../testing/event-log.ts';
import { isWardenError } from '../runtime/index.ts';
import { InProcessQuarantineStore, Quarantine, QuarantinedError } from './quarantine.ts';

const bug = () => {
  throw new TypeError("Cannot read properties of undefined (reading 'text')");
};

function setup(options: ConstructorParameters<typeof Quarantine>[0] = {}) {
  const { clock, bus, events } = startHarnessEvents();
  return { clock, events, q: new Quarantine({ clock, bus, maxCrashes: 3, ...options }) };
}

describe('Quarantine', () => {
  it('quarantines an input after maxCrashes crashes and then refuses it without calling the handler', async () => {
    const { q, events } = setup();
    const input = { id: 7, body: 'poison' };
    let calls = 0;
    const handler = () => {
      calls++;
      bug();
    };
    await expect(q.run(input, handler)).rejects.toBeInstanceOf(TypeError);
    await expect(q.run(input, handler)).rejects.toBeInstanceOf(TypeError);
    const third = await q.run(input, handler).catch((e: unknown) => e);
    expect(third).toBeInstanceOf(QuarantinedError);
    expect((third as QuarantinedError).cause).toBeInstanceOf(TypeError);
    expect(third).toMatchObject({ code: 'QUARANTINED', key: q.keyOf(input), crashes: 3, retryable: false });
    const fourth = await q.run({ body: 'poison', id: 7 }, handler).catch((e: unknown) => e);
    expect(isWardenError(fourth, 'QUARANTINED')).toBe(true);
    expect(calls).toBe(3);
    expect(events.map((e) => e.type).filter((t) => t.startsWith('quarantine.'))).toEqual([
      'quarantine.crash_recorded',
      'quarantine.crash_recorded',
      'quarantine.crash_recorded',
      'quarantine.quarantined',
      'quarantine.refused',
    ]);
  });

  it('lists quarantined inputs with their last error, and release() lets them run again', async () => {
    const { q } = setup({ maxCrashes: 1 });
    await q.run('bad', bug).catch(() => undefined);
    const [record] = await q.list();
    expect(record).toMatchObject({ key: q.keyOf('bad'), crashes: 1, preview: 'bad', lastError: { name: 'TypeError' } });
    expect(await q.release(q.keyOf('bad'))).toBe(true);
    await expect(q.run('bad', () => 'fixed')).resolves.toBe('fixed');
    expect(await q.list({ all: true })).toEqual([]);
  });

  it("does not count transient failures or the caller's abort as crashes", async () => {
    const { q } = setup({ maxCrashes: 1 });
    await q.run('x', () => Promise.reject(Object.assign(new Error('503'), { status: 503 }))).catch(() => undefined);
    const ac = new AbortController();
    ac.abort();
    await q.run('x', bug, ac.signal).catch(() => undefined);
    expect(await q.isQuarantined(q.keyOf('x'))).toBe(false);
    expect(await q.list({ all: true })).toEqual([]);
  });

  it('clears the crash count on a success and forgets crashes older than crashWindowMs', async () => {
    const { q, clock } = setup({ crashWindowMs: 1000 });
    await q.run('m', bug).catch(() => undefined);
    await q.run('m', bug).catch(() => undefined);
    await q.run('m', () => 'ok');
    expect(await q.list({ all: true })).toEqual([]);
    await q.run('m', bug).catch(() => undefined);
    await q.run('m', bug).catch(() => undefined);
    await clock.advance(1001);
    await q.run('m', bug).catch(() => undefined);
    expect((await q.list({ all: true }))[0]).toMatchObject({ crashes: 1 });
  });

  it('counts every one of many concurrent crashes of one input', async () => {
    const store = new InProcessQuarantineStore();
    const { q } = setup({ store, maxCrashes: 10 });
    await Promise.all(Array.from({ length: 5 }, () => q.run('same', bug).catch(() => undefined)));
    expect((await store.get(q.keyOf('same')))?.crashes).toBe(5);
  });

  it('validates options', () => {
    expect(() => new Quarantine({ maxCrashes: 0 })).toThrow(/quarantine: maxCrashes must be >= 1 \(got 0\)/);
    expect(() => new Quarantine({ store: {} as never })).toThrow(/store must be a QuarantineStore/);
  });
});
