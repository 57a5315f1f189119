/**
 * Opening a store: the default location, damaged and truncated SQLite files (a clear error
 * naming the file, and the file left byte for byte as it was), a schema newer than the code
 * (refused on both stores, nothing changed), and a Postgres server that cannot be reached.
 */
import { copyFileSync, existsSync, mkdtempSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import pg from 'pg';
import { isWardenError } from '../runtime/index.ts';
import { storeCase } from '../testing/index.ts';
import { openPostgresStore, openSqliteStore, openStore, SCHEMA_VERSION, storeLocation } from './index.ts';

const tmp = (): string => mkdtempSync(join(tmpdir(), 'warden-open-'));

async function populated(dir: string): Promise<string> {
  const file = join(dir, 'warden.db');
  const store = await openSqliteStore({ path: file });
  await store.createRun({ id: 'r1', name: 'demo', input: { text: 'x'.repeat(20_000) }, traceId: 't', at: 1 });
  for (let i = 0; i < 50; i++) await store.putQuarantine('q', `k${i}`, { pad: 'y'.repeat(2_000) });
  await store.close();
  return file;
}

async function expectRefusedUntouched(file: string, code: string, message: RegExp): Promise<void> {
  const before = readFileSync(file);
  const error = await openSqliteStore({ path: file }).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isWardenError(error, code)).toBe(true);
  expect((error as Error).message).toContain(file);
  expect((error as Error).message).toMatch(message);
  expect(readFileSync(file).equals(before)).toBe(true);
}

describe('opening a SQLite store', () => {
  it('creates ./.warden/warden.db under the working directory when nothing else is said', async () => {
    const cwd = tmp();
    expect(storeLocation({ cwd, env: {} })).toBe(join(cwd, '.warden', 'warden.db'));
    const store = await openStore({ cwd, env: {} });
    expect(store.info).toMatchObject({ kind: 'sqlite', location: join(cwd, '.warden', 'warden.db'), schemaVersion: SCHEMA_VERSION });
    await store.close();
    expect(existsSync(join(cwd, '.warden', 'warden.db'))).toBe(true);
  });

  it('takes WARDEN_DATABASE_URL when no location is given, and an explicit one over it', () => {
    expect(storeLocation({ env: { WARDEN_DATABASE_URL: 'postgres://u@h/db' } })).toBe('postgres://u@h/db');
    expect(storeLocation({ db: 'x.db', cwd: '/srv', env: { WARDEN_DATABASE_URL: 'postgres://u@h/db' } })).toBe('/srv/x.db');
  });

  it('runs in WAL mode with synchronous=FULL', async () => {
    const file = join(tmp(), 'w.db');
    const store = await openSqliteStore({ path: file });
    expect(store.info.durability).toBe('journal_mode=wal synchronous=full');
    await store.close();
    const db = new Database(file, { readonly: true });
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    db.close();
  });

  it('refuses a file that is not a database, naming it and leaving it untouched', async () => {
    const file = join(tmp(), 'notes.db');
    writeFileSync(file, 'these are my notes, not a database\n'.repeat(200));
    await expectRefusedUntouched(file, 'STORE_CORRUPT', /not a SQLite database/);
  });

  it('refuses a truncated database, naming it and leaving it untouched', async () => {
    const file = await populated(tmp());
    const size = statSync(file).size;
    truncateSync(file, Math.floor(size / 2) + 100);
    await expectRefusedUntouched(file, 'STORE_CORRUPT', /truncated/);
    truncateSync(file, 60);
    await expectRefusedUntouched(file, 'STORE_CORRUPT', /truncated/);
  });

  it('refuses a database whose pages are damaged when it reads them, and still loses nothing', async () => {
    const file = await populated(tmp());
    const bytes = readFileSync(file);
    // Overwrite everything after the first page (the schema stays readable, the tables do not).
    for (let i = 4096; i < bytes.length; i++) bytes[i] = (i * 131) & 0xff;
    writeFileSync(file, bytes);
    const before = readFileSync(file);
    const error = await (async () => {
      const store = await openSqliteStore({ path: file });
      try {
        await store.listRuns();
        await store.listQuarantine();
      } finally {
        await store.close().catch(() => undefined);
      }
    })().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isWardenError(error, 'STORE_CORRUPT')).toBe(true);
    expect((error as Error).message).toContain(file);
    expect(readFileSync(file).equals(before)).toBe(true);
  });

  it('refuses a database written by a newer schema version and does not downgrade it', async () => {
    const dir = tmp();
    const file = await populated(dir);
    const db = new Database(file);
    db.prepare("UPDATE warden_meta SET value = ? WHERE key = 'schema_version'").run(String(SCHEMA_VERSION + 1));
    db.close();
    const copy = join(dir, 'copy.db');
    copyFileSync(file, copy);
    await expectRefusedUntouched(file, 'STORE_SCHEMA_TOO_NEW', new RegExp(`schema version ${SCHEMA_VERSION + 1} is newer`));
    const check = new Database(file, { readonly: true });
    expect(check.prepare("SELECT value FROM warden_meta WHERE key = 'schema_version'").get()).toEqual({ value: String(SCHEMA_VERSION + 1) });
    expect(check.prepare('SELECT count(*) AS n FROM warden_quarantine').get()).toEqual({ n: 50 });
    check.close();
  });

  it('reports a directory it cannot create as unavailable', async () => {
    const dir = tmp();
    writeFileSync(join(dir, 'file'), 'x');
    await expect(openSqliteStore({ path: join(dir, 'file', 'sub', 'w.db') })).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
  });
});

describe('opening a Postgres store', () => {
  it('fails with STORE_UNAVAILABLE naming the server when nothing listens there, without leaking the password', async () => {
    const error = await openPostgresStore({ url: 'postgres://warden:secret@127.0.0.1:1/nowhere', connectTimeoutMs: 2_000 }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isWardenError(error, 'STORE_UNAVAILABLE')).toBe(true);
    expect((error as Error).message).toContain('127.0.0.1:1');
    expect((error as Error).message).not.toContain('secret');
  });

  it('refuses a schema name that is not a plain identifier', async () => {
    await expect(openPostgresStore({ url: 'postgres://u@127.0.0.1/db', schema: 'x; drop table y' })).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
  });

  const postgres = storeCase('postgres');
  describe.skipIf(postgres.skip)(`with a server${postgres.skip === false ? '' : ` (${postgres.skip})`}`, () => {
    it('refuses a schema newer than the code and leaves it as it was', async () => {
      const loc = postgres.location();
      try {
        const store = await openStore(loc);
        await store.createRun({ id: 'r1', name: 'demo', input: null, traceId: 't', at: 1 });
        await store.close();
        const client = new pg.Client({ connectionString: loc.db });
        await client.connect();
        await client.query(`UPDATE ${loc.schema}.warden_meta SET value = $1 WHERE key = 'schema_version'`, [String(SCHEMA_VERSION + 3)]);
        await expect(openStore(loc)).rejects.toMatchObject({ code: 'STORE_SCHEMA_TOO_NEW', found: SCHEMA_VERSION + 3, supported: SCHEMA_VERSION });
        const rows = await client.query(`SELECT count(*)::int AS n FROM ${loc.schema}.warden_runs`);
        expect(rows.rows[0]).toEqual({ n: 1 });
        await client.end();
      } finally {
        await loc.drop();
      }
    });

    it('migrates once when several processes open the same empty schema at the same time', async () => {
      const loc = postgres.location();
      try {
        const stores = await Promise.all([openStore(loc), openStore(loc), openStore(loc)]);
        for (const s of stores) expect(s.info.schemaVersion).toBe(SCHEMA_VERSION);
        await Promise.all(stores.map((s) => s.close()));
      } finally {
        await loc.drop();
      }
    });
  });
});
