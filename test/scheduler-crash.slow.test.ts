/**
 * Exactly once with real processes: two scheduler processes on one store (SQLite, Postgres)
 * fire the same schedule on the real clock, and are SIGKILLed at points chosen by fast-check
 * (after one of them started its k-th slot's run), then restarted. Whatever the points, every
 * slot ends with exactly one durable run (its id derived from the slot), completed, and no slot
 * is missed or recorded twice. A slot's step may run again only when the process running it was
 * killed before it was journaled. Waits only on IPC messages and process exits.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { openStore } from '../src/store/index.ts';
import { openSchedules, slotRunId } from '../src/scheduler/index.ts';
import { withStores, type TestStoreLocation } from '../src/testing/index.ts';

const WORKER = new URL('./scheduler-crash/worker.ts', import.meta.url).pathname;
const SLOT_MS = 150;
const SLOTS = 12;

interface Kill {
  /** Which of the two processes. */
  readonly worker: 0 | 1;
  /** After it started this many slot runs (counted over the processes it has been). */
  readonly after: number;
}

async function runPair(loc: TestStoreLocation, kills: readonly Kill[]): Promise<{ kills: number; killedPids: Set<number> }> {
  const dir = mkdtempSync(join(tmpdir(), 'warden-sched-crash-'));
  const execLog = join(dir, 'exec.log');
  writeFileSync(execLog, '');
  // Far enough ahead for both processes to be up before the first slot (a schedule defined after
  // its start date begins at its first slot after now).
  const start = Math.ceil((Date.now() + 8000) / SLOT_MS) * SLOT_MS;
  const env = {
    ...process.env,
    CRASH_DB: loc.db,
    CRASH_SCHEMA: loc.schema ?? '',
    EXEC_LOG: execLog,
    START: String(start),
    END: String(start + (SLOTS - 1) * SLOT_MS),
    SLOT_MS: String(SLOT_MS),
  };
  const pending = [...kills];
  const started = [0, 0];
  const killedPids = new Set<number>();
  let killCount = 0;
  let done = false;
  const live = new Set<ChildProcess>();
  const errors: string[] = [];
  let settle!: () => void;
  const finished = new Promise<void>((r) => (settle = r));
  const spawn = (which: 0 | 1): void => {
    const child = fork(WORKER, [], { env, stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
    live.add(child);
    let stderr = '';
    let wasKilled = false;
    child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('message', (m: { type: string }) => {
      if (m.type === 'done') {
        done = true;
        for (const c of live) if (c !== child) c.kill('SIGKILL');
        settle();
      }
      if (m.type !== 'started') return;
      started[which]!++;
      const next = pending.findIndex((k) => k.worker === which && k.after <= started[which]!);
      if (next >= 0 && !done) {
        pending.splice(next, 1);
        wasKilled = true;
        killCount++;
        killedPids.add(child.pid!);
        child.kill('SIGKILL');
      }
    });
    child.on('exit', (code) => {
      live.delete(child);
      if (done) return;
      if (!wasKilled && code !== 0) errors.push(`worker ${which} exited ${code}:\n${stderr}`);
      if (wasKilled) spawn(which); // restart it, as a supervisor would
      if (errors.length > 0) settle();
    });
  };
  spawn(0);
  spawn(1);
  await finished;
  await Promise.all([...live].map((c) => new Promise((r) => (c.exitCode !== null ? r(null) : c.on('exit', r)))));
  expect(errors).toEqual([]);

  const store = await openStore(loc);
  try {
    const slots = Array.from({ length: SLOTS }, (_, i) => start + i * SLOT_MS);
    const runs = await store.listRuns({ name: 'tick' });
    // One run per slot, by its derived id, each completed with the slot's time as its output.
    expect(runs.map((r) => r.id).sort()).toEqual(slots.map((t) => slotRunId('tick', t, 'scheduled')).sort());
    for (const r of runs) expect(r).toMatchObject({ status: 'completed' });
    expect(runs.map((r) => r.output).sort()).toEqual(slots.map((t) => new Date(t).toISOString()).sort());
    const schedules = await openSchedules(store);
    const recorded = await schedules.slots({ scheduleId: 'tick', limit: 1000 });
    expect(recorded.map((s) => [s.slotAt, s.status]).sort()).toEqual(slots.map((t) => [t, 'completed']).sort());
    expect((await schedules.require('tick')).counts).toEqual({ completed: SLOTS, failed: 0, cancelled: 0, missed: 0 });
    // A step ran twice only when a killed process ran it first.
    const lines = readFileSync(execLog, 'utf8')
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((l) => l.split(' ').map(Number) as [number, number]);
    for (const t of slots) {
      const runs = lines.filter(([slot]) => slot === t);
      expect(runs.length).toBeGreaterThanOrEqual(1);
      for (const [, pid] of runs.slice(0, -1)) expect(killedPids.has(pid)).toBe(true);
    }
  } finally {
    await store.close();
  }
  return { kills: killCount, killedPids };
}

const kill: fc.Arbitrary<Kill> = fc.record({ worker: fc.constantFrom(0 as const, 1 as const), after: fc.integer({ min: 1, max: 6 }) });

for (const c of withStores()) {
  describe.skipIf(c.skip)(`kill -9 of scheduler processes sharing a store: ${c.title}`, () => {
    it('runs every slot exactly once, whatever points the two processes are killed at (property)', async () => {
      let kills = 0;
      await fc.assert(
        fc.asyncProperty(fc.array(kill, { minLength: 1, maxLength: 3 }), async (points) => {
          const loc = c.location();
          try {
            kills += (await runPair(loc, points)).kills;
          } finally {
            await loc.drop();
          }
        }),
        { numRuns: 4, seed: c.kind === 'sqlite' ? 3 : 5 },
      );
      expect(kills).toBeGreaterThanOrEqual(3);
    }, 300_000);
  });
}
