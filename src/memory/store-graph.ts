/**
 * The store backend: graphs in the memory layer's tables in a Warden store (migrations.ts, created
 * when a graph first opens on the store), on SQLite or Postgres. A store holds any number of
 * graphs, by name (`default` unless told).
 *
 * - **One transaction for many calls.** Calls that arrive in the same turn of the event loop, or
 *   while a transaction is being written, share the next one (group commit, up to `maxBatch`);
 *   inside it each call runs in its own savepoint, so a call that is refused (a missing entity)
 *   is rolled back alone, and no call is answered before the transaction is durable.
 * - **Serialised across processes.** SQLite takes the database's write lock for the transaction
 *   (`BEGIN IMMEDIATE`); Postgres takes a transaction-scoped advisory lock on the graph's name, so
 *   writes to one graph are applied one after another whatever process makes them.
 * - **O(change).** Every write touches only the rows it changes, through the unique indexes.
 * - **Consistent reads.** Each read is one SQL statement, so it sees one committed state.
 *
 * Search matches JavaScript's `toLowerCase()` exactly (as the reference does): the lower-cased
 * text is computed here and stored beside the original.
 */
import { createHash } from 'node:crypto';
import type { EventBus } from '../runtime/index.ts';
import { assertNever } from '../runtime/internal.ts';
import type { Store } from '../store/index.ts';
import { openLayerTables, type SqlAccess, type SqlConn } from '../store/internal.ts';
import { EntityNotFoundError, isCallerError, MemoryInputError } from './errors.ts';
import { GroupCommit } from './group-commit.ts';
import { MEMORY_TABLES } from './migrations.ts';
import { illFormedText } from './schemas.ts';
import './events.ts';
import type {
  AddedObservations,
  Entity,
  ImportSummary,
  KnowledgeGraph,
  MemoryGraph,
  MemoryGraphInfo,
  ObservationAddition,
  ObservationDeletion,
  ReadOp,
  Relation,
  WriteOp,
  WriteResult,
  WriteResults,
  WriteTool,
} from './types.ts';

export interface StoreGraphOptions {
  /** A store opened by `openStore` (this graph does not close it unless `ownsStore`). */
  readonly store: Store;
  /** The graph's name in the store. @default 'default' */
  readonly graph?: string;
  /** Close the store when the graph is closed. @default false */
  readonly ownsStore?: boolean;
  readonly events?: EventBus;
  /** Most calls written in one transaction. @default 256 */
  readonly maxBatch?: number;
}

export const STORE_GRAPH_DEFAULTS = { graph: 'default', maxBatch: 256 } as const;

/** Most values bound in one statement (well under SQLite's and Postgres' limits). */
const CHUNK = 400;

interface Pending {
  readonly op: WriteOp;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
  outcome?: { readonly result: WriteResult; readonly changes: number } | { readonly error: unknown };
}

type Row = { kind: string; id: unknown; a: string; b: string; c: string | null; oid: unknown };

const hash = (text: string): string => createHash('sha256').update(text).digest('hex');

function chunks<T>(items: readonly T[], size = CHUNK): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

function marks(n: number): string {
  return Array.from({ length: n }, () => '?').join(', ');
}

function unique(values: readonly string[]): string[] {
  return [...new Set(values)];
}

/** A graph in a Warden store. */
export async function openStoreGraph(options: StoreGraphOptions): Promise<MemoryGraph> {
  const graph = new StoreGraph(options, await openLayerTables(options.store, MEMORY_TABLES));
  const g = await graph.read({ tool: 'read_graph' });
  options.events?.emit({
    type: 'memory.opened',
    backend: 'store',
    location: graph.info.location,
    entities: g.entities.length,
    relations: g.relations.length,
    repairs: 0,
  });
  return graph;
}

class StoreGraph implements MemoryGraph {
  readonly info: MemoryGraphInfo;
  private readonly store: Store;
  private readonly sql: SqlAccess;
  private readonly graph: string;
  private readonly ownsStore: boolean;
  private readonly events: EventBus | undefined;
  private readonly contains: string;
  private readonly writes: GroupCommit<Pending>;
  private closed = false;

  constructor(options: StoreGraphOptions, sql: SqlAccess) {
    this.store = options.store;
    this.sql = sql;
    this.graph = options.graph ?? STORE_GRAPH_DEFAULTS.graph;
    this.ownsStore = options.ownsStore ?? false;
    this.events = options.events;
    this.writes = new GroupCommit(options.maxBatch ?? STORE_GRAPH_DEFAULTS.maxBatch, (batch) => this.writeBatch(batch));
    this.info = Object.freeze({ backend: 'store', location: this.sql.location, graph: this.graph });
    // instr(haystack, needle) in SQLite, strpos(haystack, needle) in Postgres: both 1-based, 0 when absent, 1 for ''.
    this.contains = this.sql.dialect === 'sqlite' ? 'instr' : 'strpos';
  }

  // ---- writing

  write<K extends WriteTool>(op: Extract<WriteOp, { tool: K }>): Promise<WriteResults[K]> {
    if (this.closed) return Promise.reject(new Error(`${this.info.location}: the memory graph is closed`));
    const illFormed = illFormedText(op);
    if (illFormed !== undefined) return Promise.reject(illFormed);
    if (this.sql.dialect === 'postgres') {
      const nul = findNul(op);
      if (nul !== undefined)
        return Promise.reject(new MemoryInputError(op.tool, nul.path, 'contains a NUL character (\\u0000), which Postgres cannot store', nul.value));
    }
    return new Promise((resolve, reject) => {
      this.writes.add({ op, resolve: resolve as (v: unknown) => void, reject });
    });
  }

  private async writeBatch(batch: Pending[]): Promise<void> {
    const alone = batch.length === 1;
    try {
      await this.sql.transaction(async (c) => {
        if (this.sql.dialect === 'postgres') await c.all('SELECT pg_advisory_xact_lock(hashtext(?))', [`warden_memory:${this.graph}`]);
        for (const p of batch) {
          if (!alone) await c.run('SAVEPOINT warden_memory_call');
          try {
            p.outcome = await this.apply(c, p.op);
            if (!alone) await c.run('RELEASE SAVEPOINT warden_memory_call');
          } catch (e) {
            if (alone || !isCallerError(e)) throw e;
            await c.run('ROLLBACK TO SAVEPOINT warden_memory_call');
            await c.run('RELEASE SAVEPOINT warden_memory_call');
            p.outcome = { error: e };
          }
        }
      });
    } catch (e) {
      for (const p of batch) {
        p.reject(e);
        if (isCallerError(e))
          this.events?.emit({ type: 'memory.write_refused', tool: p.op.tool, code: (e as { code: string }).code, message: (e as Error).message });
      }
      return;
    }
    for (const p of batch) {
      const o = p.outcome!;
      if ('error' in o) {
        p.reject(o.error);
        this.events?.emit({ type: 'memory.write_refused', tool: p.op.tool, code: (o.error as { code: string }).code, message: (o.error as Error).message });
        continue;
      }
      p.resolve(o.result);
      if (this.events?.wants('memory.write') === true) {
        this.events.emit({ type: 'memory.write', backend: 'store', tool: p.op.tool, changes: o.changes, batch: batch.length });
      }
    }
  }

  private async apply(c: SqlConn, op: WriteOp): Promise<{ result: WriteResult; changes: number }> {
    switch (op.tool) {
      case 'create_entities':
        return this.createEntities(c, op.entities);
      case 'create_relations':
        return this.createRelations(c, op.relations);
      case 'add_observations':
        return this.addObservations(c, op.observations);
      case 'delete_entities':
        return { result: undefined, changes: await this.deleteEntities(c, op.entityNames) };
      case 'delete_observations':
        return { result: undefined, changes: await this.deleteObservations(c, op.deletions) };
      case 'delete_relations':
        return { result: undefined, changes: await this.deleteRelations(c, op.relations) };
      case 'import':
        return this.importGraph(c, op.graph);
      default:
        return assertNever(op);
    }
  }

  private async insertEntity(c: SqlConn, e: Entity): Promise<string | undefined> {
    const rows = await c.all<{ id: unknown }>(
      `INSERT INTO warden_memory_entities (graph, name, entity_type, name_lower, type_lower)
       VALUES (?, ?, ?, ?, ?) ON CONFLICT (graph, name) DO NOTHING RETURNING id`,
      [this.graph, e.name, e.entityType, e.name.toLowerCase(), e.entityType.toLowerCase()],
    );
    return rows[0] === undefined ? undefined : String(rows[0].id);
  }

  private async insertObservations(c: SqlConn, entityId: string, contents: readonly string[]): Promise<void> {
    for (const part of chunks(contents, CHUNK / 4)) {
      await c.run(
        `INSERT INTO warden_memory_observations (entity_id, content, content_hash, content_lower) VALUES ${part.map(() => '(?, ?, ?, ?)').join(', ')}`,
        part.flatMap((o) => [entityId, o, hash(o), o.toLowerCase()]),
      );
    }
  }

  private async entityIds(c: SqlConn, names: readonly string[]): Promise<Map<string, string>> {
    const ids = new Map<string, string>();
    for (const part of chunks(unique(names))) {
      const rows = await c.all<{ id: unknown; name: string }>(
        `SELECT id, name FROM warden_memory_entities WHERE graph = ? AND name IN (${marks(part.length)})`,
        [this.graph, ...part],
      );
      for (const r of rows) ids.set(r.name, String(r.id));
    }
    return ids;
  }

  /** Which of `contents` the entity already has. */
  private async present(c: SqlConn, entityId: string, contents: readonly string[]): Promise<Set<string>> {
    const found = new Set<string>();
    for (const part of chunks(contents)) {
      const rows = await c.all<{ content: string }>(
        `SELECT content FROM warden_memory_observations WHERE entity_id = ? AND content_hash IN (${marks(part.length)})`,
        [entityId, ...part.map(hash)],
      );
      for (const r of rows) found.add(r.content);
    }
    return found;
  }

  private async createEntities(c: SqlConn, entities: readonly Entity[]): Promise<{ result: Entity[]; changes: number }> {
    const created: Entity[] = [];
    const taken = new Set<string>();
    let changes = 0;
    for (const e of entities) {
      if (taken.has(e.name)) continue;
      taken.add(e.name);
      const id = await this.insertEntity(c, e);
      if (id === undefined) continue;
      const observations = unique(e.observations);
      await this.insertObservations(c, id, observations);
      created.push({ name: e.name, entityType: e.entityType, observations });
      changes++;
    }
    return { result: created, changes };
  }

  private async createRelations(c: SqlConn, relations: readonly Relation[]): Promise<{ result: Relation[]; changes: number }> {
    const created: Relation[] = [];
    for (const r of relations) {
      const rows = await c.all(
        `INSERT INTO warden_memory_relations (graph, from_name, to_name, relation_type) VALUES (?, ?, ?, ?)
         ON CONFLICT (graph, from_name, to_name, relation_type) DO NOTHING RETURNING id`,
        [this.graph, r.from, r.to, r.relationType],
      );
      if (rows.length > 0) created.push({ from: r.from, to: r.to, relationType: r.relationType });
    }
    return { result: created, changes: created.length };
  }

  private async addObservations(c: SqlConn, items: readonly ObservationAddition[]): Promise<{ result: AddedObservations[]; changes: number }> {
    const ids = await this.entityIds(
      c,
      items.map((i) => i.entityName),
    );
    for (const i of items) if (!ids.has(i.entityName)) throw new EntityNotFoundError(i.entityName);
    const results: AddedObservations[] = [];
    let changes = 0;
    for (const i of items) {
      const id = ids.get(i.entityName)!;
      const candidates = unique(i.contents);
      const had = await this.present(c, id, candidates);
      const added = candidates.filter((o) => !had.has(o));
      await this.insertObservations(c, id, added);
      results.push({ entityName: i.entityName, addedObservations: added });
      if (added.length > 0) changes++;
    }
    return { result: results, changes };
  }

  private async deleteEntities(c: SqlConn, names: readonly string[]): Promise<number> {
    let changes = 0;
    for (const part of chunks(unique(names))) {
      changes += await c.run(`DELETE FROM warden_memory_entities WHERE graph = ? AND name IN (${marks(part.length)})`, [this.graph, ...part]);
      changes += await c.run(
        `DELETE FROM warden_memory_relations WHERE graph = ? AND (from_name IN (${marks(part.length)}) OR to_name IN (${marks(part.length)}))`,
        [this.graph, ...part, ...part],
      );
    }
    return changes;
  }

  private async deleteObservations(c: SqlConn, deletions: readonly ObservationDeletion[]): Promise<number> {
    const ids = await this.entityIds(
      c,
      deletions.map((d) => d.entityName),
    );
    let changes = 0;
    for (const d of deletions) {
      const id = ids.get(d.entityName);
      if (id === undefined) continue;
      for (const part of chunks(unique(d.observations))) {
        changes += await c.run(`DELETE FROM warden_memory_observations WHERE entity_id = ? AND content_hash IN (${marks(part.length)})`, [
          id,
          ...part.map(hash),
        ]);
      }
    }
    return changes;
  }

  private async deleteRelations(c: SqlConn, relations: readonly Relation[]): Promise<number> {
    let changes = 0;
    for (const r of relations) {
      changes += await c.run('DELETE FROM warden_memory_relations WHERE graph = ? AND from_name = ? AND to_name = ? AND relation_type = ?', [
        this.graph,
        r.from,
        r.to,
        r.relationType,
      ]);
    }
    return changes;
  }

  private async importGraph(c: SqlConn, graph: KnowledgeGraph): Promise<{ result: ImportSummary; changes: number }> {
    let entitiesCreated = 0;
    let observationsAdded = 0;
    for (const e of graph.entities) {
      const observations = unique(e.observations);
      const id = await this.insertEntity(c, e);
      if (id !== undefined) {
        await this.insertObservations(c, id, observations);
        entitiesCreated++;
        observationsAdded += observations.length;
        continue;
      }
      const existing = (await this.entityIds(c, [e.name])).get(e.name)!;
      const had = await this.present(c, existing, observations);
      const added = observations.filter((o) => !had.has(o));
      await this.insertObservations(c, existing, added);
      observationsAdded += added.length;
    }
    const { changes: relationsCreated } = await this.createRelations(c, graph.relations);
    return { result: { entitiesCreated, observationsAdded, relationsCreated }, changes: entitiesCreated + observationsAdded + relationsCreated };
  }

  // ---- reading

  async read(op: ReadOp): Promise<KnowledgeGraph> {
    if (this.closed) throw new Error(`${this.info.location}: the memory graph is closed`);
    const entityRows = `SELECT 'e' AS kind, e.id AS id, e.name AS a, e.entity_type AS b, o.content AS c, o.id AS oid`;
    const relationRows = `SELECT 'r', r.id, r.from_name, r.to_name, r.relation_type, NULL FROM warden_memory_relations r`;
    switch (op.tool) {
      case 'read_graph':
        return toGraph(
          await this.sql.read<Row>(
            `${entityRows} FROM warden_memory_entities e LEFT JOIN warden_memory_observations o ON o.entity_id = e.id WHERE e.graph = ?
             UNION ALL ${relationRows} WHERE r.graph = ? ORDER BY 1, 2, 6`,
            [this.graph, this.graph],
          ),
        );
      case 'search_nodes': {
        const q = op.query.toLowerCase();
        const f = this.contains;
        return toGraph(
          await this.sql.read<Row>(
            `WITH m AS (SELECT e.id, e.name FROM warden_memory_entities e WHERE e.graph = ? AND (${f}(e.name_lower, ?) > 0 OR ${f}(e.type_lower, ?) > 0
                OR EXISTS (SELECT 1 FROM warden_memory_observations o WHERE o.entity_id = e.id AND ${f}(o.content_lower, ?) > 0)))
             ${entityRows} FROM m JOIN warden_memory_entities e ON e.id = m.id LEFT JOIN warden_memory_observations o ON o.entity_id = e.id
             UNION ALL ${relationRows} WHERE r.graph = ? AND (r.from_name IN (SELECT name FROM m) OR r.to_name IN (SELECT name FROM m))
             ORDER BY 1, 2, 6`,
            [this.graph, q, q, q, this.graph],
          ),
        );
      }
      case 'open_nodes': {
        const names = unique(op.names);
        if (names.length === 0) return { entities: [], relations: [] };
        return toGraph(
          await this.sql.read<Row>(
            `WITH m AS (SELECT id, name FROM warden_memory_entities WHERE graph = ? AND name IN (${marks(names.length)}))
             ${entityRows} FROM m JOIN warden_memory_entities e ON e.id = m.id LEFT JOIN warden_memory_observations o ON o.entity_id = e.id
             UNION ALL ${relationRows} WHERE r.graph = ? AND (r.from_name IN (SELECT name FROM m) OR r.to_name IN (SELECT name FROM m))
             ORDER BY 1, 2, 6`,
            [this.graph, ...names, this.graph],
          ),
        );
      }
      default:
        return assertNever(op);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.writes.drained();
    if (this.ownsStore) await this.store.close();
  }
}

function toGraph(rows: readonly Row[]): KnowledgeGraph {
  const entities: { name: string; entityType: string; observations: string[] }[] = [];
  const relations: Relation[] = [];
  let last: string | undefined;
  for (const r of rows) {
    if (r.kind === 'e') {
      const id = String(r.id);
      if (id !== last) {
        entities.push({ name: r.a, entityType: r.b, observations: [] });
        last = id;
      }
      if (r.c !== null) entities[entities.length - 1]!.observations.push(r.c);
    } else {
      relations.push({ from: r.a, to: r.b, relationType: r.c! });
    }
  }
  return { entities, relations };
}

/** The first string in `op` holding a NUL character, with its path. */
function findNul(op: WriteOp): { path: string; value: string } | undefined {
  const walk = (v: unknown, path: string): { path: string; value: string } | undefined => {
    if (typeof v === 'string') return v.includes('\u0000') ? { path, value: v } : undefined;
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) {
        const hit = walk(v[i], `${path}[${i}]`);
        if (hit !== undefined) return hit;
      }
      return undefined;
    }
    if (typeof v === 'object' && v !== null) {
      for (const [k, x] of Object.entries(v)) {
        if (path === '' && k === 'tool') continue;
        const hit = walk(x, path === '' ? k : `${path}.${k}`);
        if (hit !== undefined) return hit;
      }
    }
    return undefined;
  };
  return walk(op, '');
}
