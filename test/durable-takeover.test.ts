/**
 * Taking a run back after a crash, at once, with the default owner: a worker process
 * (test/durable-takeover/worker.ts) starts a durable run under the default owner (`hostname:pid`)
 * and is SIGKILLed in the middle of it; a fresh process that does the obvious thing (open the
 * store, new `DurableHost`, `recover()` or `start(def, input, { id })`) gets the run back and
 * finishes it, on a virtual clock that never moves past the dead worker's 30 s lease. What must
 * still wait for the lease: a run whose process is alive on this machine (even under another
 * owner name), an owner on another machine (its pid means nothing here), and a claim that
 * recorded no process (an older version). On SQLite and on Postgres.
 */
import { fork, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { hostname } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { EventBus, VirtualClock, type WardenEvent } from '../src/runtime/index.ts';
import { openStore, type ProcessIdentity, type Store } from '../src/store/index.ts';
import { DurableHost, currentProcess, defineRun, processIdentity, processState } from '../src/durable/index.ts';
import { withStores, type TestStoreLocation } from '../src/testing/index.ts';

const WORKER = new URL('./durable-takeover/worker.ts', import.meta.url).pathname;
const START_MS = 1_767_225_600_000;
const LEASE_MS = 30_000;

interface Worker {
  readonly child: ChildProcess;
  readonly pid: number;
  /** The first message of this type; rejects if the process exits before sending it. */
  next<M>(type: string): Promise<M>;
  readonly exited: Promise<void>;
}

function startWorker(loc: TestStoreLocation, mode: 'hold' | 'recover' | 'start'): Worker {
  const child = fork(WORKER, [], {
    env: { ...process.env, TAKEOVER_DB: loc.db, TAKEOVER_SCHEMA: loc.schema ?? '', START_MS: String(START_MS), MODE: mode },
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  const messages: { type: string }[] = [];
  child.on('message', (m: { type: string }) => messages.push(m));
  return {
    child,
    pid: child.pid!,
    exited,
    next: <M>(type: string) =>
      new Promise<M>((resolve, reject) => {
        const found = messages.find((m) => m.type === type);
        if (found !== undefined) return resolve(found as M);
        const onMessage = (m: { type: string }): void => {
          if (m.type === type) resolve(m as M);
        };
        child.on('message', onMessage);
        void exited.then(() => reject(new Error(`the ${mode} worker exited before sending "${type}":\n${stderr}`)));
      }),
  };
}

interface Done {
  readonly pid: number;
  readonly owner: string;
  readonly recovered: string[];
  readonly outcomes: unknown[];
  readonly executed: string[];
  readonly now: number;
  readonly takenOver: unknown[];
}

/** The worker's run definition, for hosts in this process (they only ever run step "second"). */
const job = defineRun('takeover-job', async (run, input: { n: number }) => {
  const first = await run.step('first', () => process.pid);
  const second = await run.step('second', () => process.pid);
  return { first, second, n: input.n };
});

function hostHere(store: Store): { host: DurableHost; clock: VirtualClock; events: WardenEvent[] } {
  const clock = new VirtualClock({ startMs: START_MS });
  const bus = new EventBus(clock);
  const events: WardenEvent[] = [];
  bus.onAny((e) => events.push(e));
  return { host: new DurableHost({ store, runs: [job], clock, bus }), clock, events };
}

/** A pid that named a process a moment ago and names none now. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', '']);
  return r.pid;
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

for (const c of withStores()) {
  describe.skipIf(c.skip)(`taking over a run whose process died: ${c.title}`, () => {
    async function fresh(): Promise<{ loc: TestStoreLocation; store: Store }> {
      const loc = c.location();
      const store = await openStore(loc);
      cleanups.push(async () => {
        await store.close();
        await loc.drop();
      });
      return { loc, store };
    }

    /** A worker that started "job-1" under the default owner, journaled step "first" and holds in "second". */
    async function holder(loc: TestStoreLocation): Promise<Worker> {
      const w = startWorker(loc, 'hold');
      cleanups.push(async () => {
        w.child.kill('SIGKILL');
        await w.exited;
      });
      await w.next('holding');
      return w;
    }

    it('leaves a live process its run; once it is SIGKILLed, a fresh default-owner process takes it back at once with recover()', async () => {
      const { loc, store } = await fresh();
      const w = await holder(loc);
      const held = (await store.getRun('job-1'))!;
      expect(held).toMatchObject({ status: 'running', epoch: 1, owner: `${hostname()}:${w.pid}`, leaseExpiresAt: START_MS + LEASE_MS });
      expect(held.ownerProcess?.pid).toBe(w.pid);

      // Alive on this machine: another host (another owner name) neither recovers nor starts it.
      const { host } = hostHere(store);
      try {
        expect(await host.recover()).toEqual([]);
        const again = await host.start(job, { n: 7 }, { id: 'job-1' });
        expect(await again.result).toEqual({ status: 'interrupted', runId: 'job-1', why: `run job-1 is executing under ${hostname()}:${w.pid}` });
        expect((await store.getRun('job-1'))?.epoch).toBe(1);
      } finally {
        await host.close();
      }

      w.child.kill('SIGKILL');
      await w.exited;
      expect(w.child.signalCode).toBe('SIGKILL'); // killed holding the run, not exited on its own
      const r = startWorker(loc, 'recover');
      const done = await r.next<Done>('done');
      await r.exited;
      expect(done.recovered).toEqual(['job-1']);
      expect(done.outcomes).toEqual([{ status: 'completed', runId: 'job-1', output: { first: w.pid, second: r.pid, n: 7 } }]);
      expect(done.executed).toEqual(['second']); // "first" came from the journal
      expect(done.owner).toBe(`${hostname()}:${r.pid}`);
      // Its clock never moved: the dead worker's lease had not expired when the run was taken.
      expect(done.now).toBe(START_MS);
      expect(done.takenOver).toEqual([
        { type: 'run.taken_over', runId: 'job-1', from: `${hostname()}:${w.pid}`, pid: w.pid, leaseExpiresAt: START_MS + LEASE_MS, at: START_MS },
      ]);
      expect(await store.getRun('job-1')).toMatchObject({ status: 'completed', epoch: 2 });
    }, 60_000);

    it('after a SIGKILL, a fresh default-owner process gets the run back at once from start(def, input, { id })', async () => {
      const { loc, store } = await fresh();
      const w = await holder(loc);
      w.child.kill('SIGKILL');
      await w.exited;
      expect(w.child.signalCode).toBe('SIGKILL'); // killed holding the run, not exited on its own
      const r = startWorker(loc, 'start');
      const done = await r.next<Done>('done');
      await r.exited;
      expect(done.outcomes).toEqual([{ status: 'completed', runId: 'job-1', output: { first: w.pid, second: r.pid, n: 7 } }]);
      expect(done.executed).toEqual(['second']);
      expect(done.now).toBe(START_MS);
      expect(done.takenOver).toHaveLength(1);
      expect(await store.getRun('job-1')).toMatchObject({ status: 'completed', epoch: 2 });
    }, 60_000);

    it('leaves an owner on another machine, and a claim that recorded no process, their lease until it expires', async () => {
      const { store } = await fresh();
      const gone = deadPid();
      const elsewhere: ProcessIdentity = { host: 'other-machine', pidSpace: 'linux:00000000-0000-0000-0000-000000000000:pidns-1', pid: gone };
      for (const [id, owner, ownerProcess] of [
        ['remote', `other-machine:${gone}`, elsewhere],
        ['legacy', 'an-older-version', undefined],
      ] as const) {
        await store.createRun({ id, name: job.name, input: { n: 1 }, traceId: id, at: START_MS });
        await store.claimRun(id, { owner, leaseExpiresAt: START_MS + LEASE_MS, at: START_MS, ...(ownerProcess === undefined ? {} : { ownerProcess }) });
      }
      expect(processState(elsewhere)).toBe('unknown');
      const { host, clock, events } = hostHere(store);
      try {
        expect(await host.recover()).toEqual([]);
        expect(await (await host.start(job, { n: 1 }, { id: 'remote' })).result).toMatchObject({ status: 'interrupted' });
        await clock.advance(LEASE_MS - 1);
        expect(await host.recover()).toEqual([]);
        await clock.advance(1);
        const handles = await host.recover();
        expect(handles.map((h) => h.id).sort()).toEqual(['legacy', 'remote']);
        for (const h of handles) expect(await h.result).toMatchObject({ status: 'completed' });
        expect(events.filter((e) => e.type === 'run.taken_over')).toEqual([]); // taken because the leases expired
      } finally {
        await host.close();
      }
    }, 60_000);

    it.skipIf(process.platform !== 'linux')(
      'tells a live owner from another program that reuses its pid (start time in /proc)',
      async () => {
        const { store } = await fresh();
        const live = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1 << 30)'], { stdio: 'ignore' });
        const liveExited = new Promise<void>((resolve) => live.on('exit', () => resolve()));
        cleanups.push(async () => {
          live.kill('SIGKILL');
          await liveExited;
        });
        await new Promise<void>((resolve, reject) => live.once('spawn', resolve).once('error', reject));
        const it = processIdentity(live.pid!)!;
        expect(it).toMatchObject({ pid: live.pid, pidSpace: currentProcess().pidSpace, startTime: expect.stringMatching(/^\d+$/) });
        expect(processState(it)).toBe('alive');
        expect(processState(currentProcess())).toBe('alive');
        const reused: ProcessIdentity = { ...it, startTime: String(Number(it.startTime) + 1) };
        expect(processState(reused)).toBe('gone');
        for (const [id, ownerProcess] of [
          ['same', it],
          ['reused', reused],
        ] as const) {
          await store.createRun({ id, name: job.name, input: { n: 2 }, traceId: id, at: START_MS });
          await store.claimRun(id, { owner: `${hostname()}:${live.pid}`, ownerProcess, leaseExpiresAt: START_MS + LEASE_MS, at: START_MS });
        }
        const { host, events } = hostHere(store);
        try {
          const first = await host.recover();
          expect(first.map((h) => h.id)).toEqual(['reused']);
          expect(await first[0]!.result).toMatchObject({ status: 'completed' });
          live.kill('SIGKILL');
          await liveExited;
          expect(processState(it)).toBe('gone');
          const second = await host.recover();
          expect(second.map((h) => h.id)).toEqual(['same']);
          expect(await second[0]!.result).toMatchObject({ status: 'completed' });
          expect(events.filter((e) => e.type === 'run.taken_over').map((e) => (e as { runId: string }).runId)).toEqual(['reused', 'same']);
        } finally {
          await host.close();
        }
      },
      60_000,
    );
  });
}
