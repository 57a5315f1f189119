/**
 * The memory layer owns its tables in the store (src/memory/migrations.ts): a fresh store gets
 * them only when a memory graph first opens on it, and a store that an earlier version gave them
 * (with the store's own schema version 2) keeps them, with every graph, recorded as the memory
 * layer's version 1. Checked on the fixtures written by released versions
 * (test/fixtures/memory-store-v*.db, golden-journal-v*.db; each is copied first, the original
 * never written) and, on SQLite and Postgres, on a store laid out as those versions left it. The
 * tables are inspected with the database's own client, not through Warden.
 */
import { copyFileSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openMemoryGraph, openStoreGraph, type KnowledgeGraph } from '../src/memory/index.ts';
import { openSqliteStore, openStore, SCHEMA_VERSION, type Store } from '../src/store/index.ts';
import { withStores, type TestStoreLocation } from '../src/testing/index.ts';

const fixtures = new URL('./fixtures/', import.meta.url).pathname;
const memoryStores = readdirSync(fixtures)
  .filter((f) => /^memory-store-v\d+\.db$/.test(f))
  .sort();
const goldenJournals = readdirSync(fixtures)
  .filter((f) => /^golden-journal-v\d+\.db$/.test(f))
  .sort();
const versionOf = (file: string): number => Number(/-v(\d+)\.db$/.exec(file)![1]);

/** What make-memory-store.ts writes. */
const FIXTURE_GRAPHS: Record<string, KnowledgeGraph> = {
  default: {
    entities: [
      { name: 'Ada', entityType: 'person', observations: ['wrote the first program', 'Ünïcödé ✓'] },
      { name: 'Analytical Engine', entityType: 'machine', observations: [] },
    ],
    relations: [{ from: 'Ada', to: 'Analytical Engine', relationType: 'programmed' }],
  },
  team: { entities: [{ name: 'Grace', entityType: 'person', observations: ['found a moth'] }], relations: [] },
};

function copyOf(fixture: string): string {
  const db = join(mkdtempSync(join(tmpdir(), 'warden-memory-tables-')), 'warden.db');
  copyFileSync(join(fixtures, fixture), db);
  return db;
}

/** Each memory table with the SQL that created it (SQLite), read with SQLite's own client. */
function sqliteMemoryTables(file: string): Record<string, string> {
  const db = new Database(file, { readonly: true });
  try {
    const rows = db.prepare("SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name LIKE 'warden_memory_%' ORDER BY name").all() as {
      name: string;
      sql: string;
    }[];
    return Object.fromEntries(rows.map((r) => [r.name, r.sql]));
  } finally {
    db.close();
  }
}

function sqliteLayerVersions(file: string): unknown[] {
  const db = new Database(file, { readonly: true });
  try {
    return db.prepare('SELECT layer, version FROM warden_layer_versions ORDER BY layer').all();
  } finally {
    db.close();
  }
}

const MEMORY_TABLES = ['warden_memory_entities', 'warden_memory_observations', 'warden_memory_relations'];

describe('memory stores written by released versions', () => {
  it('include one for the current schema version', () => {
    expect(memoryStores).toContain(`memory-store-v${SCHEMA_VERSION}.db`);
  });

  it.each(memoryStores)('%s opens with both graphs intact, its tables kept as they were', async (fixture) => {
    const before = readFileSync(join(fixtures, fixture));
    const file = copyOf(fixture);
    const tables = sqliteMemoryTables(file);
    expect(Object.keys(tables)).toEqual(MEMORY_TABLES);
    for (const name of Object.keys(FIXTURE_GRAPHS)) {
      const graph = await openMemoryGraph({ db: file, graph: name });
      try {
        expect(await graph.read({ tool: 'read_graph' })).toEqual(FIXTURE_GRAPHS[name]);
      } finally {
        await graph.close();
      }
    }
    const graph = await openMemoryGraph({ db: file });
    try {
      await graph.write({ tool: 'add_observations', observations: [{ entityName: 'Ada', contents: ['still here'] }] });
      expect((await graph.read({ tool: 'open_nodes', names: ['Ada'] })).entities[0]!.observations).toEqual([
        'wrote the first program',
        'Ünïcödé ✓',
        'still here',
      ]);
    } finally {
      await graph.close();
    }
    expect(sqliteMemoryTables(file)).toEqual(tables);
    expect(sqliteLayerVersions(file)).toEqual([{ layer: 'memory', version: 1 }]);
    expect(readFileSync(join(fixtures, fixture)).equals(before)).toBe(true);
  });

  it.each(goldenJournals)('%s keeps the memory tables version 2 gave it, or gets them when a graph first opens', async (fixture) => {
    const file = copyOf(fixture);
    // Schema versions 2 and 3 created the memory tables with the store's own; from 4 on, the memory layer does.
    const hadThem = versionOf(fixture) >= 2 && versionOf(fixture) <= 3;
    expect(Object.keys(sqliteMemoryTables(file))).toEqual(hadThem ? MEMORY_TABLES : []);
    const store = await openSqliteStore({ path: file });
    try {
      await store.listRuns();
      expect(Object.keys(sqliteMemoryTables(file))).toEqual(hadThem ? MEMORY_TABLES : []);
      expect(sqliteLayerVersions(file)).toEqual(hadThem ? [{ layer: 'memory', version: 1 }] : []);
      const graph = await openStoreGraph({ store });
      await graph.write({ tool: 'create_entities', entities: [{ name: 'Ada', entityType: 'person', observations: [] }] });
      expect((await graph.read({ tool: 'read_graph' })).entities).toEqual([{ name: 'Ada', entityType: 'person', observations: [] }]);
      await graph.close();
    } finally {
      await store.close();
    }
    expect(Object.keys(sqliteMemoryTables(file))).toEqual(MEMORY_TABLES);
    expect(sqliteLayerVersions(file)).toEqual([{ layer: 'memory', version: 1 }]);
  });
});

/** The memory tables in a store's database (its schema, on Postgres), read with the database's own client. */
async function memoryTablesAt(loc: TestStoreLocation): Promise<string[]> {
  if (loc.kind === 'sqlite') return Object.keys(sqliteMemoryTables(loc.db));
  return withPg(loc, async (client) => {
    const rows = await client.query<{ name: string }>(
      "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = $1 AND table_name LIKE 'warden_memory_%' ORDER BY table_name",
      [loc.schema],
    );
    return rows.rows.map((r) => r.name);
  });
}

/** Run statements on a store's database with its own client (and the store's Postgres schema). */
async function rawExec(loc: TestStoreLocation, statements: readonly string[]): Promise<void> {
  if (loc.kind === 'sqlite') {
    const db = new Database(loc.db);
    try {
      for (const s of statements) db.exec(s);
    } finally {
      db.close();
    }
    return;
  }
  await withPg(loc, async (client) => {
    await client.query(`SET search_path = ${loc.schema}`);
    for (const s of statements) await client.query(s);
  });
}

async function withPg<T>(loc: TestStoreLocation, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: loc.db });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

for (const c of withStores()) {
  describe.skipIf(c.skip)(`the memory layer's tables: ${c.title}`, () => {
    let loc: TestStoreLocation;
    let store: Store | undefined;

    beforeEach(() => {
      loc = c.location();
    });
    afterEach(async () => {
      await store?.close();
      store = undefined;
      await loc.drop();
    });

    it('are not in a fresh store until a memory graph opens on it', async () => {
      store = await openStore(loc);
      await store.createRun({ id: 'r1', name: 'demo', input: null, traceId: 't', at: 1 });
      await store.close();
      store = await openStore(loc);
      expect(await memoryTablesAt(loc)).toEqual([]);
      const graph = await openStoreGraph({ store });
      expect(await memoryTablesAt(loc)).toEqual(MEMORY_TABLES);
      await graph.write({ tool: 'create_entities', entities: [{ name: 'Ada', entityType: 'person', observations: ['counts'] }] });
      await graph.close();
      await store.close();
      store = await openStore(loc);
      const again = await openStoreGraph({ store });
      expect(await again.read({ tool: 'read_graph' })).toEqual({ entities: [{ name: 'Ada', entityType: 'person', observations: ['counts'] }], relations: [] });
      await again.close();
    });

    it('are kept, with every graph, in a store laid out as schema version 3 left it', async () => {
      store = await openStore(loc);
      for (const [name, content] of Object.entries(FIXTURE_GRAPHS)) {
        const graph = await openStoreGraph({ store, graph: name });
        await graph.write({ tool: 'import', graph: content });
        await graph.close();
      }
      await store.close();
      store = undefined;
      // What schema version 3 left: the memory tables made by the store's own migrations, no
      // record of layers.
      await rawExec(loc, ['DROP TABLE warden_layer_versions', "UPDATE warden_meta SET value = '3' WHERE key = 'schema_version'"]);

      store = await openStore(loc);
      expect(store.info.schemaVersion).toBe(SCHEMA_VERSION);
      for (const [name, content] of Object.entries(FIXTURE_GRAPHS)) {
        const graph = await openStoreGraph({ store, graph: name });
        expect(await graph.read({ tool: 'read_graph' })).toEqual(content);
        await graph.close();
      }
      const graph = await openStoreGraph({ store });
      await graph.write({ tool: 'create_relations', relations: [{ from: 'Analytical Engine', to: 'Ada', relationType: 'ran programs by' }] });
      expect((await graph.read({ tool: 'read_graph' })).relations).toHaveLength(2);
      await graph.close();
    });
  });
}
