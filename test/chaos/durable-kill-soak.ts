/**
 * Soak version of test/durable-crash.test.ts: many more kill-and-restart runs of the durable
 * mail batch, with up to four kills per run and longer batches, on SQLite and (when
 * WARDEN_TEST_DATABASE_URL is set) Postgres. Seeded, so a failure replays exactly.
 *
 *   npm run chaos:durable                       # 200 runs per store
 *   npm run chaos:durable -- --runs 1000 --seed 3
 */
import fc from 'fast-check';
import { parseArgs } from 'node:util';
import { killAndRestart, type KillPoint } from '../support/crash-harness.ts';
import { withStores } from '../../src/testing/index.ts';

const { values } = parseArgs({ options: { runs: { type: 'string' }, seed: { type: 'string' } }, strict: true });
const runs = Number(values.runs ?? 200);
const seed = Number(values.seed ?? Date.now() % 100_000);
if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs must be an integer >= 1 (got ${values.runs})`);

const recipients = ['ada', 'bob', 'cy', 'dee', 'eve'];
const killPoint: fc.Arbitrary<KillPoint> = fc.record({
  on: fc.constantFrom('exec' as const, 'journaled' as const, 'mail' as const),
  n: fc.integer({ min: 1, max: recipients.length * 2 }),
});

let failed = 0;
const stores = withStores();
for (const c of stores) {
  if (c.skip) {
    console.log(`${c.title}: skipped`);
    continue;
  }
  let kills = 0;
  let processes = 0;
  const result = await fc.check(
    fc.asyncProperty(fc.array(killPoint, { minLength: 1, maxLength: 4 }), async (points) => {
      const loc = c.location();
      try {
        const r = await killAndRestart(loc, points, recipients);
        kills += r.kills;
        processes += r.processes;
      } finally {
        await loc.drop();
      }
    }),
    { numRuns: runs, seed },
  );
  if (result.failed) {
    failed++;
    console.log(`${c.kind}: FAILED (seed ${seed})\n${fc.defaultReportMessage(result) ?? ''}`);
  } else {
    console.log(`${c.kind}: ${runs} runs, ${kills} kills, ${processes} worker processes, all invariants held (seed ${seed})`);
  }
}
console.log(`${stores.filter((c) => c.skip === false).length - failed} passed, ${failed} failed`);
process.exitCode = failed === 0 ? 0 : 1;
