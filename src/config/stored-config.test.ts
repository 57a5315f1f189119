/**
 * The store as a config source, on SQLite and Postgres: a value published by one follower reaches
 * another following the same name at its next poll (the other node of a cluster), a bad value is
 * refused before anything is written, and a revision one follower's bound policy refuses leaves
 * that follower on its old value.
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { Retry } from '../resilience/index.ts';
import { EventBus, VirtualClock } from '../runtime/index.ts';
import { describeStores, thrownBy } from '../testing/index.ts';
import { HotConfig, watchStoredConfig } from './index.ts';

const schema = z.strictObject({ model: z.string().min(1), retry: z.strictObject({ maxAttempts: z.number().int() }) });
const initial = { model: 'sim-small', retry: { maxAttempts: 3 } };

describeStores(describe, 'config in the store', (c) => {
  it('publishes from one follower to another at its next poll, and refuses a bad value before writing', async () => {
    const t = await c.open();
    const clock = new VirtualClock();
    const bus = new EventBus(clock);
    try {
      const a = new HotConfig({ name: 'company', schema, initial, clock });
      const b = new HotConfig({ name: 'company', schema, initial: { model: 'other', retry: { maxAttempts: 1 } }, clock, bus });
      const retryOnB = new Retry({ name: 'calls' });
      b.bind('retry', retryOnB);
      const onA = await watchStoredConfig(a, t.store, { clock, pollIntervalMs: 1000 });
      expect(onA.revision).toBe(1); // nothing stored yet: a's value is
      const onB = await watchStoredConfig(b, t.store, { clock, pollIntervalMs: 1000 });
      expect(b.current).toEqual(initial); // b took the stored value at start
      expect(retryOnB.config.maxAttempts).toBe(3);

      const stored = await onA.publish({ model: 'sim-large', retry: { maxAttempts: 5 } }, { actor: 'alice' });
      expect(stored).toMatchObject({ revision: 2, updatedBy: 'alice' });
      expect(a.current.model).toBe('sim-large');
      const changed = bus.next('config.changed');
      await clock.advance(1000);
      expect(await changed).toMatchObject({ source: 'store', actor: 'alice', changed: ['model', 'retry.maxAttempts'] });
      expect(retryOnB.config.maxAttempts).toBe(5);

      await expect(onA.publish({ model: '', retry: { maxAttempts: 5 } })).rejects.toMatchObject({ code: 'INVALID_SPEC', path: 'model' });
      expect(onA.revision).toBe(2);

      // Valid for the schema, refused by b's bound policy: b keeps its value, a moves on.
      await onA.publish({ model: 'sim-large', retry: { maxAttempts: 0 } });
      const rejected = bus.next('config.rejected');
      await clock.advance(1000);
      expect(await rejected).toMatchObject({ source: 'store', field: 'retry.maxAttempts' });
      expect(b.current.retry.maxAttempts).toBe(5);
      expect(onB.revision).toBe(3);
      onA.close();
      onB.close();
    } finally {
      await t.cleanup();
    }
  });
});

describe('watchStoredConfig', () => {
  it('refuses bad options naming the field', async () => {
    const config = new HotConfig({ name: 'x', schema, initial });
    const error = await watchStoredConfig(config, {} as never, { pollIntervalMs: -5 }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'INVALID_SPEC', path: 'pollIntervalMs' });
    expect(thrownBy(() => config.check({ ...initial, model: 7 }))).toMatchObject({ path: 'model' });
  });
});
