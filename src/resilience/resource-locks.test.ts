/** Resource locks: FIFO, capacity, timeouts, deadlock refusal, global order, and the no-surviving-deadlock property. */
import { describe, expect, it } from 'vitest';
import { startHarnessEvents } from '../testing/event-log.ts';
import fc from 'fast-check';
import { VirtualClock, settle } from '../runtime/index.ts';
import { DeadlockDetectedError, ResourceManager, ResourceTimeoutError } from './resource-locks.ts';

function setup(options: ConstructorParameters<typeof ResourceManager>[0] = {}) {
  const { clock, bus, events } = startHarnessEvents();
  return { clock, events, rm: new ResourceManager({ clock, bus, acquireTimeoutMs: 5000, ...options }) };
}

describe('ResourceManager', () => {
  it('gives a mutex to one holder at a time, then to waiters in arrival order', async () => {
    const { rm } = setup();
    const a = await rm.acquire('agent-a', 'memory-write');
    const order: string[] = [];
    const b = rm.acquire('agent-b', 'memory-write').then((l) => (order.push('b'), l));
    const c = rm.acquire('agent-c', 'memory-write').then((l) => (order.push('c'), l));
    await settle();
    expect(order).toEqual([]);
    a.release();
    (await b).release();
    (await c).release();
    expect(order).toEqual(['b', 'c']);
    expect(rm.holdersOf('memory-write').size).toBe(0);
  });

  it('lets up to capacity holders in at once', async () => {
    const { rm } = setup({ resources: { quota: { capacity: 2 } } });
    await rm.acquire('a', 'quota');
    await rm.acquire('b', 'quota');
    let third = false;
    void rm.acquire('c', 'quota').then(() => (third = true));
    await settle();
    expect(third).toBe(false);
    expect([...rm.holdersOf('quota').keys()]).toEqual(['a', 'b']);
  });

  it('fails a wait with ResourceTimeoutError after the acquire timeout, naming the holder', async () => {
    const { rm, clock, events } = setup();
    await rm.acquire('a', 'files');
    const p = rm.acquire('b', 'files', { timeoutMs: 300 }).catch((e: unknown) => e);
    await clock.advance(300);
    const err = await p;
    expect(err).toBeInstanceOf(ResourceTimeoutError);
    expect(err).toMatchObject({ code: 'RESOURCE_TIMEOUT', resource: 'files', holder: 'b', heldBy: ['a'], timeoutMs: 300 });
    expect(events.find((e) => e.type === 'resource.timed_out')).toMatchObject({ resource: 'files' });
  });

  it('refuses the wait that would close a cycle with DeadlockDetectedError naming resources and holders', async () => {
    const { rm, events } = setup();
    const a = await rm.acquire('agent-a', 'memory');
    const b = await rm.acquire('agent-b', 'files');
    const aWaits = rm.acquire('agent-a', 'files');
    const err = await rm.acquire('agent-b', 'memory').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeadlockDetectedError);
    expect(err).toMatchObject({ code: 'DEADLOCK_DETECTED', holder: 'agent-b', resource: 'memory', retryable: true });
    expect((err as DeadlockDetectedError).cycle).toEqual([
      { holder: 'agent-b', waitsFor: 'memory', blockedBy: 'agent-a', relation: 'holds' },
      { holder: 'agent-a', waitsFor: 'files', blockedBy: 'agent-b', relation: 'holds' },
    ]);
    expect(events.find((e) => e.type === 'deadlock.detected')).toMatchObject({ holder: 'agent-b' });
    b.release(); // the victim backs off; agent-a proceeds
    (await aWaits).release();
    a.release();
  });

  it('refuses a holder waiting for a mutex it already holds', async () => {
    const { rm } = setup();
    await rm.acquire('a', 'r');
    await expect(rm.acquire('a', 'r')).rejects.toMatchObject({
      code: 'DEADLOCK_DETECTED',
      cycle: [{ holder: 'a', waitsFor: 'r', blockedBy: 'a', relation: 'holds' }],
    });
  });

  it('does not report a deadlock when another holder of a shared resource can still free a unit', async () => {
    const { rm } = setup({ resources: { pool: { capacity: 2 } } });
    await rm.acquire('a', 'x');
    await rm.acquire('a', 'pool');
    const c = await rm.acquire('c', 'pool'); // c is running and will release
    const bWaitsPool = rm.acquire('b', 'pool');
    void bWaitsPool;
    await expect(Promise.race([rm.acquire('a', 'pool').then(() => 'got'), settle().then(() => 'waiting')])).resolves.toBe('waiting');
    c.release();
    await bWaitsPool;
  });

  it('acquireAll takes resources in one global order, all or none', async () => {
    const { rm, clock } = setup({ resources: { b: { rank: 1 }, a: { rank: 2 } } });
    const lease = await rm.acquireAll('x', ['a', 'b']);
    expect(lease.resources).toEqual(['b', 'a']);
    lease.release();
    await rm.acquire('holder', 'a');
    const p = rm.acquireAll('y', ['a', 'b'], { timeoutMs: 100 }).catch((e: unknown) => e);
    await clock.advance(100);
    expect(await p).toBeInstanceOf(ResourceTimeoutError);
    expect(rm.holdersOf('b').size).toBe(0); // what it took first was given back
  });

  it('run() releases on every exit path', async () => {
    const { rm } = setup();
    await expect(rm.run('a', ['r1', 'r2'], () => Promise.reject(new Error('x')))).rejects.toThrow('x');
    expect(rm.holdersOf('r1').size + rm.holdersOf('r2').size).toBe(0);
    await expect(rm.run('a', ['r1'], () => 5)).resolves.toBe(5);
    expect(rm.holdersOf('r1').size).toBe(0);
    await expect(rm.acquire('', 'r')).rejects.toThrow(/holder must be a non-empty string/);
  });
});

describe('ResourceManager properties', () => {
  it('leaves no deadlock standing: every holder finishes, whatever order they take resources in', async () => {
    const script = fc.array(fc.constantFrom('r1', 'r2', 'r3', 'pool'), { minLength: 1, maxLength: 4 });
    await fc.assert(
      fc.asyncProperty(
        fc.array(script, { minLength: 1, maxLength: 5 }),
        fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 20 }),
        async (scripts, yields) => {
          const clock = new VirtualClock();
          const rm = new ResourceManager({ clock, acquireTimeoutMs: Infinity, resources: { pool: { capacity: 2 } } });
          const finished: boolean[] = scripts.map(() => false);
          let y = 0;
          const runs = scripts.map(async (steps, i) => {
            const holder = `h${i}`;
            const leases = [];
            try {
              for (const r of steps) {
                leases.push(await rm.acquire(holder, r));
                for (let k = yields[y++ % Math.max(1, yields.length)] ?? 0; k > 0; k--) await Promise.resolve();
              }
            } catch (e) {
              if (!(e instanceof DeadlockDetectedError)) throw e;
            } finally {
              for (const l of leases.reverse()) l.release();
              finished[i] = true;
            }
          });
          for (let i = 0; i < 20; i++) await settle();
          await Promise.race([Promise.all(runs), settle()]);
          return finished.every(Boolean);
        },
      ),
      { numRuns: 300 },
    );
  });
});
