/**
 * The store matrix: every case opens a fresh, empty store of its kind that `reopen()` finds again
 * and `cleanup()` removes (the temp directory, the Postgres schema). Without
 * WARDEN_TEST_DATABASE_URL the Postgres case is skipped with the reason in its title, except
 * under CI, where it runs and fails naming the variable; a value that is no postgres:// URL is
 * refused when the matrix is built. `describeStores` makes one suite per case for vitest here
 * (and node:test: docs/testing.md runs an example under it).
 */
import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { openStore } from '../store/index.ts';
import { describeStores, storeCase, withStores, type TestStoreLocation } from './index.ts';

/** Whether the location's file or schema exists. */
async function exists(location: TestStoreLocation): Promise<boolean> {
  if (location.kind === 'sqlite') return existsSync(dirname(location.db));
  const client = new pg.Client({ connectionString: location.db });
  await client.connect();
  try {
    return (await client.query('SELECT 1 FROM information_schema.schemata WHERE schema_name = $1', [location.schema])).rowCount === 1;
  } finally {
    await client.end();
  }
}

describeStores(describe, 'a test store', (c) => {
  it('is fresh and empty, at a location of its own', async () => {
    const [a, b] = [await c.open(), await c.open()];
    try {
      expect(a.location.kind).toBe(c.kind);
      expect(a.location.db === b.location.db && a.location.schema === b.location.schema).toBe(false);
      await a.store.createRun({ id: 'r1', name: 'demo', input: null, traceId: 't', at: 1 });
      expect((await a.store.listRuns()).map((r) => r.id)).toEqual(['r1']);
      expect(await b.store.listRuns()).toEqual([]);
    } finally {
      await a.cleanup();
      await b.cleanup();
    }
  });

  it('is found again by reopen() and by openStore(location), and removed by cleanup()', async () => {
    const t = await c.open();
    await t.store.createRun({ id: 'kept', name: 'demo', input: { n: 1 }, traceId: 't', at: 1 });
    const reopened = await t.reopen();
    expect(t.store).toBe(reopened);
    expect(await reopened.getRun('kept')).toMatchObject({ id: 'kept', input: { n: 1 } });
    const other = await openStore(t.location);
    expect((await other.listRuns()).map((r) => r.id)).toEqual(['kept']);
    await other.close();
    expect(await exists(t.location)).toBe(true);
    await t.cleanup();
    await t.cleanup(); // twice is fine
    expect(await exists(t.location)).toBe(false);
  });
});

describe('the Postgres case without WARDEN_TEST_DATABASE_URL', () => {
  it('is skipped, saying why in its title, outside CI', async () => {
    const c = storeCase('postgres', { env: {} });
    expect(c.skip).toBe('skipped: WARDEN_TEST_DATABASE_URL is not set (set it to a postgres:// URL to run these)');
    expect(c.title).toBe(`postgres (${c.skip})`);
    await expect(c.open()).rejects.toMatchObject({ code: 'TEST_DATABASE', variable: 'WARDEN_TEST_DATABASE_URL' });
  });

  it.each(['true', '1'])('runs and fails naming the variable when CI=%s, instead of being skipped', async (ci) => {
    const c = storeCase('postgres', { env: { CI: ci } });
    expect([c.skip, c.title]).toEqual([false, 'postgres']);
    await expect(c.open()).rejects.toThrow(
      'WARDEN_TEST_DATABASE_URL is not set, and CI is: the Postgres store tests must run in CI; set it to a postgres:// URL',
    );
    expect(() => c.location()).toThrow(expect.objectContaining({ code: 'TEST_DATABASE' }));
  });

  it('leaves SQLite alone: its case runs everywhere', () => {
    expect(withStores({ env: { CI: 'true' } }).map((c) => [c.kind, c.skip])).toEqual([
      ['sqlite', false],
      ['postgres', false],
    ]);
    expect(withStores({ env: {} }).map((c) => c.skip === false)).toEqual([true, false]);
  });
});

describe('a WARDEN_TEST_DATABASE_URL that is no postgres:// URL', () => {
  it.each([
    ['/tmp/warden.db', 'WARDEN_TEST_DATABASE_URL must be a postgres:// URL, not a file path (got "/tmp/warden.db")'],
    ['${WARDEN_TEST_DATABASE_URL:-postgres://u:hunter2@h/db}', 'shell variable that was never expanded'],
    ['postgress://u:hunter2@h/db', 'the URL scheme "postgress:"'],
  ])('is refused when the matrix is built: %s', (url, message) => {
    expect(() => withStores({ env: { WARDEN_TEST_DATABASE_URL: url } })).toThrow(message);
    expect(() => withStores({ env: { WARDEN_TEST_DATABASE_URL: url } })).not.toThrow(/hunter2/);
  });
});

describe('describeStores', () => {
  it('hands the runner one suite per kind, with skip set where the case cannot run', () => {
    const suites: [string, boolean][] = [];
    describeStores(
      (name, options, body) => (suites.push([name, options.skip]), body),
      'the journal',
      () => {},
      { env: {} },
    );
    expect(suites).toEqual([
      ['the journal: sqlite', false],
      ['the journal: postgres (skipped: WARDEN_TEST_DATABASE_URL is not set (set it to a postgres:// URL to run these))', true],
    ]);
  });
});
