/**
 * HotConfig on its own: bound policies follow a change, a bad value is refused naming the field
 * with the old value kept, a target that refuses rolls the whole change back, flags and patches,
 * and bad options.
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { Budget, Retry, Timeout } from '../resilience/index.ts';
import { startHarnessEvents } from '../testing/event-log.ts';
import { thrownBy } from '../testing/index.ts';
import { HotConfig } from './index.ts';

const schema = z.strictObject({
  flags: z.strictObject({ newPlanner: z.boolean() }),
  retry: z.strictObject({ maxAttempts: z.number().int().min(1) }),
  timeout: z.strictObject({ timeoutMs: z.number().min(0) }),
  budget: z.strictObject({ limits: z.strictObject({ usd: z.number().min(0) }) }),
  model: z.string().min(1),
});
type AppConfig = z.infer<typeof schema>;
const initial: AppConfig = {
  flags: { newPlanner: false },
  retry: { maxAttempts: 3 },
  timeout: { timeoutMs: 1000 },
  budget: { limits: { usd: 5 } },
  model: 'gpt-small',
};

/** What `promise` rejects with (`undefined` if it resolves). */
function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => undefined,
    (error: unknown) => error,
  );
}

function setup() {
  const h = startHarnessEvents();
  const config = new HotConfig({ name: 'app', schema, initial, clock: h.clock, bus: h.bus });
  return { ...h, config };
}

describe('a change', () => {
  it('reaches the policies and budget bound to it, and reports the fields it changed', async () => {
    const { config, of } = setup();
    const retry = new Retry({ name: 'search' });
    const budget = new Budget({ scope: 'global' });
    config.bind('retry', retry);
    config.bind('budget', budget);
    expect(retry.config.maxAttempts).toBe(3);
    expect(budget.config.limits.usd).toBe(5);

    const change = await config.apply({ ...initial, retry: { maxAttempts: 6 }, budget: { limits: { usd: 20 } } }, { source: 'test' });
    expect(change.changed).toEqual(['retry.maxAttempts', 'budget.limits.usd']);
    expect(retry.config.maxAttempts).toBe(6);
    expect(budget.config.limits.usd).toBe(20);
    expect(config.version).toBe(2);
    expect(of('config.changed')).toMatchObject([{ config: 'app', source: 'test', version: 2, changed: ['retry.maxAttempts', 'budget.limits.usd'] }]);
  });

  it('tells a watcher only when its part changes, with the old and new value', async () => {
    const { config } = setup();
    const seen: [string, string][] = [];
    config.watch(
      (c) => c.model,
      (model, previous) => seen.push([previous, model]),
    );
    await config.patch({ flags: { newPlanner: true } });
    await config.patch({ model: 'gpt-large' });
    expect(seen).toEqual([['gpt-small', 'gpt-large']]);
    expect(config.isEnabled('flags.newPlanner')).toBe(true);
    expect(config.get('model')).toBe('gpt-large');
  });

  it('is a no-op when the value is already in force', async () => {
    const { config, of } = setup();
    const change = await config.apply(structuredClone(initial));
    expect(change.changed).toEqual([]);
    expect(config.version).toBe(1);
    expect(of('config.changed')).toEqual([]);
  });

  it('keeps the value in force frozen', () => {
    const { config } = setup();
    expect(() => {
      (config.current.retry as { maxAttempts: number }).maxAttempts = 99;
    }).toThrow(TypeError);
  });
});

describe('a bad value', () => {
  it('is refused naming the field, and the old value stays', async () => {
    const { config, of } = setup();
    const retry = new Retry({ name: 'search' });
    config.bind('retry', retry);
    const error = await rejectionOf(config.apply({ ...initial, retry: { maxAttempts: 0 } }));
    expect(error).toMatchObject({ code: 'INVALID_SPEC', path: 'retry.maxAttempts', value: 0 });
    expect((error as Error).message).toContain('retry.maxAttempts must be >= 1 (got 0)');
    expect(config.current.retry.maxAttempts).toBe(3);
    expect(retry.config.maxAttempts).toBe(3);
    expect(config.version).toBe(1);
    expect(of('config.rejected')).toMatchObject([{ config: 'app', field: 'retry.maxAttempts', version: 1 }]);
  });

  it('refused by a bound policy rolls back the targets already told and names the field inside the policy', async () => {
    const h = startHarnessEvents();
    const loose = z.object({ timeout: z.object({ timeoutMs: z.number() }), retry: z.object({ maxAttempts: z.number() }) });
    const config = new HotConfig({ name: 'loose', schema: loose, initial: { timeout: { timeoutMs: 1000 }, retry: { maxAttempts: 3 } }, bus: h.bus });
    const timeout = new Timeout({ name: 't' });
    const retry = new Retry({ name: 'r' });
    config.bind('timeout', timeout); // told first
    config.bind('retry', retry); // refuses maxAttempts 0
    const error = await rejectionOf(config.apply({ timeout: { timeoutMs: 50 }, retry: { maxAttempts: 0 } }));
    expect(error).toMatchObject({ code: 'INVALID_SPEC', path: 'retry.maxAttempts' });
    expect(timeout.config.timeoutMs).toBe(1000);
    expect(retry.config.maxAttempts).toBe(3);
    expect(config.current).toEqual({ timeout: { timeoutMs: 1000 }, retry: { maxAttempts: 3 } });
    expect(h.of('config.rejected')).toMatchObject([{ field: 'retry.maxAttempts' }]);
  });

  it('under a secret path is never shown', async () => {
    const secretSchema = z.strictObject({ webhook: z.strictObject({ token: z.string().min(8) }) });
    const config = new HotConfig({ name: 's', schema: secretSchema, initial: { webhook: { token: 'initial-secret-1' } }, secretPaths: ['webhook.token'] });
    const error = await rejectionOf(config.apply({ webhook: { token: 'short' } }));
    expect(error).toMatchObject({ code: 'INVALID_SPEC', path: 'webhook.token' });
    expect(JSON.stringify(error)).not.toContain('short');
    expect((error as Error).message).not.toContain('short');
  });
});

describe('options', () => {
  it.each<[string, Record<string, unknown>, string]>([
    ['an empty name', { name: '' }, 'name'],
    ['a schema that is not one', { schema: 42 }, 'schema'],
    ['a bad initial value', { initial: { ...initial, model: '' } }, 'model'],
    ['an unknown field in the initial value', { initial: { ...initial, extra: 1 } }, 'extra'],
  ])('refuses %s naming the field', (_, override, path) => {
    const error = thrownBy(() => new HotConfig({ name: 'app', schema, initial, ...override } as never));
    expect(error).toMatchObject({ code: 'INVALID_SPEC', path });
  });

  it('refuses binding a target that refuses the part in force, naming the field', () => {
    const loose = z.object({ retry: z.object({ maxAttempts: z.number() }) });
    const config = new HotConfig({ name: 'l', schema: loose, initial: { retry: { maxAttempts: -1 } } });
    expect(thrownBy(() => config.bind('retry', new Retry()))).toMatchObject({ code: 'INVALID_SPEC', path: 'retry.maxAttempts' });
  });
});
