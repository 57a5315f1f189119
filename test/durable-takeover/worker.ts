/**
 * A program that does the obvious thing with a durable run: open the store, make a
 * `DurableHost` with the DEFAULT owner, and start or recover run "job-1". Its clock is virtual,
 * fixed at START_MS and never advanced, so a lease written by another process at that time never
 * expires in here: whatever this process takes over, it took without waiting for a lease.
 *
 * MODE=hold: start the run; step "first" is journaled, step "second" never returns (the parent
 * SIGKILLs the process there). MODE=recover: `recover()`, and report what came back. MODE=start:
 * `start(def, input, { id: 'job-1' })`, and report. Reports go to the parent over IPC.
 *
 * Configured by environment: TAKEOVER_DB (file path or postgres:// URL), TAKEOVER_SCHEMA
 * (postgres), START_MS, MODE.
 */
import { EventBus, VirtualClock, type WardenEvent } from '../../src/runtime/index.ts';
import { openPostgresStore, openSqliteStore } from '../../src/store/index.ts';
import { DurableHost, defineRun, type RunHandle } from '../../src/durable/index.ts';

const env = (name: string): string => {
  const v = process.env[name];
  if (v === undefined || v === '') throw new Error(`takeover worker: ${name} is not set`);
  return v;
};
const db = env('TAKEOVER_DB');
const mode = env('MODE');
const send = (m: unknown): void => {
  process.send?.(m);
};

const store = db.startsWith('postgres') ? await openPostgresStore({ url: db, schema: env('TAKEOVER_SCHEMA') }) : await openSqliteStore({ path: db });
const clock = new VirtualClock({ startMs: Number(env('START_MS')) });
const executed: string[] = [];

const job = defineRun('takeover-job', async (run, input: { n: number }) => {
  const first = await run.step('first', () => (executed.push('first'), process.pid));
  const second = await run.step('second', async () => {
    executed.push('second');
    if (mode === 'hold') {
      // The parent kills this process here; the timer keeps it alive until then (an idle IPC channel would not).
      setInterval(() => {}, 1 << 30);
      send({ type: 'holding', pid: process.pid });
      await new Promise(() => {});
    }
    return process.pid;
  });
  return { first, second, n: input.n };
});

const bus = new EventBus(clock);
const events: WardenEvent[] = [];
bus.onAny((e) => events.push(e));
const host = new DurableHost({ store, runs: [job], clock, bus });

if (mode === 'hold') {
  await host.start(job, { n: 7 }, { id: 'job-1' });
} else {
  let handles: readonly RunHandle[];
  if (mode === 'recover') handles = await host.recover();
  else if (mode === 'start') handles = [await host.start(job, { n: 7 }, { id: 'job-1' })];
  else throw new Error(`takeover worker: MODE must be hold, recover or start, not "${mode}"`);
  const outcomes = await Promise.all(handles.map((h) => h.result));
  await host.close();
  await store.close();
  send({
    type: 'done',
    pid: process.pid,
    owner: host.owner,
    recovered: handles.map((h) => h.id),
    outcomes,
    executed,
    now: clock.now(),
    events: events.map((e) => e.type),
    takenOver: events.filter((e) => e.type === 'run.taken_over'),
  });
  process.disconnect?.();
}
