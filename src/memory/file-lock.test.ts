/**
 * The memory file's lock on real files and real processes, its waits on a virtual clock: taking
 * it leaves a whole lock file and nothing else; an empty or garbled lock file (what a writer
 * killed between creating and writing its lock left behind, before locks were linked into place)
 * is broken within the short grace, not after `staleMs`; a live holder is waited for until
 * `timeoutMs`, and the same holder SIGKILLed is broken at once.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { EventBus, VirtualClock, isWardenError, type WardenEvent } from '../runtime/index.ts';
import { FILE_LOCK_DEFAULTS, FileLock } from './file-lock.ts';
import './events.ts';

let cleanups: (() => unknown)[] = [];
afterEach(() => {
  for (const c of cleanups.reverse()) c();
  cleanups = [];
});

function setup(): { dir: string; path: string; clock: VirtualClock; events: WardenEvent[]; lock: FileLock } {
  const dir = mkdtempSync(join(tmpdir(), 'warden-lock-'));
  const path = join(dir, 'memory.jsonl.lock');
  const clock = new VirtualClock({ startMs: 1_000_000 });
  const bus = new EventBus(clock);
  const events: WardenEvent[] = [];
  bus.onAny((e) => events.push(e));
  const lock = new FileLock(path, { clock, events: bus });
  cleanups.push(() => lock.close());
  return { dir, path, clock, events, lock };
}

/** Acquire on the virtual clock: timers fire one by one until it settles; answers how it ended and the virtual time it took. */
async function acquireOn(clock: VirtualClock, lock: FileLock): Promise<{ error?: unknown; elapsedMs: number }> {
  const start = clock.now();
  let outcome: { error?: unknown } | undefined;
  lock.acquire().then(
    () => (outcome = {}),
    (error: unknown) => (outcome = { error }),
  );
  await clock.runUntil(() => outcome !== undefined);
  return { ...outcome!, elapsedMs: clock.now() - start };
}

/** The start time of a process as the lock records it (Linux), or undefined. */
function startOf(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

const broken = (events: WardenEvent[]): Extract<WardenEvent, { type: 'memory.lock_broken' }>[] =>
  events.filter((e): e is Extract<WardenEvent, { type: 'memory.lock_broken' }> => e.type === 'memory.lock_broken');

describe('the memory file lock', () => {
  it('is put in place whole, naming its holder, and leaves no temporary file behind', async () => {
    const { dir, path, clock, lock } = setup();
    expect(await acquireOn(clock, lock)).toEqual({ elapsedMs: 0 });
    expect(JSON.parse(readFileSync(path, 'utf8'))).toMatchObject({ host: hostname(), pid: process.pid });
    expect(readdirSync(dir)).toEqual(['memory.jsonl.lock']);
    lock.release();
    expect(readdirSync(dir)).toEqual([]);
  });

  it.each([
    ['empty', ''],
    ['garbled', '{"host":"'],
  ])('breaks an %s lock file older than the grace at once, without waiting on the clock', async (_kind, content) => {
    const { path, clock, events, lock } = setup();
    writeFileSync(path, content);
    const tenSecondsAgo = new Date(Date.now() - 10_000);
    utimesSync(path, tenSecondsAgo, tenSecondsAgo);
    expect(await acquireOn(clock, lock)).toEqual({ elapsedMs: 0 });
    expect(broken(events)).toEqual([
      expect.objectContaining({ lock: path, holder: 'an unreadable lock', why: expect.stringMatching(/^unreadable lock \(empty or garbled\) \d+ ms old$/) }),
    ]);
    expect(JSON.parse(readFileSync(path, 'utf8'))).toMatchObject({ pid: process.pid });
  });

  it('breaks a just-written empty lock file within the grace on the clock, long before the timeout', async () => {
    const { path, clock, events, lock } = setup();
    writeFileSync(path, '');
    const { error, elapsedMs } = await acquireOn(clock, lock);
    expect(error).toBeUndefined();
    expect(elapsedMs).toBeLessThanOrEqual(FILE_LOCK_DEFAULTS.unreadableGraceMs + 8);
    expect(elapsedMs).toBeLessThan(FILE_LOCK_DEFAULTS.timeoutMs);
    expect(broken(events)).toHaveLength(1);
    expect(JSON.parse(readFileSync(path, 'utf8'))).toMatchObject({ pid: process.pid });
  });

  it('waits for a live holder until the timeout, leaving its lock alone; once the holder is SIGKILLed its lock is broken at once', async () => {
    const { path, clock, events, lock } = setup();
    const holder = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1 << 30)'], { stdio: 'ignore' });
    const exited = new Promise<void>((resolve) => holder.once('exit', () => resolve()));
    cleanups.push(() => holder.kill('SIGKILL'));
    await new Promise<void>((resolve) => holder.once('spawn', () => resolve()));
    const theirs = JSON.stringify({ host: hostname(), pid: holder.pid, start: startOf(holder.pid!), token: 'live-holder' });
    writeFileSync(path, theirs);
    const old = new Date(Date.now() - 60_000);
    utimesSync(path, old, old); // however old: a readable lock is judged by its holder, not its age

    const waited = await acquireOn(clock, lock);
    expect(isWardenError(waited.error, 'MEMORY_LOCK_TIMEOUT')).toBe(true);
    expect((waited.error as Error).message).toContain(`held by pid ${holder.pid} on ${hostname()}`);
    expect(waited.elapsedMs).toBeGreaterThanOrEqual(FILE_LOCK_DEFAULTS.timeoutMs);
    expect(readFileSync(path, 'utf8')).toBe(theirs);
    expect(broken(events)).toEqual([]);

    holder.kill('SIGKILL');
    await exited;
    expect(await acquireOn(clock, lock)).toEqual({ elapsedMs: 0 });
    expect(broken(events)).toEqual([
      expect.objectContaining({ holder: `pid ${holder.pid} on ${hostname()}`, why: `its holder (pid ${holder.pid}) is not running` }),
    ]);
  });
});
