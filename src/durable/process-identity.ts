/**
 * Which operating-system process holds a run, and whether that process is gone. A host records
 * its process with every claim; another host on the same machine that finds the run still
 * leased to a process that no longer exists takes it over at once, instead of waiting for the
 * lease to run out (a `kill -9` and a restart should not cost 30 seconds of nothing).
 *
 * Only the same *pid space* can be checked: on Linux that is one boot of one kernel and one pid
 * namespace (a container with its own namespace, or the same container after a restart, is
 * another space), elsewhere the host name. A process in another space, or a record without a
 * process (written by an older version), is `unknown`, and its lease is honoured until it
 * expires. A pid that exists is `alive` unless it is a zombie or, where the start time can be
 * read (Linux, /proc/<pid>/stat), it started at another time than the recorded owner: then the
 * pid was reused by another program and the owner is `gone`. `EPERM` from `kill(pid, 0)` means
 * the process exists (it belongs to another user).
 *
 * A wrong `gone` could only cost duplicated work, never a duplicated write: the takeover is a
 * claim like any other, it bumps the run's epoch and the old incarnation's writes are refused.
 */
import { readFileSync, readlinkSync } from 'node:fs';
import { hostname, platform } from 'node:os';
import type { ProcessIdentity } from '../store/index.ts';

/** What a host on this machine can tell about a recorded process. */
export type ProcessState = 'alive' | 'gone' | 'unknown';

interface ProcStat {
  /** One-letter state: R, S, D, Z (zombie), X (dead), ... */
  readonly state: string;
  /** Clock ticks after boot at which the process started. */
  readonly startTime: string;
}

/** `/proc/<pid>/stat`, or undefined where there is none (not Linux, no such process). */
function procStat(pid: number): ProcStat | undefined {
  if (platform() !== 'linux') return undefined;
  let line: string;
  try {
    line = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // "pid (comm) state ppid ... starttime ...": comm may hold spaces and parentheses, so split after the last ')'.
  const fields = line.slice(line.lastIndexOf(')') + 2).split(' ');
  const state = fields[0];
  const startTime = fields[19]; // field 22 of the whole line
  if (state === undefined || startTime === undefined || !/^\d+$/.test(startTime)) return undefined;
  return { state, startTime };
}

let cachedSpace: string | undefined;

/** Where pids of this process's machine mean the same process: on Linux the boot and pid namespace. */
function pidSpace(): string {
  if (cachedSpace !== undefined) return cachedSpace;
  let space = `host:${hostname()}`;
  if (platform() === 'linux') {
    try {
      const boot = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
      const ns = /^pid:\[(\d+)\]$/.exec(readlinkSync('/proc/self/ns/pid'));
      if (boot !== '' && ns !== null) space = `linux:${boot}:pidns-${ns[1]}`;
    } catch {
      // No /proc: fall back to the host name.
    }
  }
  cachedSpace = space;
  return space;
}

/** This process's identity, as a host's claims record it. */
export function currentProcess(): ProcessIdentity {
  return identityOf(process.pid);
}

/** The identity of a process on this machine, as a claim by it would record it; undefined if `pid` names no process here. */
export function processIdentity(pid: number): ProcessIdentity | undefined {
  if (pid !== process.pid && processExists(pid) !== true) return undefined;
  return identityOf(pid);
}

function identityOf(pid: number): ProcessIdentity {
  const stat = procStat(pid);
  return { host: hostname(), pidSpace: pidSpace(), pid, ...(stat === undefined ? {} : { startTime: stat.startTime }) };
}

/** `kill(pid, 0)`: true if it exists, false if not, undefined if that cannot be told. */
function processExists(pid: number): boolean | undefined {
  if (!Number.isSafeInteger(pid) || pid <= 0) return undefined; // 0 and negatives name process groups
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ESRCH') return false;
    if (code === 'EPERM') return true; // it exists, owned by another user
    return undefined;
  }
}

/**
 * Whether the recorded process still exists, as far as this machine can tell: `unknown` for a
 * process in another pid space (another machine, container or boot) or for no record.
 */
export function processState(recorded: ProcessIdentity | undefined): ProcessState {
  if (recorded === undefined || recorded.pidSpace !== pidSpace()) return 'unknown';
  if (recorded.pid === process.pid) {
    // This very pid: this process, unless the record is of an earlier process that had it.
    const mine = procStat(process.pid)?.startTime;
    return recorded.startTime !== undefined && mine !== undefined && recorded.startTime !== mine ? 'gone' : 'alive';
  }
  const exists = processExists(recorded.pid);
  if (exists === undefined) return 'unknown';
  if (!exists) return 'gone';
  const stat = procStat(recorded.pid);
  if (stat === undefined) return 'alive'; // it exists; nothing more can be read here
  if (stat.state === 'Z' || stat.state === 'X') return 'gone'; // exited, not yet reaped by its parent
  if (recorded.startTime !== undefined && stat.startTime !== recorded.startTime) return 'gone'; // the pid was reused
  return 'alive';
}
