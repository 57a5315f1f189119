/**
 * Real crashes: a worker process runs a durable mail batch against a local HTTP mail service
 * and is SIGKILLed at points chosen by fast-check (while a step runs, right after a journal
 * commit, or while the mail service holds a send), then restarted, on SQLite and on Postgres.
 * Whatever the points, the run completes, every mail is delivered exactly once and never re-sent,
 * no journal entry is lost and no step runs again after it was journaled (see
 * test/support/crash-harness.ts). The long version is `npm run chaos:durable`.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { killAndRestart, type KillPoint } from './support/crash-harness.ts';
import { withStores } from '../src/testing/index.ts';

const killPoint: fc.Arbitrary<KillPoint> = fc.record({
  on: fc.constantFrom('exec' as const, 'journaled' as const, 'mail' as const),
  n: fc.integer({ min: 1, max: 6 }),
});

for (const c of withStores()) {
  describe.skipIf(c.skip)(`kill -9 of a durable run: ${c.title}`, () => {
    it('completes every run with each mail delivered once, whatever points the worker is killed at (property)', async () => {
      let kills = 0;
      await fc.assert(
        fc.asyncProperty(fc.array(killPoint, { minLength: 1, maxLength: 2 }), async (points) => {
          const loc = c.location();
          try {
            kills += (await killAndRestart(loc, points)).kills;
          } finally {
            await loc.drop();
          }
        }),
        { numRuns: 20, seed: c.kind === 'sqlite' ? 7 : 11 },
      );
      // The points were reached: the property did kill workers, not just run them.
      expect(kills).toBeGreaterThanOrEqual(5);
    }, 240_000);

    it('delivers a mail once when the worker dies while the mail service holds its send', async () => {
      const loc = c.location();
      try {
        const r = await killAndRestart(loc, [{ on: 'mail', n: 2 }]);
        expect(r).toEqual({ kills: 1, processes: 2 });
      } finally {
        await loc.drop();
      }
    }, 60_000);
  });
}
