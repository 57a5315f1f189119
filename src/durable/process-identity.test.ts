/**
 * What a host can tell about a recorded process, with real processes: this one is `alive`, a
 * child that exited is `gone`, a live child is `alive` until it is SIGKILLed, and a record of
 * the same pid with another start time (a reused pid) is `gone`. A process in another pid space
 * and a claim that recorded none are `unknown`: their lease is honoured.
 */
import { spawn, spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { currentProcess, processIdentity, processState } from './process-identity.ts';

describe('process identity', () => {
  it('calls this process alive and a record of its pid with another start time gone', () => {
    const me = currentProcess();
    expect(me.pid).toBe(process.pid);
    expect(processState(me)).toBe('alive');
    if (me.startTime !== undefined) expect(processState({ ...me, startTime: `${me.startTime}0` })).toBe('gone');
  });

  it('calls a process that exited gone, and gives no identity for its pid', () => {
    const pid = spawnSync(process.execPath, ['-e', '']).pid;
    expect(processIdentity(pid)).toBeUndefined();
    expect(processState({ ...currentProcess(), pid })).toBe('gone');
  });

  it('knows nothing of a process in another pid space or of no record', () => {
    expect(processState({ host: 'other-machine', pidSpace: 'linux:00000000-0000-0000-0000-000000000000:pidns-1', pid: process.pid })).toBe('unknown');
    expect(processState(undefined)).toBe('unknown');
  });

  it('calls a live child alive, a record of its pid with another start time gone, and the child gone once SIGKILLed', async () => {
    const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1 << 30)'], { stdio: 'ignore' });
    const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
    await new Promise<void>((resolve, reject) => child.once('spawn', resolve).once('error', reject));
    const live = processIdentity(child.pid!);
    try {
      expect(live).toMatchObject({ pid: child.pid, pidSpace: currentProcess().pidSpace });
      expect(processState(live)).toBe('alive');
      if (process.platform === 'linux') expect(processState({ ...live!, startTime: String(Number(live!.startTime) + 1) })).toBe('gone');
    } finally {
      child.kill('SIGKILL');
      await exited;
    }
    expect(processState(live)).toBe('gone');
  }, 30_000);
});
