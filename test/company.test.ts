/**
 * `warden company --virtual`: the eight departments' first day on the virtual clock, in this
 * process, with real HTTP to the simulated model through the chaos proxy, the MCP memory server
 * as a real child process (killed with SIGKILL on the seed's schedule), and a whole-host restart
 * on one SQLite store. Every due slot must have happened exactly once by the ledger its side
 * effects wrote: the last line says `0 missed, 0 doubled` and due == once. The fresh database
 * under ./.warden/ is deleted at the end; bad options are refused naming them. The whole week,
 * the same seed twice, and SIGTERM in real time are in company.slow.test.ts.
 */
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from './support/cli-harness.ts';

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
