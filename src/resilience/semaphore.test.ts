/** Semaphore (bulkhead): concurrency cap, FIFO queue, queue limits, aborts and live resizing. */
import { describe, expect, it } from 'vitest';
import { startHarnessEvents } from '../testing/event-log.ts';
import { Semaphore } from './semaphore.ts';
import { RateLimitedError } from './rate-limited-error.ts';

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

function setup(options: ConstructorParameters<typeof Semaphore>[0] = {}) {
  const { clock, bus, events } = startHarnessEvents();
  return { clock, events, sem: new Semaphore({ clock, bus, name: 'llm', maxConcurrent: 2, maxQueue: 2, queueTimeoutMs: 1000, ...options }) };
}

describe('Semaphore', () => {
  it('runs at most maxConcurrent calls at once and lets waiters in first-come first-served', async () => {
    const { sem } = setup();
    const gates = [deferred(), deferred(), deferred(), deferred()];
    const order: number[] = [];
    let running = 0;
    let peak = 0;
    const calls = gates.map((g, i) =>
      sem.execute(async () => {
        order.push(i);
        peak = Math.max(peak, ++running);
        await g.promise;
        running--;
      }),
    );
    await Promise.resolve();
    expect(order).toEqual([0, 1]);
    expect(sem.waiting).toBe(2);
    gates[1]?.resolve();
    await calls[1];
    await Promise.resolve();
    expect(order).toEqual([0, 1, 2]);
    for (const g of gates) g.resolve();
    await Promise.all(calls);
    expect(order).toEqual([0, 1, 2, 3]);
    expect(peak).toBe(2);
    expect(sem.running).toBe(0);
  });

  it('refuses at once when the queue is full', async () => {
    const { sem, events } = setup({ maxConcurrent: 1, maxQueue: 1 });
    const gate = deferred();
    const a = sem.execute(() => gate.promise);
    const b = sem.execute(() => 'b');
    const err = await sem.execute(() => 'c').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RateLimitedError);
    expect(err).toMatchObject({ code: 'RATE_LIMITED', limiter: 'llm', kind: 'semaphore', reason: 'queue_full', retryable: true });
    expect(events.find((e) => e.type === 'limiter.rejected')).toMatchObject({ reason: 'queue_full', queued: 1 });
    gate.resolve();
    await a;
    await expect(b).resolves.toBe('b');
  });

  it('times a waiter out after queueTimeoutMs and frees its place', async () => {
    const { clock, sem } = setup({ maxConcurrent: 1 });
    const gate = deferred();
    const a = sem.execute(() => gate.promise);
    const b = sem.execute(() => 'b').catch((e: unknown) => e);
    await clock.advance(999);
    expect(sem.waiting).toBe(1);
    await clock.advance(1);
    expect(await b).toMatchObject({ reason: 'queue_timeout' });
    expect(sem.waiting).toBe(0);
    gate.resolve();
    await a;
    expect(sem.running).toBe(0);
  });

  it("removes an aborted waiter and rejects it with the signal's reason", async () => {
    const { sem } = setup({ maxConcurrent: 1 });
    const gate = deferred();
    const a = sem.execute(() => gate.promise);
    const ac = new AbortController();
    let ran = false;
    const b = sem.execute(() => (ran = true), ac.signal).catch((e: unknown) => e);
    ac.abort(new Error('nevermind'));
    expect(await b).toMatchObject({ message: 'nevermind' });
    gate.resolve();
    await a;
    expect(ran).toBe(false);
    expect(sem.running).toBe(0);
  });

  it('releases the permit when the work throws', async () => {
    const { sem } = setup({ maxConcurrent: 1 });
    await expect(sem.execute(() => Promise.reject(new Error('x')))).rejects.toThrow('x');
    expect(sem.running).toBe(0);
    const p = await sem.acquire();
    expect(sem.tryAcquire()).toBeUndefined();
    p.release();
    p.release();
    expect(sem.running).toBe(0);
  });

  it('lets waiters in when maxConcurrent is raised at run time', async () => {
    const { sem } = setup({ maxConcurrent: 1 });
    const gate = deferred();
    const a = sem.execute(() => gate.promise);
    let bRan = false;
    const b = sem.execute(() => (bRan = true));
    sem.configure({ maxConcurrent: 2 });
    await b;
    expect(bRan).toBe(true);
    expect(() => sem.configure({ maxConcurrent: 0 })).toThrow(/semaphore "llm": maxConcurrent must be >= 1 \(got 0\)/);
    expect(sem.config.maxConcurrent).toBe(2);
    gate.resolve();
    await a;
  });
});
