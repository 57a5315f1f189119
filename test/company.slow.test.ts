/**
 * `warden company` the long way. The week on the virtual clock (about 10 s alone, more beside
 * other suites): seven days of provider faults, agent kills, memory-server SIGKILLs and three
 * host incarnations on one store, every due slot exactly once by the ledger, and the same seed
 * printing the same report twice (a second seed too). In real time, as a child process: SIGTERM
 * stops it in order (no new slots, the slots in flight finish, the tree shut down), the report
 * is printed, it exits 0, and no run is left half done in the store.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from './support/cli-harness.ts';
import { openStore } from '../src/store/index.ts';

const repo = new URL('..', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'warden-company-slow-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const SLOTS = /^slots: (\d+) due, (\d+) ran once, (\d+) missed, (\d+) doubled$/;

describe('warden company --virtual, a week', () => {
  it('runs a week through faults, kills and host restarts with every due slot done exactly once', async () => {
    const { code, out, err } = await runCli(['company', '--virtual', '--days', '7', '--seed', '1'], { cwd: dir });
    expect(err).toBe('');
    expect(code).toBe(0);
    const lines = out.trimEnd().split('\n');
    const last = SLOTS.exec(lines.at(-1)!);
    expect(last, lines.at(-1)).not.toBeNull();
    const [, due, once, missed, doubled] = last!.map(Number);
    // 7 daily posts, 168 hourly syncs, 1 weekly report (Monday 6 January), 1 month's accounts (1 January).
    expect({ due, once, missed, doubled }).toEqual({ due: 177, once: 177, missed: 0, doubled: 0 });
    // The trouble happened, as it happened.
    for (const text of [
      'marketing  killed mid-run (daily-post@',
      'ceo        killed mid-run (weekly-report@2031-01-06T09:00:00.000Z',
      'memory     server process killed (SIGKILL)',
      'memory     restarted by its supervisor on the same port',
      'host       dies mid-run (daily-post@',
      'host       dies (every process killed where it stands), down for',
      'host       started again on the same store (incarnation 3)',
    ]) {
      expect(out).toContain(text);
    }
    // The report: per job, the rate, reliability, alerts, cost, what was replayed.
    expect(out).toContain('daily post, 14:00: 7 due, 7 once');
    expect(out).toContain('memory sync, hourly at :30: 168 due, 168 once');
    expect(out).toContain('success rate 100.0% (177 of 177 due slots ran exactly once)');
    expect(out).toMatch(/marketing \d+ failures, MTBF \S+ \S+, MTTR/);
    expect(out).toMatch(/alerts +day \d \d\d:\d\d {2}warning spend_rate/);
    expect(out).toMatch(/cost +\$0\.\d{6} of the \$5\.000000 budget, \d+ model calls paid/);
    expect(out).toMatch(/replayed +[1-9]\d* model calls \(\$0\.\d+\) and [1-9]\d* journaled steps replayed/);
    expect(out).toContain('known-answer probes through the CFO agent: 28 passed, 0 failed');
    expect(out).toMatch(/scheduler +its own record: 177 slots completed, 0 failed, 0 missed/);
    // Its own fresh database and ledger are gone.
    expect(readdirSync(join(dir, '.warden')).filter((f) => f.startsWith('company-'))).toEqual([]);
  }, 180_000);

  it('prints the same week twice for one seed, and another seed also does every slot once', async () => {
    const a = await runCli(['company', '--virtual', '--seed', '4'], { cwd: dir });
    const b = await runCli(['company', '--virtual', '--seed', '4'], { cwd: dir });
    expect(a.code).toBe(0);
    expect(a.out).toBe(b.out);
    expect(a.out.trimEnd().split('\n').at(-1)).toBe('slots: 177 due, 177 ran once, 0 missed, 0 doubled');
  }, 300_000);
});

describe.skipIf(process.env.WARDEN_TEST_DATABASE_URL === undefined)('warden company --virtual on Postgres', () => {
  it('runs a day with every slot once, and a second run on the same database is a run of its own', async () => {
    // A database of its own (the command takes a URL; the schedules of other tests are not its).
    const admin = new pg.Client({ connectionString: process.env.WARDEN_TEST_DATABASE_URL });
    await admin.connect();
    const name = `warden_company_${process.pid}_${Date.now()}`;
    await admin.query(`CREATE DATABASE ${name}`);
    try {
      const url = new URL(process.env.WARDEN_TEST_DATABASE_URL!);
      url.pathname = `/${name}`;
      for (let i = 0; i < 2; i++) {
        const { code, out, err } = await runCli(['company', '--virtual', '--days', '1', '--seed', '3', '--db', url.href, '--quiet'], { cwd: dir });
        expect(err).toBe('');
        expect(code).toBe(0);
        expect(out.trimEnd().split('\n').at(-1)).toBe('slots: 26 due, 26 ran once, 0 missed, 0 doubled');
      }
    } finally {
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
    }
  }, 180_000);
});

describe('warden company in real time', () => {
  it('stops in order on SIGTERM: the report is printed, it exits 0, nothing is left half done', async () => {
    const db = join(dir, 'real.db');
    const child = spawn(process.execPath, [join(repo, 'bin/warden'), 'company', '--db', db], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const running = new Promise<void>((resolve) =>
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('company    running until SIGINT or SIGTERM')) resolve();
      }),
    );
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    await running;
    child.kill('SIGTERM');
    const code = await exited;
    expect(err).toBe('');
    expect(code).toBe(0);
    expect(out).toContain('stopping (signal): no new slots, the slots in flight finish');
    // No slot came due in the seconds it ran (the first is the next hour's sync): none missed.
    expect(out.trimEnd().split('\n').at(-1)).toBe('slots: 0 due, 0 ran once, 0 missed, 0 doubled');
    // The health probe asked the CFO through the model before the stop.
    expect(out).toMatch(/known-answer probes through the CFO agent: 1 passed, 0 failed/);
    const store = await openStore({ db });
    try {
      // The schedules are in the store for the next start, and no run was left half done.
      const runs = await store.listRuns({});
      expect(runs.filter((r) => r.status === 'running').map((r) => r.id)).toEqual([]);
    } finally {
      await store.close();
    }
    expect(readdirSync(join(dir, '.warden')).filter((f) => f.endsWith('.effects.jsonl'))).toEqual([]);
  });
});
