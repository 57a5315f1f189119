/**
 * `warden demo` end to end: the research pipeline against the simulated model through the chaos
 * proxy, on SQLite. On the virtual clock it runs in-process, twice with the same seed, and must
 * print the same thing both times (servers' ports and the database path aside), recover from
 * every fault and report it, show every cause whole (wrapped, never cut), leave nothing running,
 * and leave the journal it reports when given --db or --keep; its own fresh file under ./.warden/
 * is deleted otherwise. As a real child process on the real clock (as CI runs it) it must exit 0
 * on its own, and `--real` with no key must say what to set.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli, type CliRun } from './support/cli-harness.ts';
import { readOffloaded } from '../src/agent/index.ts';
import { openSqliteStore } from '../src/store/index.ts';

const repo = new URL('..', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'warden-demo-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const cli = (argv: string[], env: Record<string, string> = {}): Promise<CliRun> => runCli(argv, { cwd: dir, env });

const normal = (text: string): string => text.replace(/127\.0\.0\.1:\d+/g, '127.0.0.1:PORT').replace(/demo-[ab]\.db/g, 'demo.db');

describe('warden demo', () => {
  it('runs the pipeline through every fault to an answer, the same way twice for one seed', async () => {
    const a = await cli(['demo', '--virtual', '--seed', '7', '--db', join(dir, 'demo-a.db')]);
    const b = await cli(['demo', '--virtual', '--seed', '7', '--db', join(dir, 'demo-b.db')]);
    expect(a.err).toBe('');
    expect(a.code).toBe(0);
    expect(b.code).toBe(0);
    expect(normal(a.out)).toBe(normal(b.out));
    const out = a.out;
    // As it happens: faults, recovery, guards, compaction, the crash and the kill, the replays.
    for (const line of [
      '429 rate limited injected',
      'retry in 1000 ms (Retry-After)',
      '529 overloaded injected',
      'breaker    openai:sim-small closed → open',
      'fallback openai:sim-small → anthropic:sim-large',
      'error status injected',
      'stream cut after',
      'guard UNKNOWN_TOOL',
      '✗ pipeline/search exited: UNKNOWN_TOOL',
      '■ pipeline/extract stopped by its supervisor (rest_for_one',
      '↻ pipeline/search restarted as <0.',
      'resuming run r1-search from its journal (2 entries)',
      'answer rejected by the output schema (1 of 3)',
      'context compacted',
      'killing synthesize',
      '✗ pipeline/synthesize exited: killed',
      'synthesize model#2 replayed from the journal',
    ]) {
      expect(out).toContain(line);
    }
    // Causes whole: the guard's message to its last word, wrapped onto an indented line, never cut.
    expect(out).not.toContain('…');
    expect(out).toMatch(
      /guard UNKNOWN_TOOL: the model called a tool that does not exist: "web_serch" \(tools: web_search\); the run\n {21}stops here rather than guess what was meant\n/,
    );
    // The report.
    const report = out.slice(out.indexOf('\nreport\n'));
    expect(report).toMatch(/answer {7}Supervision trees keep AI agents running/);
    expect(report).toMatch(/search ✓ · 4 model calls paid, 1 replayed .* exited 1× \(UNKNOWN_TOOL\)/);
    expect(report).toMatch(/synthesize ✓ · 3 model calls paid, 2 replayed .* exited 1× \(killed\) .* 3 journal entries replayed/);
    expect(report).toMatch(/model calls {2}12 paid \(.*1 answer rejected by the output schema\); 3 replayed from the journal, not paid again \(\$0\.\d+\)/);
    expect(report).toMatch(/faults {7}\d+ requests through the chaos proxy: 429 rate limited ×1, 529 overloaded ×3/);
    expect(report).toContain('guards       UNKNOWN_TOOL (search); 1 output re-ask; compaction extract:');
    expect(report).toContain('escalations 0; dead letters 1 added, 1 discarded');
    expect(report).toMatch(/cost {9}\$0\.\d+ of the \$0\.05 budget/);
    expect(report).toContain('journal      ');
    expect(report).toContain('processes    0 left');

    // The journal the report names is there: three completed runs, the compaction and what it offloaded.
    const store = await openSqliteStore({ path: join(dir, 'demo-a.db') });
    try {
      const runs = await store.listRuns();
      expect(runs.map((r) => [r.id, r.status]).sort()).toEqual([
        ['r1-extract', 'completed'],
        ['r1-search', 'completed'],
        ['r1-synthesize', 'completed'],
      ]);
      expect((await store.readJournal('r1-extract')).map((e) => e.name)).toContain('compact#1');
      expect((await readOffloaded(store, 'r1-extract')).map((o) => o.source)).toEqual(['fetch_page', 'fetch_page']);
      expect(await store.listDeadLetters({ status: 'discarded' })).toMatchObject([{ runId: 'r1-search', error: { code: 'UNKNOWN_TOOL' } }]);
    } finally {
      await store.close();
    }
  });

  it('runs again on the same database with new run ids', async () => {
    const r = await cli(['demo', '--virtual', '--quiet', '--db', join(dir, 'demo-a.db')]);
    expect(r.code).toBe(0);
    expect(r.out.startsWith('\nreport\n')).toBe(true);
    expect(r.out).toContain('3 runs');
    const store = await openSqliteStore({ path: join(dir, 'demo-a.db') });
    try {
      expect((await store.listRuns()).filter((x) => x.id.startsWith('r2-'))).toHaveLength(3);
    } finally {
      await store.close();
    }
  });

  it('keeps its fresh journal under ./.warden/ with --keep, naming it in the report', async () => {
    const r = await cli(['demo', '--virtual', '--quiet', '--keep']);
    expect(r.code).toBe(0);
    const kept = /journal {6}(\.\/\.warden\/demo-[\d-]+\.db): 3 runs, \d+ journal entries \(npx warden runs list --db \.\/\.warden\/demo-[\d-]+\.db\)/.exec(
      r.out,
    );
    expect(kept).not.toBeNull();
    expect(existsSync(join(dir, kept![1]!))).toBe(true);
    rmSync(join(dir, '.warden'), { recursive: true, force: true });
  });

  it('runs as CI runs it: a real process on the real clock, exiting 0 on its own and deleting its journal', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [join(repo, 'bin/warden'), 'demo', '--quiet'], {
      cwd: dir,
      env: { ...process.env, NO_COLOR: '1' },
    });
    expect(stdout).toContain('answer       Supervision trees keep AI agents running');
    expect(stdout).toMatch(/journal {6}3 runs, \d+ journal entries, in a file deleted at the end \(--keep keeps it\)/);
    expect(readdirSync(join(dir, '.warden'))).toEqual([]);
    expect(stdout).toContain('(real clock)');
    expect(stdout).toContain('processes    0 left');
  });

  it('says which keys --real needs when none is set', async () => {
    const r = await cli(['demo', '--real']);
    expect(r.code).toBe(2);
    expect(r.err).toContain('--real needs a provider key: set OPENAI_API_KEY and/or ANTHROPIC_API_KEY');
    expect((await cli(['demo', '--real', '--virtual'], { OPENAI_API_KEY: 'k' })).err).toContain('--virtual cannot be combined with --real');
    expect((await cli(['demo', '--question', ' '])).err).toContain('--question must not be empty');
  });
});
