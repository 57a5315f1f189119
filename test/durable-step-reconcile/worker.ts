/**
 * The process that gets killed: it runs one durable run, "charges", whose steps each charge an
 * order by appending a line to a ledger file (a side effect that is not idempotent: every append
 * is another charge). With RECONCILE=1 the steps are given a `reconcile` that reads the ledger
 * for the step's line; without it they are plain steps. With HANG_AT=<step> the step of that name
 * charges, tells the parent ('charged') and then waits to be killed; otherwise every step returns.
 * It reports 'charged' (with the step) after every charge and 'done' with the run's outcome.
 *
 * Configured by environment: CRASH_DB (file path or postgres:// URL), CRASH_SCHEMA (postgres),
 * LEDGER, RECONCILE, HANG_AT.
 */
import { appendFileSync, readFileSync } from 'node:fs';
import { DurableHost, defineRun, type ReconcileResult } from '../../src/durable/index.ts';
import { openPostgresStore, openSqliteStore } from '../../src/store/index.ts';

const db = process.env.CRASH_DB ?? '';
const ledger = process.env.LEDGER ?? '';
if (db === '' || ledger === '') throw new Error('worker: CRASH_DB and LEDGER must be set');
const reconciled = process.env.RECONCILE === '1';
const hangAt = process.env.HANG_AT ?? '';
const send = (m: unknown): void => {
  process.send?.(m);
};

const store = db.startsWith('postgres') ? await openPostgresStore({ url: db, schema: process.env.CRASH_SCHEMA ?? '' }) : await openSqliteStore({ path: db });

/** The ledger line of a charge: the run and step that made it, and the receipt it gave. */
const line = (runId: string, step: string): string => `${runId} ${step}`;
const findCharge = (runId: string, step: string): string | undefined =>
  readFileSync(ledger, 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${line(runId, step)} `))
    ?.split(' ')[2];

const charges = defineRun('charges', async (run, orders: string[]) => {
  const receipts: string[] = [];
  for (const [i, order] of orders.entries()) {
    const step = `charge-${i}`;
    const receipt = await run.step(
      step,
      async () => {
        const receipt = `receipt-${order}`;
        appendFileSync(ledger, `${line(run.id, step)} ${receipt}\n`);
        send({ type: 'charged', step });
        if (step === hangAt) await new Promise<never>(() => setInterval(() => {}, 60_000));
        return receipt;
      },
      reconciled
        ? {
            reconcile: ({ name }): ReconcileResult => {
              const found = findCharge(run.id, name);
              return found === undefined ? { done: false } : { done: true, value: found };
            },
          }
        : {},
    );
    receipts.push(receipt);
  }
  return receipts;
});

const host = new DurableHost({ store, runs: [charges], owner: 'crash-worker' });
const recovered = await host.recover();
const handle = recovered.find((h) => h.id === 'charges-1') ?? (await host.start(charges, ['a', 'b', 'c'], { id: 'charges-1' }));
const outcome = await handle.result;
await host.close();
await store.close();
send({ type: 'done', outcome });
process.disconnect?.();
