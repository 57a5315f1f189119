/**
 * `warden company --virtual`: the eight departments' first day on the virtual clock, in this
 * process, with real HTTP to the simulated model through the chaos proxy, the MCP memory server
 * as a real child process (killed with SIGKILL on the seed's schedule), and a whole-host restart
 * on one SQLite store. Every due slot must have happened exactly once by the ledger its side
 * effects wrote: the last line says `0 missed, 0 doubled` and due == once. The fresh database
 * under ./.warden/ is deleted at the end; bad options are refused naming them. On a --db of its
 * own the host's snapshots (tree, breakers, budget, health, alerts) are left in the store for
 * `warden dashboard`, none published while the host was dead, the seeded slots unchanged. The whole week,
 * the same seed twice, and SIGTERM in real time are in company.slow.test.ts.
 */
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from './support/cli-harness.ts';
import { openStore } from '../src/store/index.ts';
import { readHostSamples, readHostSnapshots } from '../src/durable/index.ts';

const dir = mkdtempSync(join(tmpdir(), 'warden-company-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const SLOTS = /^slots: (\d+) due, (\d+) ran once, (\d+) missed, (\d+) doubled$/;

describe('warden company --virtual', () => {
  it('runs a day through faults, kills and a host restart with every due slot done exactly once', async () => {
    const { code, out, err } = await runCli(['company', '--virtual', '--days', '1', '--seed', '1'], { cwd: dir });
    expect(err).toBe('');
    expect(code).toBe(0);
    const lines = out.trimEnd().split('\n');
    const last = SLOTS.exec(lines.at(-1)!);
    expect(last, lines.at(-1)).not.toBeNull();
    const [, due, once, missed, doubled] = last!.map(Number);
    // 1 daily post, 24 hourly syncs (some caught up after the restart), the month's accounts (1 January).
    expect({ due, once, missed, doubled }).toEqual({ due: 26, once: 26, missed: 0, doubled: 0 });
    for (const text of [
      'host       dies (every process killed where it stands), down for',
      'host       started again on the same store (incarnation 2)',
      'marketing  killed mid-run (daily-post@2031-01-01T14:00:00.000Z, model#1 journaled)',
      'memory     server process killed (SIGKILL)',
      'memory     restarted by its supervisor on the same port',
      'success rate 100.0% (26 of 26 due slots ran exactly once)',
      'its own record: 26 slots completed, 0 failed, 0 missed',
    ]) {
      expect(out).toContain(text);
    }
    expect(out).toMatch(/replayed +[1-9]\d* model calls/);
    // Its own fresh database and ledger are gone.
    expect(readdirSync(join(dir, '.warden')).filter((f) => f.startsWith('company-'))).toEqual([]);
  });

  it('publishes the host snapshots warden dashboard shows, and none while the host is dead', async () => {
    const db = join(dir, 'watched.db');
    const { code, out, err } = await runCli(['company', '--virtual', '--days', '1', '--seed', '1', '--db', db], { cwd: dir });
    expect(err).toBe('');
    expect(code).toBe(0);
    expect(out.trimEnd().split('\n').at(-1)).toBe('slots: 26 due, 26 ran once, 0 missed, 0 doubled');
    const store = await openStore({ db });
    try {
      const snapshots = await readHostSnapshots(store, Date.now());
      expect(snapshots.map((s) => s.host)).toEqual(['solo-co']);
      const host = snapshots[0]!;
      // The second incarnation stopped in order at the end of the day: its last snapshot says so.
      expect({ stopped: host.stopped, stale: host.stale, intervalMs: host.intervalMs, extra: host.extra }).toEqual({
        stopped: true,
        stale: false,
        intervalMs: 600_000,
        extra: { incarnation: 2 },
      });
      const root = host.trees[0]!.root;
      expect(root.children.map((c) => c.id)).toEqual(['memory', 'departments', 'scheduler', 'health']);
      const departments = root.children.find((c) => c.id === 'departments')!.children.map((c) => c.id);
      expect(departments.filter((id) => !id.endsWith('-desk'))).toEqual(['ceo', 'cfo', 'coo', 'marketing', 'accountant', 'lawyer', 'cto', 'improver']);
      expect(host.breakers.map((b) => b.name)).toEqual(['openai:sim-small', 'anthropic:sim-large']);
      expect(host.budgets.map((b) => b.scope)).toEqual(['company']);
      expect(host.health).toMatchObject({ name: 'company', status: 'ok' });
      expect(host.alerts).toEqual([]);
      // Every virtual 10 minutes while a host was up; nothing in the 2h 27m the first one lay dead.
      const at = (await readHostSamples(store, { since: 0, host: 'solo-co' })).map((s) => s.at);
      const gaps = at.slice(1).map((t, i) => t - at[i]!);
      expect(gaps.filter((g) => g > 600_000)).toEqual([expect.any(Number)]);
      expect(Math.max(...gaps)).toBeGreaterThanOrEqual(2 * 3_600_000 + 27 * 60_000);
    } finally {
      await store.close();
    }
  });

  it('refuses bad options, naming them', async () => {
    const days = await runCli(['company', '--virtual', '--days', '0'], { cwd: dir });
    expect(days.code).toBe(2);
    expect(days.err).toContain('--days must be an integer >= 1 (got "0")');
    const db = await runCli(['company', '--db', 'postgress://x/y'], { cwd: dir });
    expect(db.code).toBe(2);
    expect(db.err).toContain('postgress://');
    writeFileSync(join(dir, 'bad.json'), JSON.stringify({ alerts: { spend: { maxPerWindow: -1 } } }));
    const config = await runCli(['company', '--virtual', '--config', join(dir, 'bad.json')], { cwd: dir });
    expect(config.code).toBe(2);
    expect(config.err).toContain('alerts.spend.maxPerWindow must be > 0');
    const keep = await runCli(['company', '--db', join(dir, 'x.db'), '--keep'], { cwd: dir });
    expect(keep.code).toBe(2);
    expect(keep.err).toContain('--keep applies to the fresh file');
  });
});
