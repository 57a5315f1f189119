/**
 * A full disk, for real: a small tmpfs filled to the last byte by a filler file (see
 * support/small-disk.ts), then freed. A full disk fails only the writes that hit it, with a
 * clear error naming the file and saying the disk is full; nothing stops:
 * - the memory server (`warden memory serve` over stdio, on a SQLite store and on a JSONL file)
 *   answers those writes with an MCP tool error, keeps serving reads, and takes writes again once
 *   there is room, in the same process; a server closed while the disk is full (its checkpoint
 *   cut short) is followed by one that opens the store with every acknowledged write;
 * - a durable run whose step cannot be journaled stops with `JOURNAL_FULL` (outcome
 *   `interrupted`), and its host resumes it from the journal once there is room;
 * - `warden demo` says in one line that the disk is full, rather than crash.
 * Waits are on answers and events; the durable host polls on a virtual clock.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { EventBus, VirtualClock, isWardenError } from '../src/runtime/index.ts';
import { openStore } from '../src/store/index.ts';
import { DurableHost, defineRun, type RunOutcome } from '../src/durable/index.ts';
import { callTool, exitOf, readGraph, tool, wardenStdio, type StdioServer } from './support/memory-harness.ts';
import { runCli } from './support/cli-harness.ts';
import { mountSmallDisk, SMALL_DISK_SKIP, type SmallDisk } from './support/small-disk.ts';

const disks: SmallDisk[] = [];
afterAll(() => {
  for (const d of disks.splice(0)) d.unmount();
});
let cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => {});
  cleanups = [];
});

function smallDisk(sizeKb: number): SmallDisk {
  const disk = mountSmallDisk(sizeKb);
  disks.push(disk);
  return disk;
}

const suite = SMALL_DISK_SKIP === undefined ? 'on a full disk' : `on a full disk (${SMALL_DISK_SKIP})`;

const BACKENDS = [
  {
    kind: 'sqlite',
    title: 'SQLite store',
    args: (dir: string) => ['--db', join(dir, 'warden.db')],
    fullError: (dir: string) => `${join(dir, 'warden.db')}: the disk is full, so this write was not made`,
  },
  {
    kind: 'file',
    title: 'JSONL file',
    args: (dir: string) => ['--file', join(dir, 'memory.jsonl')],
    fullError: () => /memory\.jsonl(\.lock)?: cannot [a-z ]+: the disk is full \(ENOSPC\); nothing of the call was applied/,
  },
] as const;

/** An observation big enough that it never fits in room a file system or SQLite has kept aside. */
const observation = (id: string): string => `${id} ${'o'.repeat(8_000)}`;
const idsOf = (observations: readonly string[]): string[] => observations.map((o) => o.split(' ')[0]!);

async function hubIds(server: StdioServer): Promise<string[]> {
  return idsOf((await readGraph(server.client)).entities.find((e) => e.name === 'hub')?.observations ?? []);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe.skipIf(SMALL_DISK_SKIP !== undefined)(suite, () => {
  describe.each(BACKENDS)('the memory server on a $title', ({ args, fullError }) => {
    it('answers a write that hits the full disk with a clear tool error, keeps serving, takes writes again once there is room, and loses nothing acknowledged', async () => {
      const disk = smallDisk(1024);
      const server = await wardenStdio(args(disk.dir));
      cleanups.push(() => server.close());
      await tool(server.client, 'create_entities', { entities: [{ name: 'hub', entityType: 'shared', observations: [] }] });
      const acked: string[] = [];
      const failed: string[] = [];
      const observe = async (id: string): Promise<{ ok: boolean; error?: string }> => {
        const r = await callTool(server.client, 'add_observations', { observations: [{ entityName: 'hub', contents: [observation(id)] }] });
        (r.ok ? acked : failed).push(id);
        return r.ok ? { ok: true } : { ok: false, error: r.error };
      };
      for (let i = 0; i < 5; i++) expect((await observe(`before-${i}`)).ok).toBe(true);

      disk.fill();
      // Write until a write hits the full disk (SQLite may first use room its -wal already holds).
      let first: string | undefined;
      for (let i = 0; i < 100 && first === undefined; i++) first = (await observe(`full-${i}`)).error;
      expect(first).toMatch(fullError(disk.dir));
      // Still serving: every call is answered (a write that finds no room fails the same clear way), reads see every acknowledged write.
      for (let i = 0; i < 3; i++) {
        const r = await observe(`still-full-${i}`);
        if (!r.ok) expect(r.error).toMatch(fullError(disk.dir));
      }
      expect(isAlive(server.pid)).toBe(true);
      expect(new Set(await hubIds(server))).toEqual(new Set(acked));

      disk.free();
      expect(await observe('room-again')).toEqual({ ok: true });
      const seen = await hubIds(server);
      expect(new Set(seen)).toEqual(new Set(acked));
      expect(failed.filter((id) => seen.includes(id))).toEqual([]);
      expect(server.stderr()).not.toMatch(/graph service stopped|giving up/);

      // Full again, and the server closes: SQLite cannot finish its checkpoint (the main file is
      // left shorter than its header says, the rest in the -wal). The next server reads everything.
      disk.fill();
      await server.close();
      await exitOf(server.pid);
      disk.free();
      const next = await wardenStdio(args(disk.dir));
      cleanups.push(() => next.close());
      expect(new Set(await hubIds(next))).toEqual(new Set(acked));
      await tool(next.client, 'add_observations', { observations: [{ entityName: 'hub', contents: ['after the restart'] }] });
    });
  });

  it('the JSONL file backend cuts off a write the disk had room for only in part: nothing of it is applied, and the file stays whole', async () => {
    const disk = smallDisk(512);
    const file = join(disk.dir, 'memory.jsonl');
    const server = await wardenStdio(['--file', file]);
    cleanups.push(() => server.close());
    await tool(server.client, 'create_entities', { entities: [{ name: 'hub', entityType: 'shared', observations: ['first'] }] });
    disk.fill();
    disk.leaveRoom(4096); // room for the lock, not for the write
    const r = await callTool(server.client, 'add_observations', { observations: [{ entityName: 'hub', contents: [observation('torn')] }] });
    expect(r).toMatchObject({
      ok: false,
      error: expect.stringMatching(`${file}: cannot append to the file: the disk is full \\(ENOSPC\\); nothing of the call was applied`),
    });
    expect(readFileSync(file, 'utf8')).toBe(`${JSON.stringify({ type: 'entity', name: 'hub', entityType: 'shared', observations: ['first'] })}\n`);
    expect(existsSync(`${file}.rejected`)).toBe(false);
    expect((await readGraph(server.client)).entities).toEqual([{ name: 'hub', entityType: 'shared', observations: ['first'] }]);
    disk.free();
    await tool(server.client, 'add_observations', { observations: [{ entityName: 'hub', contents: ['after'] }] });
    expect((await readGraph(server.client)).entities[0]!.observations).toEqual(['first', 'after']);
  });

  it('a durable step whose outcome cannot be journaled fails with JOURNAL_FULL, the run is interrupted, not failed, and the host resumes it from its journal once there is room', async () => {
    const disk = smallDisk(1024);
    const db = join(disk.dir, 'warden.db');
    const store = await openStore({ db });
    cleanups.push(() => store.close());
    const clock = new VirtualClock({ startMs: 1_000_000 });
    const bus = new EventBus(clock);
    let fetched = 0;
    const seen: unknown[] = [];
    let atSummarise!: () => void;
    const reached = new Promise<void>((resolve) => (atSummarise = resolve));
    let proceed!: () => void;
    const go = new Promise<void>((resolve) => (proceed = resolve));
    const digest = defineRun('digest', async (run) => {
      const news = await run.step('fetch', () => (fetched++, 'news'));
      atSummarise();
      await go;
      try {
        return await run.step('summarise', () => `${news}: ${'s'.repeat(64_000)}`.length);
      } catch (e) {
        seen.push(e);
        throw e;
      }
    });
    const host = new DurableHost({ store, runs: [digest], clock, bus, owner: 'worker-1' });
    cleanups.push(() => host.close());
    const { id, result } = await host.start(digest, {});
    await reached;
    disk.fill();
    proceed();

    const outcome: RunOutcome = await result;
    const journalFull = new RegExp(`^run ${id}: the outcome of step "summarise" \\(position 1\\) could not be journaled: ${db}: the disk is full`);
    expect(outcome).toMatchObject({ status: 'interrupted', runId: id, why: expect.stringMatching(journalFull) });
    expect(isWardenError(seen[0], 'JOURNAL_FULL')).toBe(true);
    expect((seen[0] as Error).message).toMatch(journalFull);
    // Reads go on; nothing was recorded for the step, and the run waits to be resumed.
    expect(await store.getRun(id)).toMatchObject({ status: 'running' });
    expect((await store.readJournal(id)).map((e) => e.name)).toEqual(['fetch']);
    expect(await store.listDeadLetters({})).toEqual([]);

    disk.free();
    const completed = bus.next('run.completed', (e) => e.runId === id);
    host.serve();
    await completed;
    expect(await store.getRun(id)).toMatchObject({ status: 'completed', output: 'news: '.length + 64_000 });
    expect((await store.readJournal(id)).map((e) => e.name)).toEqual(['fetch', 'summarise']);
    expect(fetched).toBe(1);
  });

  describe('warden demo', () => {
    it('on a disk that is full from the start, says so in one line and exits 1', async () => {
      const disk = smallDisk(256);
      disk.fill();
      const db = join(disk.dir, 'demo.db');
      const r = await runCli(['demo', '--virtual', '--quiet', '--db', db]);
      expect(r.code).toBe(1);
      expect(r.err).toBe(
        `warden demo: ${db}: the disk is full, so this write was not made (nothing committed is lost; reads go on). Free some space: writes succeed again once there is room\n`,
      );
    });

    it('on a disk that fills up mid-run, reports that the journal’s disk is full, not "too many failures"', async () => {
      const disk = smallDisk(1024);
      const db = join(disk.dir, 'demo.db');
      await (await openStore({ db })).close(); // its tables made, so the demo starts and fills the disk as it journals
      disk.fill();
      disk.leaveRoom(128 * 1024);
      const r = await runCli(['demo', '--virtual', '--quiet', '--db', db]);
      expect(r.code).toBe(1);
      expect(r.out).toMatch(
        /answer {7}none: the disk holding the journal filled up, so the agents could not record their steps; free some space and run the demo again/,
      );
      expect(r.err).toMatch(new RegExp(`^warden demo: .*${db}: the disk is full`));
      expect(r.err).not.toMatch(/\n\s+at /);
    });
  });
});
