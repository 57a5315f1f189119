/**
 * Store locations: what each form names, and every form that names no database refused with
 * `InvalidStoreLocationError` before anything is created (the working directory stays empty).
 * Opening read-only: not held up by another connection's write lock, refusing writes in one
 * line, and an older schema still migrated first.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { isWardenError } from '../runtime/index.ts';
import { openPostgresStore, openSqliteStore, openStore, resolveStoreLocation, SCHEMA_VERSION } from './index.ts';

const tmp = (): string => mkdtempSync(join(tmpdir(), 'warden-location-'));

async function refusal(run: () => unknown): Promise<Error & { code?: string; given?: string; source?: string }> {
  try {
    await run();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a refusal');
}

describe('resolveStoreLocation', () => {
  it.each([
    ['jobs.db', { kind: 'sqlite', path: '/srv/jobs.db' }],
    ['./data/jobs.db', { kind: 'sqlite', path: '/srv/data/jobs.db' }],
    ['file:///var/lib/warden/jobs.db', { kind: 'sqlite', path: '/var/lib/warden/jobs.db' }],
    ['file://localhost/var/lib/warden/jobs.db', { kind: 'sqlite', path: '/var/lib/warden/jobs.db' }],
    ['postgres://warden@db:5432/prod', { kind: 'postgres', url: 'postgres://warden@db:5432/prod' }],
    ['postgresql://warden:p%40ss@db/prod?connect_timeout=3', { kind: 'postgres', url: 'postgresql://warden:p%40ss@db/prod?connect_timeout=3' }],
    ['postgres://warden@/prod', { kind: 'postgres', url: 'postgres://warden@/prod' }],
  ])('takes %s', (db, target) => {
    expect(resolveStoreLocation({ db, cwd: '/srv', env: {} })).toEqual(target);
  });

  it('defaults to WARDEN_DATABASE_URL, then ./.warden/warden.db', () => {
    expect(resolveStoreLocation({ cwd: '/srv', env: { WARDEN_DATABASE_URL: 'postgres://u@h/db' } })).toEqual({ kind: 'postgres', url: 'postgres://u@h/db' });
    expect(resolveStoreLocation({ cwd: '/srv', env: {} })).toEqual({ kind: 'sqlite', path: '/srv/.warden/warden.db' });
  });

  it.each([
    ['', 'empty'],
    ['   ', 'empty'],
    ['postgress://warden@db/prod', 'the URL scheme "postgress:" (a typo for postgres://?)'],
    ['mysql://root@db/app', 'the URL scheme "mysql:"'],
    [
      'sqlite:jobs.db',
      'the URL scheme "sqlite:" is not one Warden opens; give a file path or a postgres:// URL (or postgresql://) (for a file of that name, write ./sqlite:jobs.db)',
    ],
    ['${DATABASE_URL:-postgres://u@h/db}', 'a shell variable that was never expanded'],
    ['$' + '{HOME}/jobs.db', 'a shell variable that was never expanded'],
    [':memory:', 'an in-memory database would keep nothing'],
    ['POSTGRES://u@h/db', 'write the scheme in lower case (postgres://)'],
    ['postgres:u@h/db', 'a Postgres URL starts with postgres://'],
    ['postgres://u@h:99999/db', 'not a valid Postgres URL'],
    ['postgres://u@h/db?connect_timeout=0', 'connect_timeout must be a number of seconds > 0 (got "0")'],
    ['file:jobs.db', 'a file: URL must be absolute'],
    ['file://fileserver/share/jobs.db', 'not a usable file: URL'],
    ['file:///srv/jobs.db#x', 'a file: URL with ?parameters or a #fragment is not supported'],
  ])('refuses %j, naming it: %s', (db, problem) => {
    let error: unknown;
    try {
      resolveStoreLocation({ db, cwd: '/srv', env: {} });
    } catch (e) {
      error = e;
    }
    expect(isWardenError(error, 'STORE_LOCATION_INVALID')).toBe(true);
    expect((error as Error).message).toBe(`store location "${db}": ${(error as { problem: string }).problem}`);
    expect((error as Error).message).toContain(problem);
  });

  it('refuses a directory, a schema for a SQLite file, and a Postgres URL where a file is wanted', () => {
    const cwd = tmp();
    mkdirSync(join(cwd, 'data'));
    expect(() => resolveStoreLocation({ db: 'data', cwd })).toThrow(
      `${join(cwd, 'data')} is a directory; give a file in it, e.g. ${join(cwd, 'data', 'warden.db')}`,
    );
    expect(() => resolveStoreLocation({ db: 'jobs.db', schema: 'team', cwd })).toThrow('a schema ("team") applies to a Postgres store only');
    expect(() => resolveStoreLocation({ db: 'postgres://u@h/db', accept: 'file', name: '--file' })).toThrow(
      '--file "postgres://u@h/db": a Postgres URL is not a file',
    );
  });

  it('refuses a path longer than a file name may be by name, not with a raw ENAMETOOLONG', () => {
    let error: unknown;
    try {
      resolveStoreLocation({ db: 'x'.repeat(300), cwd: tmp() });
    } catch (e) {
      error = e;
    }
    expect(isWardenError(error, 'STORE_LOCATION_INVALID')).toBe(true);
    expect((error as Error).message).toContain('the path is longer than this system allows for a file name');
  });

  it('hides a password in what it names, and says when the value came from WARDEN_DATABASE_URL', () => {
    expect(() => resolveStoreLocation({ env: { WARDEN_DATABASE_URL: 'postgress://warden:hunter2@db/prod' } })).toThrow(
      /^WARDEN_DATABASE_URL "postgress:\/\/warden:\*\*\*@db\/prod": the URL scheme/,
    );
    expect(() => resolveStoreLocation({ db: '${X:-postgres://warden:hunter2@db/prod}' })).toThrow('"${X:-postgres://warden:***@db/prod}"');
  });
});

describe('opening a store at a location that names no database', () => {
  it.each(['postgress://warden@127.0.0.1/test', '${WARDEN_TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test}', 'mysql://root@127.0.0.1/app'])(
    'openStore refuses %s and creates nothing',
    async (db) => {
      const cwd = tmp();
      const error = await refusal(() => openStore({ db, cwd, env: {} }));
      expect(error.code).toBe('STORE_LOCATION_INVALID');
      expect(readdirSync(cwd)).toEqual([]);
    },
  );

  it('openPostgresStore refuses a URL that does not parse in one line, not a TypeError from the driver', async () => {
    const error = await refusal(() => openPostgresStore({ url: 'postgres://warden:secret@127.0.0.1:notaport/db' }));
    expect(error.code).toBe('STORE_LOCATION_INVALID');
    expect(error.message).toMatch(/^url "postgres:\/\/warden:\*\*\*@127\.0\.0\.1:notaport\/db": not a valid Postgres URL/);
  });
});

describe('opening SQLite read-only', () => {
  it('is not held up by another connection holding the write lock, and refuses writes in one line', async () => {
    const file = join(tmp(), 'w.db');
    const store = await openSqliteStore({ path: file });
    await store.createRun({ id: 'r1', name: 'demo', input: null, traceId: 't', at: 1 });
    await store.close();
    const writer = new Database(file);
    writer.exec('BEGIN IMMEDIATE');
    try {
      const reader = await openStore({ db: file, readOnly: true, timeoutMs: 50 });
      try {
        expect((await reader.listRuns()).map((r) => r.id)).toEqual(['r1']);
        writer.exec('ROLLBACK');
        const error = await refusal(() => reader.createRun({ id: 'r2', name: 'demo', input: null, traceId: 't', at: 2 }));
        expect(error.code).toBe('STORE_UNAVAILABLE');
        expect(error.message).toContain(`${file}: cannot write: the database is read-only here`);
      } finally {
        await reader.close();
      }
      writer.exec('BEGIN IMMEDIATE');
      const error = await refusal(() => openStore({ db: file, timeoutMs: 50 }));
      expect(error.code).toBe('STORE_UNAVAILABLE');
      expect(error.message).toBe(`${file}: the database is locked by another process (gave up after 50 ms); try again once it is done`);
    } finally {
      if (writer.inTransaction) writer.exec('ROLLBACK');
      writer.close();
    }
  });

  it('still migrates a file with an older schema first', async () => {
    const file = join(tmp(), 'v1.db');
    copyFileSync(new URL('../../test/fixtures/golden-journal-v1.db', import.meta.url), file);
    const store = await openStore({ db: file, readOnly: true });
    try {
      expect(store.info.schemaVersion).toBe(SCHEMA_VERSION);
    } finally {
      await store.close();
    }
  });
});
