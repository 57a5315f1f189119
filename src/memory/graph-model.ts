/**
 * The knowledge graph in memory, and the one definition of what each write does. `plan(op)`
 * works out, without changing anything, the log records a write makes and the answer it gets;
 * `apply(record)` changes the graph. The file backend plans and applies with it, and replays
 * its log through `apply`; the store backend does the same in SQL, and the differential tests
 * hold both to the reference server.
 *
 * The semantics are the reference's: creating a taken name or an existing relation changes
 * nothing and is left out of the answer; `add_observations` fails as a whole on the first
 * missing entity; deleting what does not exist is not an error; deleting an entity deletes every
 * relation from or to its name (even if no entity had that name). Where the reference keeps
 * duplicates that arrive in one call (two entities with one name, an observation twice), we keep
 * the first: a graph here never holds duplicates.
 *
 * Every change costs O(size of the change): relations are indexed by both endpoints.
 */
import { assertNever } from '../runtime/internal.ts';
import { EntityNotFoundError } from './errors.ts';
import { illFormedText } from './schemas.ts';
import {
  relationKey,
  type AddedObservations,
  type Entity,
  type ImportSummary,
  type KnowledgeGraph,
  type ReadOp,
  type Relation,
  type WriteOp,
  type WriteResult,
} from './types.ts';

/** One change, as a line of the memory file. `entity` and `relation` lines are the reference's own format. */
export type LogRecord =
  | { readonly type: 'entity'; readonly name: string; readonly entityType: string; readonly observations: readonly string[] }
  | { readonly type: 'relation'; readonly from: string; readonly to: string; readonly relationType: string }
  | { readonly type: 'warden.observations_added'; readonly entityName: string; readonly contents: readonly string[] }
  | { readonly type: 'warden.observations_deleted'; readonly entityName: string; readonly observations: readonly string[] }
  | { readonly type: 'warden.entity_deleted'; readonly name: string }
  | { readonly type: 'warden.relation_deleted'; readonly from: string; readonly to: string; readonly relationType: string };

interface MutableEntity {
  readonly name: string;
  readonly entityType: string;
  observations: string[];
  seen: Set<string>;
}

/** What applying a record did: `duplicate` means it named an entity or relation already there (collapsed into it). */
export type ApplyOutcome = 'applied' | 'duplicate' | { readonly invalid: string };

export interface Plan {
  readonly records: readonly LogRecord[];
  readonly result: WriteResult;
}

function unique(values: readonly string[], skip?: (v: string) => boolean): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const v of values) {
    if (seen.has(v) || skip?.(v) === true) continue;
    seen.add(v);
    out.push(v);
  }
  return out;
}

export class GraphModel {
  private readonly entities = new Map<string, MutableEntity>();
  private readonly relations = new Map<string, Relation>();
  /** Entity name → keys of the relations from or to it. */
  private readonly touching = new Map<string, Set<string>>();

  get entityCount(): number {
    return this.entities.size;
  }

  get relationCount(): number {
    return this.relations.size;
  }

  hasEntity(name: string): boolean {
    return this.entities.has(name);
  }

  hasRelation(r: Relation): boolean {
    return this.relations.has(relationKey(r));
  }

  // ---- changing

  apply(record: LogRecord): ApplyOutcome {
    switch (record.type) {
      case 'entity': {
        const existing = this.entities.get(record.name);
        if (existing !== undefined) {
          this.addTo(existing, record.observations);
          return 'duplicate';
        }
        const e: MutableEntity = { name: record.name, entityType: record.entityType, observations: [], seen: new Set() };
        this.addTo(e, record.observations);
        this.entities.set(record.name, e);
        return 'applied';
      }
      case 'relation': {
        const key = relationKey(record);
        if (this.relations.has(key)) return 'duplicate';
        this.relations.set(key, { from: record.from, to: record.to, relationType: record.relationType });
        this.touch(record.from, key);
        if (record.to !== record.from) this.touch(record.to, key);
        return 'applied';
      }
      case 'warden.observations_added': {
        const e = this.entities.get(record.entityName);
        if (e === undefined) return { invalid: `adds observations to entity "${record.entityName}", which does not exist` };
        this.addTo(e, record.contents);
        return 'applied';
      }
      case 'warden.observations_deleted': {
        const e = this.entities.get(record.entityName);
        if (e === undefined) return 'applied';
        const gone = new Set(record.observations);
        e.observations = e.observations.filter((o) => !gone.has(o));
        for (const o of gone) e.seen.delete(o);
        return 'applied';
      }
      case 'warden.entity_deleted': {
        this.entities.delete(record.name);
        const keys = this.touching.get(record.name);
        if (keys !== undefined) {
          for (const key of [...keys]) this.removeRelation(key);
        }
        return 'applied';
      }
      case 'warden.relation_deleted':
        this.removeRelation(relationKey(record));
        return 'applied';
      default:
        return assertNever(record);
    }
  }

  private addTo(e: MutableEntity, contents: readonly string[]): void {
    for (const c of contents) {
      if (e.seen.has(c)) continue;
      e.seen.add(c);
      e.observations.push(c);
    }
  }

  private touch(name: string, key: string): void {
    let keys = this.touching.get(name);
    if (keys === undefined) this.touching.set(name, (keys = new Set()));
    keys.add(key);
  }

  private removeRelation(key: string): void {
    const r = this.relations.get(key);
    if (r === undefined) return;
    this.relations.delete(key);
    for (const name of [r.from, r.to]) {
      const keys = this.touching.get(name);
      if (keys === undefined) continue;
      keys.delete(key);
      if (keys.size === 0) this.touching.delete(name);
    }
  }

  // ---- planning (pure)

  /** The records `op` writes and its answer; throws {@link EntityNotFoundError} (nothing planned) for add_observations on a missing entity. */
  plan(op: WriteOp): Plan {
    const illFormed = illFormedText(op);
    if (illFormed !== undefined) throw illFormed;
    switch (op.tool) {
      case 'create_entities': {
        const records: LogRecord[] = [];
        const created: Entity[] = [];
        const taken = new Set<string>();
        for (const e of op.entities) {
          if (taken.has(e.name) || this.entities.has(e.name)) continue;
          taken.add(e.name);
          const entity: Entity = { name: e.name, entityType: e.entityType, observations: unique(e.observations) };
          records.push({ type: 'entity', ...entity });
          created.push(entity);
        }
        return { records, result: created };
      }
      case 'create_relations': {
        const records: LogRecord[] = [];
        const created: Relation[] = [];
        const taken = new Set<string>();
        for (const r of op.relations) {
          const key = relationKey(r);
          if (taken.has(key) || this.relations.has(key)) continue;
          taken.add(key);
          const relation: Relation = { from: r.from, to: r.to, relationType: r.relationType };
          records.push({ type: 'relation', ...relation });
          created.push(relation);
        }
        return { records, result: created };
      }
      case 'add_observations': {
        for (const o of op.observations) {
          if (!this.entities.has(o.entityName)) throw new EntityNotFoundError(o.entityName);
        }
        const records: LogRecord[] = [];
        const results: AddedObservations[] = [];
        const addedHere = new Map<string, Set<string>>();
        for (const o of op.observations) {
          const e = this.entities.get(o.entityName)!;
          let mine = addedHere.get(o.entityName);
          if (mine === undefined) addedHere.set(o.entityName, (mine = new Set()));
          const had = mine;
          const added = unique(o.contents, (c) => e.seen.has(c) || had.has(c));
          for (const c of added) mine.add(c);
          if (added.length > 0) records.push({ type: 'warden.observations_added', entityName: o.entityName, contents: added });
          results.push({ entityName: o.entityName, addedObservations: added });
        }
        return { records, result: results };
      }
      case 'delete_entities': {
        const records: LogRecord[] = [];
        const done = new Set<string>();
        for (const name of op.entityNames) {
          if (done.has(name)) continue;
          done.add(name);
          if (this.entities.has(name) || this.touching.has(name)) records.push({ type: 'warden.entity_deleted', name });
        }
        return { records, result: undefined };
      }
      case 'delete_observations': {
        const records: LogRecord[] = [];
        const deletedHere = new Map<string, Set<string>>();
        for (const d of op.deletions) {
          const e = this.entities.get(d.entityName);
          if (e === undefined) continue;
          let mine = deletedHere.get(d.entityName);
          if (mine === undefined) deletedHere.set(d.entityName, (mine = new Set()));
          const gone = mine;
          const present = unique(d.observations, (o) => !e.seen.has(o) || gone.has(o));
          for (const o of present) mine.add(o);
          if (present.length > 0) records.push({ type: 'warden.observations_deleted', entityName: d.entityName, observations: present });
        }
        return { records, result: undefined };
      }
      case 'delete_relations': {
        const records: LogRecord[] = [];
        const done = new Set<string>();
        for (const r of op.relations) {
          const key = relationKey(r);
          if (done.has(key) || !this.relations.has(key)) continue;
          done.add(key);
          records.push({ type: 'warden.relation_deleted', from: r.from, to: r.to, relationType: r.relationType });
        }
        return { records, result: undefined };
      }
      case 'import':
        return this.planImport(op.graph);
      default:
        return assertNever(op);
    }
  }

  private planImport(graph: KnowledgeGraph): Plan {
    const records: LogRecord[] = [];
    let entitiesCreated = 0;
    let observationsAdded = 0;
    let relationsCreated = 0;
    const created = new Map<string, Set<string>>();
    for (const e of graph.entities) {
      const existing = this.entities.get(e.name);
      const mine = created.get(e.name);
      if (existing === undefined && mine === undefined) {
        const observations = unique(e.observations);
        created.set(e.name, new Set(observations));
        records.push({ type: 'entity', name: e.name, entityType: e.entityType, observations });
        entitiesCreated++;
        observationsAdded += observations.length;
        continue;
      }
      let had = mine;
      if (had === undefined) created.set(e.name, (had = new Set()));
      const seen = had;
      const added = unique(e.observations, (c) => existing?.seen.has(c) === true || seen.has(c));
      for (const c of added) seen.add(c);
      if (added.length > 0) records.push({ type: 'warden.observations_added', entityName: e.name, contents: added });
      observationsAdded += added.length;
    }
    const taken = new Set<string>();
    for (const r of graph.relations) {
      const key = relationKey(r);
      if (taken.has(key) || this.relations.has(key)) continue;
      taken.add(key);
      records.push({ type: 'relation', from: r.from, to: r.to, relationType: r.relationType });
      relationsCreated++;
    }
    const summary: ImportSummary = { entitiesCreated, observationsAdded, relationsCreated };
    return { records, result: summary };
  }

  // ---- reading

  read(op: ReadOp): KnowledgeGraph {
    switch (op.tool) {
      case 'read_graph':
        return { entities: [...this.entities.values()].map(copy), relations: [...this.relations.values()].map((r) => ({ ...r })) };
      case 'search_nodes': {
        const q = op.query.toLowerCase();
        const found = [...this.entities.values()].filter(
          (e) => e.name.toLowerCase().includes(q) || e.entityType.toLowerCase().includes(q) || e.observations.some((o) => o.toLowerCase().includes(q)),
        );
        return this.withRelations(found);
      }
      case 'open_nodes': {
        const wanted = new Set(op.names);
        return this.withRelations([...this.entities.values()].filter((e) => wanted.has(e.name)));
      }
      default:
        return assertNever(op);
    }
  }

  private withRelations(found: readonly MutableEntity[]): KnowledgeGraph {
    const names = new Set(found.map((e) => e.name));
    const keys = new Set<string>();
    for (const n of names) for (const k of this.touching.get(n) ?? []) keys.add(k);
    // In graph order, as the reference filters them.
    const relations = keys.size === 0 ? [] : [...this.relations.entries()].filter(([k]) => keys.has(k)).map(([, r]) => ({ ...r }));
    return { entities: found.map(copy), relations };
  }

  /** Every line of the graph in the reference's format: entities, then relations. */
  *lines(): Generator<string> {
    for (const e of this.entities.values()) yield entityLine(e);
    for (const r of this.relations.values()) yield relationLine(r);
  }
}

function copy(e: MutableEntity): Entity {
  return { name: e.name, entityType: e.entityType, observations: [...e.observations] };
}

/** An entity as a line of the reference's JSONL file (its key order). */
export function entityLine(e: Entity): string {
  return JSON.stringify({ type: 'entity', name: e.name, entityType: e.entityType, observations: e.observations });
}

export function relationLine(r: Relation): string {
  return JSON.stringify({ type: 'relation', from: r.from, to: r.to, relationType: r.relationType });
}
