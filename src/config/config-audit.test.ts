/**
 * Every change and refusal of a HotConfig lands in the store's audit trail, in order, with the
 * fields it changed and secrets hidden: on SQLite and on Postgres.
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { VirtualClock, describeStores } from '../testing/index.ts';
import { HotConfig } from './index.ts';

const schema = z.strictObject({
  retry: z.strictObject({ maxAttempts: z.number().int().min(1) }),
  webhook: z.strictObject({ url: z.string().min(1) }),
});

describeStores(describe, 'config audit rows', (c) => {
  it('records each change and each refusal, in order, with secrets hidden', async () => {
    const t = await c.open();
    try {
      const clock = new VirtualClock({ startMs: 1_000 });
      const config = new HotConfig({
        name: 'app',
        schema,
        initial: { retry: { maxAttempts: 3 }, webhook: { url: 'https://hooks.example.com/T0/B0/first' } },
        clock,
        audit: t.store,
        actor: 'ops',
        secretPaths: ['webhook.url'],
      });
      await config.apply({ retry: { maxAttempts: 5 }, webhook: { url: 'https://hooks.example.com/T0/B0/second' } }, { source: 'file:/etc/app.json' });
      await clock.advance(10);
      await config.apply({ retry: { maxAttempts: 0 }, webhook: { url: 'x' } }, { actor: 'alice', reason: 'typo' }).catch(() => undefined);

      const rows = await t.store.listAudit({ subject: 'config:app' });
      expect(rows.map((r) => [r.action, r.actor, r.at])).toEqual([
        ['config.changed', 'ops', 1_000],
        ['config.rejected', 'alice', 1_010],
      ]);
      expect(rows[0]!.reason).toBe('from file:/etc/app.json');
      expect(rows[0]!.details).toEqual({
        version: 2,
        changed: ['retry.maxAttempts', 'webhook.url'],
        values: { 'retry.maxAttempts': 5, 'webhook.url': '[redacted]' },
      });
      expect(rows[1]!).toMatchObject({ reason: 'typo', details: { field: 'retry.maxAttempts', version: 2 } });
      expect(JSON.stringify(rows)).not.toContain('second');
    } finally {
      await t.cleanup();
    }
  });
});
