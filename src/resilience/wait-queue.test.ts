/** The bounded FIFO wait queue shared by the semaphore, the token bucket and resource locks. */
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../runtime/index.ts';
import { WaitQueue } from './wait-queue.ts';

describe('WaitQueue', () => {
  it('grants waiters strictly in arrival order', async () => {
    const q = new WaitQueue<string>(new VirtualClock());
    const order: string[] = [];
    const all = ['a', 'b', 'c'].map((x) => q.wait(x, Infinity, undefined, () => new Error('t')).then(() => order.push(x)));
    expect([...q].map((w) => w.data)).toEqual(['a', 'b', 'c']);
    while (q.grantHead());
    await Promise.all(all);
    expect(order).toEqual(['a', 'b', 'c']);
    expect(q.length).toBe(0);
  });

  it('removes a timed-out or aborted waiter once, and calls onLeave after removing it', async () => {
    const clock = new VirtualClock();
    const q = new WaitQueue<string>(clock);
    const left: number[] = [];
    const t = q
      .wait(
        't',
        100,
        undefined,
        (w) => new Error(`timeout ${w.data}`),
        () => left.push(q.length),
      )
      .catch((e: unknown) => e);
    const ac = new AbortController();
    const a = q
      .wait(
        'a',
        Infinity,
        ac.signal,
        () => new Error('never'),
        () => left.push(q.length),
      )
      .catch((e: unknown) => e);
    ac.abort(new Error('stop'));
    expect(await a).toMatchObject({ message: 'stop' });
    await clock.advance(100);
    expect(await t).toMatchObject({ message: 'timeout t' });
    expect(left).toEqual([1, 0]);
    expect(clock.pendingTimers()).toBe(0);
    expect(q.grantHead()).toBe(false);
  });

  it('cancels the timer of a granted waiter', async () => {
    const clock = new VirtualClock();
    const q = new WaitQueue<number>(clock);
    const p = q.wait(1, 500, undefined, () => new Error('t'));
    q.grantHead();
    await p;
    expect(clock.pendingTimers()).toBe(0);
  });

  it('rejects a chosen waiter and leaves the others in place', async () => {
    const q = new WaitQueue<string>(new VirtualClock());
    const a = q.wait('a', Infinity, undefined, () => new Error('t'));
    const b = q.wait('b', Infinity, undefined, () => new Error('t')).catch((e: unknown) => e);
    const victim = [...q][1];
    if (victim !== undefined) q.rejectWaiter(victim, new Error('victim'));
    expect(await b).toMatchObject({ message: 'victim' });
    expect([...q].map((w) => w.data)).toEqual(['a']);
    q.grantHead();
    await a;
  });
});
