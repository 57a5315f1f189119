/**
 * The durable CLI commands against a real store: listing and inspecting runs, dead letters,
 * approvals and quarantined inputs; approving on the CLI and a host picking the decision up;
 * replay and cancel marks; bad input refused with exit status 2 and the database left byte for
 * byte as it was; a damaged database reported in one line. One case runs the real bin/warden.
 */
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli, type CliRun } from './support/cli-harness.ts';
import { EventBus, VirtualClock, type WardenEvent } from '../src/runtime/index.ts';
import { Quarantine } from '../src/resilience/index.ts';
import { openSqliteStore, openStore, type Store } from '../src/store/index.ts';
import { DurableHost, StoreQuarantineStore, defineRun } from '../src/durable/index.ts';
import { storeCase, waitFor } from '../src/testing/index.ts';

const repo = new URL('..', import.meta.url).pathname;

const cli = (...argv: string[]): Promise<CliRun> => runCli(argv, { cwd: repo });

const sent: string[] = [];
const mailer = defineRun('mailer', async (run, input: { to: string }) => {
  const body = await run.step('compose', () => `hello ${input.to}`);
  await run.effect('send', () => (sent.push(input.to), 'sent'), { irreversible: true });
  return body;
});
const failing = defineRun('failing', async (run) =>
  run.step('parse', () => {
    throw new SyntaxError('model returned malformed JSON');
  }),
);

describe('warden runs / dlq / approvals / quarantine (sqlite)', () => {
  let dir: string;
  let db: string;
  let store: Store;
  let clock: VirtualClock;
  let events: WardenEvent[];
  let host: DurableHost;
  let suspendedId: string;
  let failedId: string;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'warden-cli-'));
    db = join(dir, 'warden.db');
    store = await openSqliteStore({ path: db });
    clock = new VirtualClock({ startMs: Date.UTC(2026, 0, 1) });
    const bus = new EventBus(clock);
    events = [];
    bus.onAny((e) => events.push(e));
    host = new DurableHost({ store, runs: [mailer, failing], clock, bus, owner: 'cli-test-host' });
    suspendedId = (await host.start(mailer, { to: 'ceo@example.com' })).id;
    await waitFor(() => events.some((e) => e.type === 'run.suspended'));
    const f = await host.start(failing, null);
    failedId = f.id;
    await f.result;
    const q = new Quarantine({ name: 'inbox', maxCrashes: 1, store: new StoreQuarantineStore(store, 'inbox'), clock });
    await q
      .run({ mail: 'poison' }, () => {
        throw new TypeError('cannot parse');
      })
      .catch(() => undefined);
    sent.length = 0;
  });
  afterEach(async () => {
    await host.close();
    await store.close();
  });

  it('lists runs with their status and shows one run with its journal and pending approval', async () => {
    const list = await cli('runs', 'list', '--db', db);
    expect(list.code).toBe(0);
    expect(list.out).toMatch(new RegExp(`${suspendedId}\\s+mailer\\s+suspended`));
    expect(list.out).toMatch(new RegExp(`${failedId}\\s+failing\\s+failed`));
    const only = await cli('runs', 'list', '--db', db, '--status', 'failed', '--json');
    expect((JSON.parse(only.out) as { id: string }[]).map((r) => r.id)).toEqual([failedId]);
    const none = await cli('runs', 'list', '--db', db, '--status', 'cancelled', '--json');
    expect(none.out).toBe('[]\n');
    const lines = await cli('runs', 'list', '--db', db, '--jsonl');
    expect(
      lines.out
        .trim()
        .split('\n')
        .map((l) => (JSON.parse(l) as { id: string }).id)
        .sort(),
    ).toEqual([suspendedId, failedId].sort());
    const show = await cli('runs', 'show', suspendedId, '--db', db);
    expect(show.code).toBe(0);
    expect(show.out).toContain('status    suspended');
    expect(show.out).toMatch(/0\s+step\s+compose\s+ok\s+"hello ceo@example.com"/);
    expect(show.out).toMatch(new RegExp(`${suspendedId}:1\\s+send\\s+pending`));
  });

  it('approves from the CLI with who and why, and a serving host resumes the run and performs the action once', async () => {
    const list = await cli('approvals', 'list', '--db', db);
    expect(list.out).toContain(`${suspendedId}:1`);
    const r = await cli('approvals', 'approve', `${suspendedId}:1`, '--by', 'alice', '--reason', 'looks right', '--db', db);
    expect(r).toMatchObject({ code: 0, out: expect.stringContaining('approved by alice') });
    expect(sent).toEqual([]); // the CLI only marks the store
    await host.tick();
    await waitFor(() => events.some((e) => e.type === 'run.completed' && e.runId === suspendedId));
    expect(sent).toEqual(['ceo@example.com']);
    const again = await cli('approvals', 'deny', `${suspendedId}:1`, '--by', 'bob', '--reason', 'late', '--db', db);
    expect(again.code).toBe(2);
    expect(again.err).toContain('already approved by alice');
    expect((await store.listAudit({ subject: `approval:${suspendedId}:1` }))[0]).toMatchObject({ actor: 'alice', reason: 'looks right' });
  });

  it('shows a dead letter with its attempts, replays it with edited input through a serving host, and refuses a second replay', async () => {
    const list = await cli('dlq', 'list', '--db', db, '--json');
    const [letter] = JSON.parse(list.out) as { id: string; runId: string }[];
    expect(letter!.runId).toBe(failedId);
    const show = await cli('dlq', 'show', letter!.id, '--db', db);
    expect(show.out).toContain('SyntaxError');
    expect(show.out).toContain('attempts  1');
    const replay = await cli('dlq', 'replay', letter!.id, '--input', '{"fixed":true}', '--db', db);
    expect(replay.code).toBe(0);
    await host.tick();
    expect(await store.getDeadLetter(letter!.id)).toMatchObject({ status: 'replayed', replayedAs: `replay-${letter!.id}`, replayInput: { fixed: true } });
    const twice = await cli('dlq', 'replay', letter!.id, '--db', db);
    expect(twice.code).toBe(2);
    expect(twice.err).toContain('cannot replay it: it is replayed');
  });

  it('cancels an idle run at once and records who asked', async () => {
    const r = await cli('runs', 'cancel', suspendedId, '--by', 'ops', '--reason', 'customer withdrew', '--db', db);
    expect(r).toMatchObject({ code: 0, out: `run ${suspendedId} cancelled\n` });
    expect((await store.getRun(suspendedId))?.status).toBe('cancelled');
    expect((await store.listAudit({ subject: `run:${suspendedId}` }))[0]).toMatchObject({ actor: 'ops', reason: 'customer withdrew' });
  });

  it('marks a failed run for resume and points a run waiting for approval at the approvals command', async () => {
    const r = await cli('runs', 'resume', failedId, '--db', db);
    expect(r.code).toBe(0);
    expect((await store.getRun(failedId))?.request).toBe('resume');
    const waiting = await cli('runs', 'resume', suspendedId, '--db', db);
    expect(waiting.code).toBe(2);
    expect(waiting.err).toContain('warden approvals approve|deny');
  });

  it('lists quarantined inputs and releases one by a key prefix', async () => {
    const list = await cli('quarantine', 'list', '--db', db);
    expect(list.out).toContain('inbox');
    expect(list.out).toContain('TypeError: cannot parse');
    const [rec] = await store.listQuarantine('inbox');
    const r = await cli('quarantine', 'release', rec!.key.slice(0, 10), '--db', db);
    expect(r).toMatchObject({ code: 0, out: expect.stringContaining(`released ${rec!.key}`) });
    expect(await store.listQuarantine()).toEqual([]);
  });

  it.each([
    [['runs'], 'give a subcommand: list, show, resume, cancel'],
    [['runs', 'explode'], "unknown subcommand 'explode'"],
    [['runs', 'show'], 'give the run id'],
    [['runs', 'show', 'a', 'b'], 'give one run id (got 2: a b)'],
    [['runs', 'show', 'nope'], 'no run nope'],
    [['runs', 'list', '--status', 'sleeping'], '--status must be one of running, suspended, completed, failed, cancelled (got "sleeping")'],
    [['runs', 'list', '--limit', '0'], '--limit must be an integer >= 1 (got "0")'],
    [['runs', 'cancel', 'x', '--status', 'failed'], "--status does not apply to 'cancel'"],
    [['runs', 'resume', 'x', '--effect', 'k'], '--effect and --outcome go together'],
    [['dlq', 'replay', 'x', '--input', '{oops'], '--input must be JSON'],
    [['dlq', 'discard', 'no-such-letter'], 'no such dead letter'],
    [['approvals', 'approve', 'x', '--reason', 'r'], '--by is required'],
    [['approvals', 'deny', 'x', '--by', 'a'], '--reason is required'],
    [['approvals', 'approve', 'no-such', '--by', 'a', '--reason', 'r'], 'no such approval'],
    [['quarantine', 'release', 'abc'], 'at least 8 characters'],
    [['quarantine', 'release'], 'give the key'],
    [['quarantine', 'list', 'x'], "'list' takes no arguments (got x)"],
    [['dlq', 'list', 'a', 'b'], "'list' takes no arguments (got a b)"],
    [['approvals', 'list', 'x'], "'list' takes no arguments (got x)"],
    [['runs', 'list', 'x'], "'list' takes no arguments (got x)"],
    [['quarantine', 'release', 'ffffffffff'], 'nothing is recorded under key ffffffffff'],
    [['runs', 'list', '--bogus'], "Unknown option '--bogus'"],
    [['runs', 'list', '--json', '--jsonl'], 'give --json or --jsonl, not both'],
    [['runs', 'show', 'x', '--jsonl'], "--jsonl does not apply to 'show' (only to: list)"],
    [['dlq', 'list', '--db-timeout-ms', '0'], '--db-timeout-ms must be an integer >= 1 (got "0")'],
  ])('refuses %j with exit status 2, saying what is wrong, and changes nothing', async (argv, message) => {
    await store.close();
    const before = readFileSync(db);
    const r = await cli(...argv, '--db', db);
    expect(r.code).toBe(2);
    expect(r.err).toContain(message);
    expect(readFileSync(db).equals(before)).toBe(true);
    store = await openSqliteStore({ path: db });
    host = new DurableHost({ store, runs: [mailer, failing], clock, owner: 'cli-test-host' });
  });

  it('refuses a --db that does not exist instead of creating an empty database', async () => {
    const r = await cli('runs', 'list', '--db', join(dir, 'typo.db'));
    expect(r.code).toBe(2);
    expect(r.err).toContain(`no database at ${join(dir, 'typo.db')}`);
  });

  it('reports a damaged database file in one line, exit 1, and leaves it untouched', async () => {
    const bad = join(dir, 'bad.db');
    writeFileSync(bad, 'not a database at all '.repeat(100));
    const before = readFileSync(bad);
    const r = await cli('runs', 'list', '--db', bad);
    expect(r.code).toBe(1);
    expect(r.err).toBe(
      `warden runs: ${bad}: not a SQLite database (bad header); the file was left untouched. Restore it from a backup, or move it aside to start with an empty database\n`,
    );
    expect(readFileSync(bad).equals(before)).toBe(true);
  });

  it('runs through the real bin/warden with WARDEN_DATABASE_URL choosing the database', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [`${repo}bin/warden`, 'runs', 'list', '--status', 'suspended'], {
      env: { ...process.env, WARDEN_DATABASE_URL: db },
    });
    expect(stdout).toContain(suspendedId);
  });
});

const postgres = storeCase('postgres');
describe.skipIf(postgres.skip)(`warden runs on ${postgres.title}`, () => {
  it('lists and approves through a postgres:// URL', async () => {
    const loc = postgres.location();
    const store = await openStore(loc);
    try {
      const clock = new VirtualClock();
      const bus = new EventBus(clock);
      const events: WardenEvent[] = [];
      bus.onAny((e) => events.push(e));
      const host = new DurableHost({ store, runs: [mailer], clock, bus, owner: 'pg-host' });
      const { id } = await host.start(mailer, { to: 'pg@example.com' });
      await waitFor(() => events.some((e) => e.type === 'run.suspended'));
      const url = `${loc.db}${loc.db.includes('?') ? '&' : '?'}options=${encodeURIComponent(`-c search_path=${loc.schema}`)}`;
      expect((await cli('runs', 'list', '--db', url)).out).toMatch(new RegExp(`${id}\\s+mailer\\s+suspended`));
      const approved = await cli('approvals', 'approve', `${id}:1`, '--by', 'dba', '--reason', 'ok', '--db', url);
      expect(approved.err).toBe('');
      expect(approved.code).toBe(0);
      await host.tick();
      await waitFor(() => events.some((e) => e.type === 'run.completed'));
      await host.close();
    } finally {
      await store.close();
      await loc.drop();
    }
  });
});
