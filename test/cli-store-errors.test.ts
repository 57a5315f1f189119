/**
 * The CLI facing a database location it cannot use, as a user meets it: a mistyped URL scheme,
 * an unexpanded `${VAR}`, an invalid Postgres URL or a directory is refused by every command
 * that takes one (exit 2, one line naming the value, nothing created); a Postgres port that
 * accepts and never answers, and a SQLite file another process keeps locked, give up after the
 * timeout given with one line (exit 1), while commands that only read open the file read-only
 * and are not held up by the lock; `warden memory serve` shows why the store would not open
 * whole. Waits are bounded by the command's own timeout, never by the test's.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './support/cli-harness.ts';
import { openSqliteStore } from '../src/store/index.ts';

const repo = new URL('..', import.meta.url).pathname;
const fresh = (): string => mkdtempSync(join(tmpdir(), 'warden-cli-store-'));

describe('a --db that names no database', () => {
  const UNEXPANDED = '${WARDEN_TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test}';

  it.each([
    ['postgress://warden@db/prod', 'the URL scheme "postgress:" (a typo for postgres://?) is not one Warden opens'],
    ['mysql://root@127.0.0.1/app', 'the URL scheme "mysql:" is not one Warden opens'],
    ['sqlite:warden.db', 'the URL scheme "sqlite:" is not one Warden opens'],
    [UNEXPANDED, 'contains "${", a shell variable that was never expanded'],
    ['postgres://warden@127.0.0.1:notaport/db', 'not a valid Postgres URL'],
    ['postgres://warden@127.0.0.1/db?connect_timeout=soon', 'connect_timeout must be a number of seconds > 0 (got "soon")'],
    ['file:///srv/warden.db?mode=ro', 'a file: URL with ?parameters or a #fragment is not supported'],
  ])('refuses %s in one line, exit 2, creating nothing', async (db, problem) => {
    const cwd = fresh();
    const r = await runCli(['runs', 'list', '--db', db], { cwd });
    expect(r.code).toBe(2);
    const [line, hint, end] = r.err.split('\n');
    expect(line!.startsWith(`warden runs: --db "${db}": `)).toBe(true);
    expect(line).toContain(problem);
    expect([hint, end]).toEqual(["Run 'warden runs --help' for usage.", '']);
    expect(readdirSync(cwd)).toEqual([]);
  });

  it.each([
    [['runs', 'list']],
    [['dlq', 'list']],
    [['approvals', 'list']],
    [['quarantine', 'list']],
    [['memory', 'export']],
    [['memory', 'serve']],
    [['demo', '--virtual']],
  ])('is refused by %j before anything is created', async (argv) => {
    const cwd = fresh();
    const r = await runCli([...argv, '--db', UNEXPANDED], { cwd });
    expect(r.code).toBe(2);
    expect(r.err).toContain(`--db "${UNEXPANDED}": contains "\${"`);
    expect(readdirSync(cwd)).toEqual([]);
  });

  it('names WARDEN_DATABASE_URL when the bad location comes from there', async () => {
    const cwd = fresh();
    const r = await runCli(['runs', 'list'], { cwd, env: { WARDEN_DATABASE_URL: 'postgress://warden:secret@db/prod' } });
    expect(r.code).toBe(2);
    expect(r.err).toContain('WARDEN_DATABASE_URL "postgress://warden:***@db/prod": the URL scheme "postgress:"');
    expect(r.err).not.toContain('secret');
    expect(readdirSync(cwd)).toEqual([]);
  });

  it('refuses a directory, for --db and for memory --file, naming it', async () => {
    const cwd = fresh();
    mkdirSync(join(cwd, 'data'));
    const runs = await runCli(['runs', 'list', '--db', 'data'], { cwd });
    expect(runs.code).toBe(2);
    expect(runs.err).toContain(`--db "data": ${join(cwd, 'data')} is a directory; give a file in it, e.g. ${join(cwd, 'data', 'warden.db')}`);
    const memory = await runCli(['memory', 'export', '--file', 'data'], { cwd });
    expect(memory.code).toBe(2);
    expect(memory.err).toContain(`--file "data": ${join(cwd, 'data')} is a directory`);
    expect(readdirSync(join(cwd, 'data'))).toEqual([]);
  });

  it('takes a file:///absolute URL as the path it names', async () => {
    const cwd = fresh();
    const db = join(cwd, 'jobs.db');
    await (await openSqliteStore({ path: db })).close();
    const r = await runCli(['runs', 'list', '--db', `file://${db}`], { cwd });
    expect(r).toMatchObject({ code: 0, out: 'no runs\n' });
  });
});

describe('a Postgres server that accepts and never answers', () => {
  let silent: Server;
  let port: number;
  const accepted: Socket[] = [];
  beforeAll(async () => {
    silent = createServer((socket) => accepted.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    port = (silent.address() as { port: number }).port;
  });
  afterAll(async () => {
    for (const s of accepted) s.destroy();
    await new Promise((resolve) => silent.close(resolve));
  });

  it('gives up after --db-timeout-ms with one line naming the server, the password hidden', async () => {
    const r = await runCli(['runs', 'list', '--db', `postgres://warden:secret@127.0.0.1:${port}/jobs`, '--db-timeout-ms', '200'], { cwd: fresh() });
    expect(r.code).toBe(1);
    expect(r.err).toMatch(
      new RegExp(`^warden runs: postgres://warden:\\*\\*\\*@127\\.0\\.0\\.1:${port}/jobs: no answer from the database server within 200 ms; [^\\n]+\\n$`),
    );
    expect(accepted.length).toBeGreaterThan(0);
  });

  it("gives up after the URL's connect_timeout, for the memory server's store too", async () => {
    const r = await runCli(['memory', 'export', '--db', `postgres://warden@127.0.0.1:${port}/jobs?connect_timeout=0.2`], { cwd: fresh() });
    expect(r.code).toBe(1);
    expect(r.err).toMatch(
      /^warden memory: postgres:\/\/warden@127\.0\.0\.1:\d+\/jobs\?connect_timeout=0\.2: no answer from the database server within 200 ms; [^\n]+\n$/,
    );
  });
});

describe('a SQLite file another process keeps locked', () => {
  it('lets reading commands through (read-only) and fails a writing one after --db-timeout-ms, in one line', async () => {
    const cwd = fresh();
    const db = join(cwd, 'warden.db');
    const store = await openSqliteStore({ path: db });
    await store.createRun({ id: 'r1', name: 'mailer', input: null, traceId: 't', at: Date.UTC(2026, 0, 1) });
    await store.close();
    const writer = new Database(db);
    writer.exec('BEGIN IMMEDIATE');
    writer.prepare("UPDATE warden_meta SET value = value WHERE key = 'schema_version'").run();
    try {
      const list = await runCli(['runs', 'list', '--db', db, '--json'], { cwd });
      expect(list.err).toBe('');
      expect((JSON.parse(list.out) as { id: string }[]).map((r) => r.id)).toEqual(['r1']);
      expect((await runCli(['runs', 'show', 'r1', '--db', db], { cwd })).code).toBe(0);
      const cancel = await runCli(['runs', 'cancel', 'r1', '--db', db, '--db-timeout-ms', '100'], { cwd });
      expect(cancel.code).toBe(1);
      expect(cancel.err).toBe(`warden runs: ${db}: the database is locked by another process (gave up after 100 ms); try again once it is done\n`);
    } finally {
      writer.exec('ROLLBACK');
      writer.close();
    }
    expect((await runCli(['runs', 'cancel', 'r1', '--db', db], { cwd })).code).toBe(0);
  });
});

describe('warden memory serve on a store that will not open', () => {
  it.each(['inline', 'process'])('shows why, whole, in one line (isolation %s)', async (isolation) => {
    const dir = join(fresh(), 'a-folder-with-a-rather-long-name-as-real-home-folders-often-have', 'memory');
    mkdirSync(dir, { recursive: true });
    const bad = join(dir, 'notes.db');
    writeFileSync(bad, 'these are my notes, not a database\n'.repeat(50));
    const r = await promisify(execFile)(process.execPath, [join(repo, 'bin/warden'), 'memory', 'serve', '--db', bad, '--isolation', isolation], {
      cwd: dir,
    }).then(
      () => ({ code: 0, stderr: '' }),
      (e: { code: number; stderr: string }) => e,
    );
    expect(r.code).toBe(1);
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`warden memory: cannot start the graph: ${bad}: `);
    expect(lines[0]).toMatch(/move it aside to start with an empty database$/);
    expect(lines[0]!.length).toBeGreaterThan(200);
  });
});
