/**
 * A layer's own tables in the store (layer-tables.ts), on SQLite and Postgres: a made-up layer,
 * "gadgets", with two migrations, opened on real stores. Its tables appear only when it opens;
 * each migration runs once, in one transaction with the layer's version; a newer version is
 * refused untouched; several stores opening it at once on Postgres migrate it once.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isWardenError } from '../runtime/index.ts';
import { withStores, type TestStoreLocation } from '../testing/index.ts';
import { openSqliteStore, openStore, type Store } from './index.ts';
import { defineLayerTables, openLayerTables, type LayerTables } from './layer-tables.ts';
import type { Migration } from './migrations.ts';
import { sqlAccessOf } from './sql-store.ts';

const v1: Migration = {
  version: 1,
  description: 'gadgets',
  sql: () => ['CREATE TABLE gadgets (name TEXT PRIMARY KEY)'],
};
const v2: Migration = {
  version: 2,
  description: 'gadget colours',
  sql: () => ['ALTER TABLE gadgets ADD COLUMN colour TEXT', 'CREATE TABLE gadget_parts (gadget TEXT NOT NULL, part TEXT NOT NULL)'],
};
const GADGETS_V1 = defineLayerTables({ layer: 'gadgets', migrations: [v1] });
const GADGETS_V2 = defineLayerTables({ layer: 'gadgets', migrations: [v1, v2] });

/** The tables named `gadget...` in the store's database (its schema, on Postgres). */
async function gadgetTables(store: Store): Promise<string[]> {
  const sql = sqlAccessOf(store);
  const rows =
    sql.dialect === 'sqlite'
      ? await sql.read<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'gadget%'")
      : await sql.read<{ name: string }>(
          "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema() AND table_name LIKE 'gadget%'",
        );
  return rows.map((r) => r.name).sort();
}

async function layerVersions(store: Store): Promise<{ layer: string; version: number }[]> {
  const rows = await sqlAccessOf(store).read<{ layer: string; version: unknown }>('SELECT layer, version FROM warden_layer_versions ORDER BY layer');
  return rows.map((r) => ({ layer: r.layer, version: Number(r.version) }));
}

for (const c of withStores()) {
  describe.skipIf(c.skip)(`a layer's own tables: ${c.title}`, () => {
    let store: Store;
    let loc: TestStoreLocation;
    let cleanup: () => Promise<void>;

    beforeEach(async () => {
      ({ store, location: loc, cleanup } = await c.open());
    });
    afterEach(async () => {
      await cleanup();
    });

    it('creates a layer’s tables only when the layer opens, and records its version', async () => {
      expect(await gadgetTables(store)).toEqual([]);
      expect(await layerVersions(store)).toEqual([]);
      const sql = await openLayerTables(store, GADGETS_V1);
      expect(await gadgetTables(store)).toEqual(['gadgets']);
      expect(await layerVersions(store)).toEqual([{ layer: 'gadgets', version: 1 }]);
      await sql.transaction((conn) => conn.run('INSERT INTO gadgets (name) VALUES (?)', ['sprocket']));
      expect(await sql.read('SELECT name FROM gadgets')).toEqual([{ name: 'sprocket' }]);
    });

    it('applies only the migrations the store lacks, keeping the rows, and nothing on a later open', async () => {
      await (await openLayerTables(store, GADGETS_V1)).transaction((conn) => conn.run('INSERT INTO gadgets (name) VALUES (?)', ['sprocket']));
      await store.close();
      store = await openStore(loc);
      const sql = await openLayerTables(store, GADGETS_V2);
      expect(await layerVersions(store)).toEqual([{ layer: 'gadgets', version: 2 }]);
      expect(await gadgetTables(store)).toEqual(['gadget_parts', 'gadgets']);
      expect(await sql.read('SELECT name, colour FROM gadgets')).toEqual([{ name: 'sprocket', colour: null }]);

      // Up to date: opening again runs no migration (either would fail: its tables exist).
      await store.close();
      store = await openStore(loc);
      await expect(openLayerTables(store, GADGETS_V2)).resolves.toBeDefined();
      expect(await layerVersions(store)).toEqual([{ layer: 'gadgets', version: 2 }]);
    });

    it('refuses a layer version newer than the code, naming the layer and changing nothing', async () => {
      await openLayerTables(store, GADGETS_V2);
      await sqlAccessOf(store).transaction((conn) => conn.run("UPDATE warden_layer_versions SET version = 3 WHERE layer = 'gadgets'"));
      const error = await openLayerTables(store, GADGETS_V2).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(isWardenError(error, 'STORE_SCHEMA_TOO_NEW')).toBe(true);
      expect(error).toMatchObject({ found: 3, supported: 2 });
      expect((error as Error).message).toContain("the gadgets layer's tables");
      expect(await layerVersions(store)).toEqual([{ layer: 'gadgets', version: 3 }]);
      expect(await gadgetTables(store)).toEqual(['gadget_parts', 'gadgets']);
    });

    it('rolls a failed migration back whole, with the version, so the next open tries it again', async () => {
      await openLayerTables(store, GADGETS_V1);
      const broken: LayerTables = defineLayerTables({
        layer: 'gadgets',
        migrations: [v1, { version: 2, description: 'broken', sql: () => ['CREATE TABLE gadget_parts (part TEXT)', 'CREATE TABLE gadgets (name TEXT)'] }],
      });
      await expect(openLayerTables(store, broken)).rejects.toThrow();
      expect(await gadgetTables(store)).toEqual(['gadgets']);
      expect(await layerVersions(store)).toEqual([{ layer: 'gadgets', version: 1 }]);
      await openLayerTables(store, GADGETS_V2);
      expect(await layerVersions(store)).toEqual([{ layer: 'gadgets', version: 2 }]);
    });

    it('keeps each layer’s version apart', async () => {
      await openLayerTables(store, GADGETS_V2);
      await openLayerTables(
        store,
        defineLayerTables({ layer: 'widgets', migrations: [{ version: 1, description: 'widgets', sql: () => ['CREATE TABLE widgets (id TEXT)'] }] }),
      );
      expect(await layerVersions(store)).toEqual([
        { layer: 'gadgets', version: 2 },
        { layer: 'widgets', version: 1 },
      ]);
    });

    if (c.kind === 'sqlite') {
      it('opens a layer that is up to date on a store opened read-only', async () => {
        await openLayerTables(store, GADGETS_V1);
        await store.close();
        store = await openSqliteStore({ path: loc.db, readOnly: true });
        const sql = await openLayerTables(store, GADGETS_V1);
        expect(await sql.read('SELECT count(*) AS n FROM gadgets')).toEqual([{ n: 0 }]);
      });
    }

    if (c.kind === 'postgres') {
      it('migrates a layer once when several stores open it on the same schema at the same time', async () => {
        const others = await Promise.all([openStore(loc), openStore(loc)]);
        try {
          await Promise.all([store, ...others].map((s) => openLayerTables(s, GADGETS_V2)));
          expect(await layerVersions(store)).toEqual([{ layer: 'gadgets', version: 2 }]);
        } finally {
          await Promise.all(others.map((s) => s.close()));
        }
      });
    }
  });
}

describe('declaring a layer’s tables', () => {
  it.each([
    [{ layer: 'Memory', migrations: [v1] }, 'layer', /layer must be lower-case letters/],
    [{ layer: 'gadgets', migrations: [] }, 'migrations', /migrations must have at least 1 item/],
    [{ layer: 'gadgets', migrations: [v2] }, 'migrations[0].version', /migrations\[0\]\.version must be 1 \(numbered from 1, in order\) \(got 2\)/],
    [{ layer: 'gadgets', migrations: [v1, v1] }, 'migrations[1].version', /must be 2/],
  ] as const)('refuses %j, naming %s', (tables, path, message) => {
    let error: unknown;
    try {
      defineLayerTables(tables);
    } catch (e) {
      error = e;
    }
    expect(isWardenError(error, 'INVALID_SPEC')).toBe(true);
    expect(error).toMatchObject({ path });
    expect((error as Error).message).toMatch(message);
  });
});
