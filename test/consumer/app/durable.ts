/**
 * Consumer part (c): a durable run survives `kill -9` of its process, with the host's default
 * options. `node durable.js crash <db> <log>` starts run "consumer-run" and hangs in its fourth
 * step (after printing `hanging`), to be killed with SIGKILL; `node durable.js recover <db> <log>`
 * opens the same store, makes a `DurableHost` with default options, calls `recover()` and
 * checks that the run completed without executing a completed step again. Every execution of a
 * step appends its name to <log>.
 */
import { appendFileSync, readFileSync } from 'node:fs';
import { openStore } from 'warden/store';
import { DurableHost, defineRun } from 'warden/durable';

const [mode, db, log] = process.argv.slice(2);
if ((mode !== 'crash' && mode !== 'recover') || db === undefined || log === undefined) {
  throw new Error('usage: node durable.js crash|recover <db> <log>');
}
const STEPS = 5;
const HANG_AT = 3;
const RUN_ID = 'consumer-run';

const steps = defineRun('consumer-steps', async (run) => {
  const results: number[] = [];
  for (let i = 0; i < STEPS; i++) {
    results.push(
      await run.step(`step-${i}`, async () => {
        appendFileSync(log, `step-${i}\n`);
        if (mode === 'crash' && i === HANG_AT) {
          console.log('hanging'); // steps 0..2 are journaled: kill me now
          await new Promise(() => {});
        }
        return i * 10;
      }),
    );
  }
  return results;
});

const store = await openStore({ db });
const host = new DurableHost({ store, runs: [steps] });

if (mode === 'crash') {
  setInterval(() => {}, 1000); // stay alive until killed
  await host.start(steps, {}, { id: RUN_ID });
} else {
  const resumed = await host.recover();
  const handle = resumed.find((h) => h.id === RUN_ID);
  if (handle === undefined) {
    throw new Error(
      `recover() with the default owner did not resume ${RUN_ID} after its process was killed (it resumed ${resumed.length} runs: ${resumed.map((h) => h.id).join(', ') || 'none'})`,
    );
  }
  const outcome = await handle.result;
  if (outcome.status !== 'completed') throw new Error(`the recovered run ended ${JSON.stringify(outcome)}`);
  const expected = Array.from({ length: STEPS }, (_, i) => i * 10);
  if (JSON.stringify(outcome.output) !== JSON.stringify(expected))
    throw new Error(`the run returned ${JSON.stringify(outcome.output)}, not ${JSON.stringify(expected)}`);
  const executed = readFileSync(log, 'utf8').trim().split('\n');
  const times = (step: string): number => executed.filter((s) => s === step).length;
  for (let i = 0; i < HANG_AT; i++) {
    if (times(`step-${i}`) !== 1)
      throw new Error(`step-${i} completed before the kill but ran ${times(`step-${i}`)} times (executions: ${executed.join(' ')})`);
  }
  await host.close();
  await store.close();
  console.log(`recovered ${RUN_ID}: completed ${JSON.stringify(outcome.output)}; executions: ${executed.join(' ')}`);
}
