/**
 * The process that gets killed: it runs one durable run, "mail-batch", that composes a mail per
 * recipient (a step) and sends it through the local mail service (an effect with the idempotency
 * key as a header and a reconcile function that asks the service). Every execution of a compose
 * step appends a line with a fresh nonce to a side file before it returns; the nonce is the
 * step's result, so the test can tell which execution the journal kept. It reports to the
 * parent over IPC: 'exec' when a compose step runs, 'journaled' after each entry is committed,
 * 'done' with the outcome.
 *
 * Configured by environment: CRASH_DB (file path or postgres:// URL), CRASH_SCHEMA (postgres),
 * MAIL_URL, EXEC_LOG, RECIPIENTS (comma-separated).
 */
import { randomUUID } from 'node:crypto';
import { appendFileSync } from 'node:fs';
import { EventBus, realClock } from '../../src/runtime/index.ts';
import { openPostgresStore, openSqliteStore } from '../../src/store/index.ts';
import { DurableHost, defineRun } from '../../src/durable/index.ts';

const env = (name: string): string => {
  const v = process.env[name];
  if (v === undefined || v === '') throw new Error(`worker: ${name} is not set`);
  return v;
};
const db = env('CRASH_DB');
const mailUrl = env('MAIL_URL');
const execLog = env('EXEC_LOG');
const recipients = env('RECIPIENTS').split(',');
const send = (m: unknown): void => {
  process.send?.(m);
};

const store = db.startsWith('postgres') ? await openPostgresStore({ url: db, schema: env('CRASH_SCHEMA') }) : await openSqliteStore({ path: db });

const batch = defineRun('mail-batch', async (run, input: { recipients: string[] }) => {
  const receipts: string[] = [];
  for (const [i, to] of input.recipients.entries()) {
    const draft = await run.step(`compose-${i}`, () => {
      const nonce = randomUUID();
      appendFileSync(execLog, `compose-${i} ${nonce}\n`);
      send({ type: 'exec', step: `compose-${i}` });
      return { to, text: `hello ${to}`, nonce };
    });
    const receipt = await run.effect(
      `send-${i}`,
      async ({ idempotencyKey }) => {
        const res = await fetch(`${mailUrl}/send`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'idempotency-key': idempotencyKey },
          body: JSON.stringify({ to: draft.to, text: draft.text }),
        });
        if (!res.ok) throw new Error(`mail service answered ${res.status}`);
        return ((await res.json()) as { id: string }).id;
      },
      {
        reconcile: async ({ idempotencyKey }) => {
          const res = await fetch(`${mailUrl}/status?key=${encodeURIComponent(idempotencyKey)}`);
          const body = (await res.json()) as { delivered: boolean; id?: string };
          return body.delivered ? { done: true, value: body.id } : { done: false };
        },
      },
    );
    receipts.push(receipt);
  }
  return receipts;
});

const bus = new EventBus(realClock);
bus.on('run.step_completed', (e) => send({ type: 'journaled', seq: e.seq, step: e.step }));
const host = new DurableHost({ store, runs: [batch], owner: 'crash-worker', bus });
const recovered = await host.recover();
const handle = recovered.find((h) => h.id === 'batch-1') ?? (await host.start(batch, { recipients }, { id: 'batch-1' }));
const outcome = await handle.result;
await host.close();
await store.close();
send({ type: 'done', outcome });
process.disconnect?.();
