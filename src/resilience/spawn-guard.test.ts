/** Spawn guard: join or refuse, release on every exit path, and the single-run property. */
import { describe, expect, it } from 'vitest';
import { startHarnessEvents } from '../testing/event-log.ts';
import fc from 'fast-check';
import { VirtualClock, settle } from '../runtime/index.ts';
import { InProcessSpawnKeyStore, SpawnConflictError, SpawnGuard } from './spawn-guard.ts';

function setup(maxHoldMs = 60_000) {
  const { clock, bus, events } = startHarnessEvents();
  const store = new InProcessSpawnKeyStore(clock);
  return { clock, events, store, guard: new SpawnGuard({ clock, bus, store, maxHoldMs }) };
}

describe('SpawnGuard', () => {
  it('lets a second start join the running one and get its result, running the work once', async () => {
    const { clock, guard } = setup(10 * 60_000);
    let runs = 0;
    const sync = () =>
      guard.run('memory-sync', async () => {
        runs++;
        await clock.sleep(4 * 60_000 - 1);
        return 'synced';
      });
    const a = sync();
    await clock.advance(1000);
    const b = sync();
    await clock.advance(4 * 60_000);
    await expect(Promise.all([a, b])).resolves.toEqual(['synced', 'synced']);
    expect(runs).toBe(1);
  });

  it('refuses a second start with SpawnConflictError when the caller asks', async () => {
    const { clock, guard, events } = setup();
    const a = guard.run('memory-sync', () => clock.sleep(100));
    const err = await guard.run('memory-sync', () => 'dup', { onConflict: 'refuse' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SpawnConflictError);
    expect(err).toMatchObject({ code: 'SPAWN_CONFLICT', key: 'memory-sync', heldElsewhere: false });
    expect(events.find((e) => e.type === 'spawn.refused')).toMatchObject({ key: 'memory-sync' });
    await clock.advance(100);
    await a;
  });

  it.each([
    ['success', () => Promise.resolve('ok')],
    ['a throw', () => Promise.reject(new Error('boom'))],
    [
      'a synchronous throw',
      () => {
        throw new Error('sync boom');
      },
    ],
  ])('releases the key after %s', async (_label, work) => {
    const { guard, store } = setup();
    await guard.run('k', work).catch(() => undefined);
    await settle();
    expect(guard.isRunning('k')).toBe(false);
    expect(store.keys()).toEqual([]);
    await expect(guard.run('k', () => 'again', { onConflict: 'refuse' })).resolves.toBe('again');
  });

  it('aborts the run only when every waiting caller has aborted, then releases the key', async () => {
    const { clock, guard, store } = setup();
    const a1 = new AbortController();
    const a2 = new AbortController();
    let runSignal: AbortSignal | undefined;
    const p1 = guard
      .run(
        'k',
        (ctx) => {
          runSignal = ctx.signal;
          return clock.sleep(10_000, ctx.signal);
        },
        { signal: a1.signal },
      )
      .catch((e: unknown) => e);
    const p2 = guard.run('k', () => 'unused', { signal: a2.signal }).catch((e: unknown) => e);
    await settle();
    a1.abort(new Error('first left'));
    expect(await p1).toMatchObject({ message: 'first left' });
    expect(runSignal?.aborted).toBe(false);
    a2.abort(new Error('second left'));
    expect(await p2).toMatchObject({ message: 'second left' });
    expect(runSignal?.aborted).toBe(true);
    await settle();
    expect(store.keys()).toEqual([]);
    expect(guard.isRunning('k')).toBe(false);
  });

  it('treats a run past maxHoldMs as hung: aborts it, fails its waiters with TimeoutError, frees the key', async () => {
    const { clock, guard, store, events } = setup(1000);
    const p = guard.run('k', () => new Promise(() => undefined)).catch((e: unknown) => e);
    await clock.advance(1000);
    expect(await p).toMatchObject({ code: 'TIMEOUT', timeoutMs: 1000 });
    expect(store.keys()).toEqual([]);
    expect(events.find((e) => e.type === 'spawn.finished')).toMatchObject({ outcome: 'expired' });
    await expect(guard.run('k', () => 'fresh', { onConflict: 'refuse' })).resolves.toBe('fresh');
  });

  it('refuses when another process holds the key in a shared store', async () => {
    const clock = new VirtualClock();
    const store = new InProcessSpawnKeyStore(clock);
    const here = new SpawnGuard({ clock, store });
    const there = new SpawnGuard({ clock, store });
    const a = here.run('k', () => clock.sleep(50));
    await settle();
    await expect(there.run('k', () => 'dup')).rejects.toMatchObject({ code: 'SPAWN_CONFLICT', heldElsewhere: true });
    await clock.advance(50);
    await a;
  });

  it('never runs two of one key at once, whatever the mix of joins, refusals, throws and aborts (property)', async () => {
    const op = fc.record({
      key: fc.constantFrom('a', 'b'),
      join: fc.boolean(),
      duration: fc.integer({ min: 0, max: 50 }),
      fails: fc.boolean(),
      abortAfter: fc.option(fc.integer({ min: 0, max: 60 }), { nil: undefined }),
      gap: fc.integer({ min: 0, max: 30 }),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(op, { maxLength: 25 }), async (ops) => {
        const clock = new VirtualClock();
        const guard = new SpawnGuard({ clock, maxHoldMs: 10_000 });
        const running = new Map<string, number>();
        let violated = false;
        const all: Promise<unknown>[] = [];
        for (const o of ops) {
          const ac = new AbortController();
          if (o.abortAfter !== undefined) clock.setTimer(o.abortAfter, () => ac.abort(new Error('abort')));
          all.push(
            guard
              .run(
                o.key,
                async (ctx) => {
                  const n = (running.get(o.key) ?? 0) + 1;
                  running.set(o.key, n);
                  if (n > 1) violated = true;
                  try {
                    await clock.sleep(o.duration, ctx.signal);
                    if (o.fails) throw new Error('fail');
                  } finally {
                    running.set(o.key, (running.get(o.key) ?? 1) - 1);
                  }
                },
                { onConflict: o.join ? 'join' : 'refuse', signal: ac.signal },
              )
              .catch(() => undefined),
          );
          await clock.advance(o.gap);
        }
        await clock.advance(20_000);
        await Promise.all(all);
        return !violated && !guard.isRunning('a') && !guard.isRunning('b');
      }),
      { numRuns: 150 },
    );
  });
});
