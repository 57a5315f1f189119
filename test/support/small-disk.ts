/**
 * A small, real file system for full-disk tests: a tmpfs of a few hundred KB mounted on a fresh
 * temporary folder, a filler file that takes every free byte (so the next write that needs room
 * gets ENOSPC from the kernel, as on a real full disk), and a way to give the room back.
 *
 * Mounting needs root (CI runs as root on this machine). Where the tests do not run as root the
 * suites skip, and their title says why (`SMALL_DISK_SKIP`); as root, a mount that fails fails the
 * test. Unmount in afterAll: a process still holding a file there gets a lazy unmount.
 */
import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmdirSync, statSync, truncateSync, unlinkSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const uid = process.getuid?.();

/** Why the full-disk suites are skipped here, or `undefined` when they run. */
export const SMALL_DISK_SKIP: string | undefined =
  uid === 0
    ? undefined
    : `skipped: a full disk is made by mounting a small tmpfs, which needs root (these tests run as uid ${uid ?? 'unknown'}; CI runs them as root)`;

export interface SmallDisk {
  /** The mounted folder. */
  readonly dir: string;
  /** Take every free byte with a filler file; returns how many bytes it holds. */
  fill(): number;
  /** Give `bytes` of the filler back (the next writes up to that much succeed). */
  leaveRoom(bytes: number): void;
  /** Remove the filler: the disk has room again. */
  free(): void;
  unmount(): void;
}

/** Mount a tmpfs of `sizeKb` KB on a fresh folder (root only; see `SMALL_DISK_SKIP`). */
export function mountSmallDisk(sizeKb: number): SmallDisk {
  const dir = mkdtempSync(join(tmpdir(), 'warden-small-disk-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeKb}k,mode=0755`, 'tmpfs', dir], { stdio: 'pipe' });
  const filler = join(dir, 'filler');
  let mounted = true;
  return {
    dir,
    fill() {
      const fd = openSync(filler, 'a');
      const chunk = Buffer.alloc(4096, 0x61);
      try {
        for (let i = 0; i < (sizeKb * 1024) / chunk.length + 16; i++) writeSync(fd, chunk);
        throw new Error(`${dir}: still not full after writing more than its ${sizeKb} KB`);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOSPC') throw e;
      } finally {
        closeSync(fd);
      }
      return statSync(filler).size;
    },
    leaveRoom(bytes) {
      truncateSync(filler, Math.max(0, statSync(filler).size - bytes));
    },
    free() {
      unlinkSync(filler);
    },
    unmount() {
      if (!mounted) return;
      mounted = false;
      try {
        execFileSync('umount', [dir], { stdio: 'pipe' });
      } catch {
        execFileSync('umount', ['-l', dir], { stdio: 'pipe' }); // a process still holds a file there
      }
      rmdirSync(dir);
    },
  };
}
