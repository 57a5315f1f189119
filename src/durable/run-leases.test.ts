/**
 * Who may claim a run that is still running under another owner, without waiting for its lease:
 * the matrix of owner (this host, another, none) × lease (running, expired, none) × the process
 * holding it (alive here, gone, on another machine, not recorded). Real processes: this one for
 * `alive`, a child that has exited for `gone`.
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import type { ProcessIdentity, RunRecord, RunStatus } from '../store/index.ts';
import { currentProcess } from './process-identity.ts';
import { heldElsewhere, mustWaitForLease, ownerGone } from './run-leases.ts';

const NOW = 1_000_000;
const ME = 'host-a';

/** A process of this machine that has exited. */
function gonePid(): number {
  return spawnSync(process.execPath, ['-e', '']).pid;
}

const processes: Record<'alive' | 'gone' | 'elsewhere' | 'unrecorded', ProcessIdentity | undefined> = {
  alive: currentProcess(),
  gone: { ...currentProcess(), pid: gonePid(), startTime: '1' },
  elsewhere: { host: 'other-machine', pidSpace: 'linux:00000000-0000-0000-0000-000000000000:pidns-1', pid: 1 },
  unrecorded: undefined,
};

function run(status: RunStatus, owner: string | undefined, leaseExpiresAt: number | undefined, holder: keyof typeof processes): RunRecord {
  const ownerProcess = processes[holder];
  return {
    id: 'r1',
    name: 'job',
    status,
    input: null,
    epoch: 1,
    traceId: 't',
    createdAt: 0,
    updatedAt: 0,
    ...(owner === undefined ? {} : { owner }),
    ...(leaseExpiresAt === undefined ? {} : { leaseExpiresAt }),
    ...(ownerProcess === undefined ? {} : { ownerProcess }),
  };
}

describe('run leases', () => {
  it.each([
    // owner, lease ends at, holder, must wait
    ['another owner, lease running, process alive here', 'host-b', NOW + 1, 'alive', true],
    ['another owner, lease running, process on another machine', 'host-b', NOW + 1, 'elsewhere', true],
    ['another owner, lease running, no process recorded', 'host-b', NOW + 1, 'unrecorded', true],
    ['another owner, lease running, process gone', 'host-b', NOW + 1, 'gone', false],
    ['another owner, lease ending now', 'host-b', NOW, 'alive', false],
    ['another owner, lease expired', 'host-b', NOW - 1, 'elsewhere', false],
    ['another owner, no lease', 'host-b', undefined, 'alive', false],
    ['this owner (restarted), lease running', ME, NOW + 1, 'alive', false],
    ['no owner', undefined, undefined, 'unrecorded', false],
  ] as const)(
    'makes a host wait for the lease of a running run only while it is held elsewhere by a process not known gone: %s',
    (_label, owner, lease, holder, wait) => {
      expect(mustWaitForLease(run('running', owner, lease, holder), ME, NOW)).toBe(wait);
    },
  );

  it.each(['suspended', 'completed', 'failed', 'cancelled'] as const)('never makes a host wait for a %s run, and never calls its holder gone', (status) => {
    const r = run(status, 'host-b', NOW + 1, 'gone');
    expect(heldElsewhere(r, ME, NOW)).toBe(false);
    expect(ownerGone(r)).toBe(false);
    expect(mustWaitForLease(r, ME, NOW)).toBe(false);
  });

  it('takes a run over only when its holder is gone: held elsewhere and gone together', () => {
    const taken = run('running', 'host-b', NOW + 1, 'gone');
    expect(heldElsewhere(taken, ME, NOW) && ownerGone(taken)).toBe(true);
    for (const holder of ['alive', 'elsewhere', 'unrecorded'] as const) expect(ownerGone(run('running', 'host-b', NOW + 1, holder))).toBe(false);
  });
});
