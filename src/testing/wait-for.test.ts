/**
 * `waitFor`: it resolves with the condition's first truthy value (awaited, sync or async), takes
 * a throwing condition as "not yet", and past its deadline fails with `WaitTimeoutError` naming
 * what it waited for, the condition's source when no name was given, and the condition's last
 * error as the cause. Deadlines run on a virtual clock here: nothing sleeps.
 */
import { describe, expect, it } from 'vitest';
import { isWardenError } from '../runtime/index.ts';
import { VirtualClock, settle, waitFor, WaitTimeoutError } from './index.ts';

/** Let `turns` turns of the event loop pass. */
async function turns(n: number): Promise<void> {
  for (let i = 0; i < n; i++) await settle();
}

describe('waitFor', () => {
  it('resolves with the first truthy value once I/O has made the condition hold', async () => {
    const seen: string[] = [];
    setImmediate(() => setImmediate(() => seen.push('run.completed')));
    expect(await waitFor(() => seen.find((t) => t === 'run.completed'), 'the run completes')).toBe('run.completed');
  });

  it('awaits an async condition, and takes one that throws as not yet holding', async () => {
    let calls = 0;
    const value = await waitFor(async () => {
      if (++calls < 3) throw new Error('not there yet');
      return { calls };
    });
    expect(value).toEqual({ calls: 3 });
  });

  it('fails past its deadline with WAIT_TIMEOUT, naming what it waited for', async () => {
    const clock = new VirtualClock();
    const waiting = waitFor(() => false, { what: 'the mail to be sent', timeoutMs: 1_000, clock });
    const failed = waiting.then(
      () => undefined,
      (e: unknown) => e,
    );
    await turns(200); // past the turn-by-turn checks, into polling on the clock
    await clock.advance(999);
    await turns(5);
    expect(await Promise.race([failed, Promise.resolve('still waiting')])).toBe('still waiting');
    await clock.advance(1);
    const error = await failed;
    expect(error).toBeInstanceOf(WaitTimeoutError);
    expect(isWardenError(error, 'WAIT_TIMEOUT')).toBe(true);
    expect(error).toMatchObject({ what: 'the mail to be sent', timeoutMs: 1_000, message: 'waitFor: the mail to be sent did not happen within 1000 ms' });
  });

  it('names the condition by its source without a what, and carries its last error as the cause', async () => {
    const clock = new VirtualClock();
    const boom = new Error('store is closed');
    const failed = waitFor(
      () => {
        throw boom;
      },
      { timeoutMs: 0, clock },
    ).catch((e: unknown) => e);
    const error = (await failed) as WaitTimeoutError;
    expect(error.what).toMatch(/^\(\) => \{ throw boom; \}$/);
    expect(error.message).toBe(`waitFor: ${error.what} did not happen within 0 ms; the condition last threw: store is closed`);
    expect(error.cause).toBe(boom);
  });

  it.each([
    [{ timeoutMs: -1 }, 'waitFor: timeoutMs must be a finite number >= 0 (got -1)'],
    [{ pollMs: 0 }, 'waitFor: pollMs must be a finite number >= 1 (got 0)'],
    [{ timeoutMs: Number.NaN }, 'waitFor: timeoutMs must be a finite number >= 0 (got NaN)'],
  ])('refuses %j, naming the option and the value', async (options, message) => {
    await expect(waitFor(() => true, options)).rejects.toThrow(message);
  });
});
