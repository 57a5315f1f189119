/**
 * A lock shared by every process that writes one memory file: the file `<memory file>.lock`,
 * holding its owner's host, pid, process start time and a random token. Whoever puts it in place
 * holds the lock; releasing it deletes it.
 *
 * Taking it is atomic with its content: the holder is written to a temporary file beside it
 * (`<lock>.<pid>.<random>.tmp`), which is then hard-linked into place (link(2) fails with EEXIST
 * while the lock is held) and removed. So a lock file is never seen empty or half written, and a
 * writer killed at any point leaves either no lock or a whole one naming it (and at worst its
 * small temporary file, which is never taken for the lock). On a file system without hard links
 * the lock file is created with O_EXCL and written after, as before.
 *
 * A lock whose holder is gone is broken: on this host, when the holder's pid is not running, is
 * a zombie, or was reused by a process that started later than the holder did (Linux
 * `/proc/<pid>/stat`); for a holder on another host, once the same lock has been seen unchanged
 * for `staleMs` (holders keep it for one append, not seconds). A lock file that cannot be read
 * (empty or garbled: left by a writer killed between creating and writing it, as versions that
 * created it with O_EXCL could be, or by a crash of the machine) names no holder to ask, and no
 * live holder leaves one: it is broken once it is `unreadableGraceMs` old by the file system's
 * clock (its mtime against that of the temporary file just written), or seen unchanged that long
 * on the clock. Breaking renames the lock aside and checks it moved the stale one; if it moved a
 * fresh lock instead (another process broke the stale one and took the lock in between), it
 * links it back. A waiter wakes on a change in the lock's folder (fs.watch), with a poll on the
 * clock as a fallback, and gives up after `timeoutMs` with `MemoryLockTimeoutError`.
 *
 * A full disk fails taking the lock with `MemoryDiskFullError` (the temporary file cannot be
 * written): nothing was changed.
 *
 * Written by hand: the lock-file packages on npm either poll on wall-clock timers only, judge
 * staleness by mtime alone (a live holder that is slow is broken), or are unmaintained; ours needs
 * pid-based staleness (a kill -9 must not stall the next writer for seconds) and the runtime's
 * clock and event stream.
 */
import { closeSync, fstatSync, linkSync, mkdirSync, openSync, readFileSync, renameSync, statSync, unlinkSync, watch, writeSync, type FSWatcher } from 'node:fs';
import { hostname } from 'node:os';
import { basename, dirname } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Clock, EventBus } from '../runtime/index.ts';
import { memoryFileError, MemoryLockTimeoutError } from './errors.ts';

export interface FileLockOptions {
  readonly clock: Clock;
  readonly events?: EventBus | undefined;
  /** Give up waiting after this long. @default 10_000 */
  readonly timeoutMs?: number;
  /** A lock held from another host (whose pid cannot be checked) is stale once seen unchanged this long. @default 30_000 */
  readonly staleMs?: number;
  /** A lock file that is empty or garbled is stale once this old (by its mtime), or seen unchanged this long. @default 2_000 */
  readonly unreadableGraceMs?: number;
}

export const FILE_LOCK_DEFAULTS = { timeoutMs: 10_000, staleMs: 30_000, unreadableGraceMs: 2_000 } as const;

interface Holder {
  readonly raw: string;
  readonly host?: string;
  readonly pid?: number;
  readonly start?: string;
  /** The lock file's modification time (ms since the epoch, by the file system's clock). */
  readonly mtimeMs?: number;
}

/** Errors of link(2) on a file system without hard links: the lock is then created with O_EXCL. */
const NO_HARD_LINKS = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS', 'EXDEV']);

/** The start time of a process (clock ticks since boot), where the system tells it (Linux). */
function processStart(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // fields[0] is the state (field 3); the start time is field 22.
    return fields[0] === 'Z' ? 'zombie' : fields[19];
  } catch {
    return undefined;
  }
}

function isRunning(pid: number, start: string | undefined): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ESRCH') return false;
  }
  const now = processStart(pid);
  if (now === 'zombie') return false;
  if (start !== undefined && now !== undefined && now !== start) return false;
  return true;
}

const MY_START = processStart(process.pid);
const HOST = hostname();

export class FileLock {
  readonly path: string;
  private readonly clock: Clock;
  private readonly events: EventBus | undefined;
  private readonly timeoutMs: number;
  private readonly staleMs: number;
  private readonly unreadableGraceMs: number;
  private readonly content: string;
  /** The file system's time when we last wrote our temporary file (the mtime it got). */
  private fsNowMs: number | undefined;
  private linkUnsupported = false;
  private held = false;
  private watcher: FSWatcher | undefined;
  private watchFailed = false;
  private wake: (() => void) | undefined;

  constructor(path: string, options: FileLockOptions) {
    this.path = path;
    this.clock = options.clock;
    this.events = options.events;
    this.timeoutMs = options.timeoutMs ?? FILE_LOCK_DEFAULTS.timeoutMs;
    this.staleMs = options.staleMs ?? FILE_LOCK_DEFAULTS.staleMs;
    this.unreadableGraceMs = options.unreadableGraceMs ?? FILE_LOCK_DEFAULTS.unreadableGraceMs;
    this.content = JSON.stringify({ host: HOST, pid: process.pid, start: MY_START, token: randomBytes(12).toString('hex') });
  }

  get isHeld(): boolean {
    return this.held;
  }

  /** Take the lock, waiting for its holder (or breaking a stale one); at most `timeoutMs`. */
  async acquire(): Promise<void> {
    if (this.held) throw new Error(`${this.path}: already held by this lock object`);
    const started = this.clock.now();
    let waited = false;
    let pollMs = 1;
    let seen: { raw: string; since: number } | undefined;
    for (;;) {
      if (this.tryCreate()) {
        this.held = true;
        if (waited && this.events?.wants('memory.lock_waited') === true) {
          this.events.emit({ type: 'memory.lock_waited', lock: this.path, waitedMs: this.clock.now() - started });
        }
        return;
      }
      const holder = this.readHolder();
      if (holder === undefined) continue; // released between our two looks
      const now = this.clock.now();
      if (seen?.raw !== holder.raw) seen = { raw: holder.raw, since: now };
      const stale = this.staleness(holder, now - seen.since);
      if (stale !== undefined) {
        this.breakStale(holder, stale);
        continue;
      }
      const left = this.timeoutMs - (now - started);
      if (left <= 0) throw new MemoryLockTimeoutError(this.path, describe(holder), this.timeoutMs);
      waited = true;
      await this.waitForChange(Math.min(pollMs, left));
      pollMs = Math.min(pollMs * 2, 8);
    }
  }

  /** Release the lock (if it is still ours: a lock broken as stale and taken by another is left to it). */
  release(): void {
    if (!this.held) return;
    this.held = false;
    let raw: string | undefined;
    try {
      raw = readFileSync(this.path, 'utf8');
    } catch {
      raw = undefined;
    }
    if (raw === this.content) {
      unlinkSync(this.path);
      return;
    }
    this.events?.emit({ type: 'memory.lock_lost', lock: this.path, holder: raw === undefined ? 'nobody' : describe(parseHolder(raw)) });
  }

  close(): void {
    this.release();
    this.watcher?.close();
    this.watcher = undefined;
  }

  /** Put our lock in place if nobody holds it: write the holder to a temporary file, then link it as the lock. */
  private tryCreate(): boolean {
    if (this.linkUnsupported) return this.tryCreateExclusive();
    const tmp = `${this.path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
    try {
      this.writeTemporary(tmp);
    } catch (e) {
      removeQuietly(tmp);
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
        mkdirSync(dirname(this.path), { recursive: true });
        return this.tryCreate();
      }
      throw memoryFileError(this.path, 'write the lock file', e);
    }
    try {
      linkSync(tmp, this.path);
      return true;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') return false;
      if (code !== undefined && NO_HARD_LINKS.has(code)) {
        this.linkUnsupported = true;
        return this.tryCreateExclusive();
      }
      throw memoryFileError(this.path, 'create the lock file', e);
    } finally {
      removeQuietly(tmp);
    }
  }

  private writeTemporary(tmp: string): void {
    const fd = openSync(tmp, 'wx');
    try {
      const buf = Buffer.from(this.content);
      let done = 0;
      while (done < buf.length) done += writeSync(fd, buf, done, buf.length - done);
      this.fsNowMs = fstatSync(fd).mtimeMs;
    } finally {
      closeSync(fd);
    }
  }

  /** Where links are not possible: create the lock with O_EXCL, then write it (a kill in between leaves it empty). */
  private tryCreateExclusive(): boolean {
    const fd = this.openLock('wx', 'EEXIST', 'create the lock file');
    if (fd === undefined) return false;
    try {
      writeSync(fd, this.content);
      this.fsNowMs = fstatSync(fd).mtimeMs;
    } catch (e) {
      closeSync(fd);
      unlinkSync(this.path);
      throw memoryFileError(this.path, 'write the lock file', e);
    }
    closeSync(fd);
    return true;
  }

  /** Open the lock file with `flags`; `undefined` if that fails with `expected` (it exists, or it is gone). */
  private openLock(flags: 'wx' | 'r', expected: 'EEXIST' | 'ENOENT', action: string): number | undefined {
    try {
      return openSync(this.path, flags);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === expected) return undefined;
      throw memoryFileError(this.path, action, e);
    }
  }

  private readHolder(): Holder | undefined {
    const fd = this.openLock('r', 'ENOENT', 'read the lock file');
    if (fd === undefined) return undefined;
    try {
      return { ...parseHolder(readFileSync(fd, 'utf8')), mtimeMs: fstatSync(fd).mtimeMs };
    } catch (e) {
      throw memoryFileError(this.path, 'read the lock file', e);
    } finally {
      closeSync(fd);
    }
  }

  /** Why the lock is stale, or undefined if its holder may be alive. */
  private staleness(h: Holder, unchangedMs: number): string | undefined {
    if (h.pid !== undefined && h.host === HOST) {
      return isRunning(h.pid, h.start) ? undefined : `its holder (pid ${h.pid}) is not running`;
    }
    if (h.pid !== undefined) return unchangedMs >= this.staleMs ? `holder on ${h.host} unchanged for ${unchangedMs} ms` : undefined;
    // Unreadable: no live holder leaves its lock like this (it is put in place whole).
    const ageMs = h.mtimeMs === undefined || this.fsNowMs === undefined ? undefined : Math.round(this.fsNowMs - h.mtimeMs);
    if (ageMs !== undefined && ageMs >= this.unreadableGraceMs) return `unreadable lock (empty or garbled) ${ageMs} ms old`;
    if (unchangedMs >= this.unreadableGraceMs) return `unreadable lock (empty or garbled) unchanged for ${unchangedMs} ms`;
    return undefined;
  }

  private breakStale(h: Holder, why: string): void {
    const aside = `${this.path}.stale-${process.pid}-${randomBytes(6).toString('hex')}`;
    try {
      renameSync(this.path, aside);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return; // someone else broke it
      throw memoryFileError(this.path, 'break a stale lock', e);
    }
    let moved: string;
    try {
      moved = readFileSync(aside, 'utf8');
    } catch {
      moved = '';
    }
    if (moved !== h.raw) {
      // We moved a fresh lock that replaced the stale one: put it back, unless the lock was taken again meanwhile.
      try {
        linkSync(aside, this.path);
      } catch {
        // Taken again: the moved lock's holder learns it at release (memory.lock_lost).
      }
      unlinkSync(aside);
      return;
    }
    unlinkSync(aside);
    this.events?.emit({ type: 'memory.lock_broken', lock: this.path, holder: describe(h), why });
  }

  private waitForChange(ms: number): Promise<void> {
    this.ensureWatcher();
    return new Promise((resolve) => {
      const done = (): void => {
        timer.cancel();
        this.wake = undefined;
        resolve();
      };
      const timer = this.clock.setTimer(ms, done);
      this.wake = done;
      // The lock may have gone between our look and the watcher starting.
      try {
        statSync(this.path);
      } catch {
        done();
      }
    });
  }

  private ensureWatcher(): void {
    if (this.watcher !== undefined || this.watchFailed) return;
    const base = basename(this.path);
    try {
      this.watcher = watch(dirname(this.path), { persistent: false }, (_event, file) => {
        if (file === null || file === base) this.wake?.();
      });
      this.watcher.on('error', () => {
        this.watcher?.close();
        this.watcher = undefined;
        this.watchFailed = true;
      });
    } catch {
      this.watchFailed = true;
    }
  }
}

function removeQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // not there
  }
}

function parseHolder(raw: string): Holder {
  try {
    const j = JSON.parse(raw) as { host?: unknown; pid?: unknown; start?: unknown };
    if (typeof j.pid === 'number' && typeof j.host === 'string') {
      return { raw, pid: j.pid, host: j.host, ...(typeof j.start === 'string' ? { start: j.start } : {}) };
    }
  } catch {
    // an empty or garbled lock file (see the module comment)
  }
  return { raw };
}

function describe(h: Holder): string {
  return h.pid === undefined ? 'an unreadable lock' : `pid ${h.pid} on ${h.host}`;
}
