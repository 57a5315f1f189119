/**
 * The knowledge graph's data, as the reference memory server (`@modelcontextprotocol/server-memory`)
 * shapes it on the wire and in its JSONL file: entities (unique by name) carrying observations,
 * and directed, typed relations between entity names (unique by from, type and to; a relation may
 * name an entity that does not exist, as in the reference).
 *
 * Every change is one {@link WriteOp}; a backend applies each op whole or not at all.
 */

export interface Entity {
  readonly name: string;
  readonly entityType: string;
  /** In the order they were added; no duplicates. */
  readonly observations: readonly string[];
}

export interface Relation {
  readonly from: string;
  readonly to: string;
  readonly relationType: string;
}

export interface KnowledgeGraph {
  /** In creation order (an entity deleted and created again goes to the end). */
  readonly entities: readonly Entity[];
  readonly relations: readonly Relation[];
}

export interface ObservationAddition {
  readonly entityName: string;
  readonly contents: readonly string[];
}

export interface AddedObservations {
  readonly entityName: string;
  /** The contents that were new (already present ones are left out). */
  readonly addedObservations: readonly string[];
}

export interface ObservationDeletion {
  readonly entityName: string;
  readonly observations: readonly string[];
}

/** One write, as a tool call makes it. `import` merges a whole graph (used by `warden memory import`). */
export type WriteOp =
  | { readonly tool: 'create_entities'; readonly entities: readonly Entity[] }
  | { readonly tool: 'create_relations'; readonly relations: readonly Relation[] }
  | { readonly tool: 'add_observations'; readonly observations: readonly ObservationAddition[] }
  | { readonly tool: 'delete_entities'; readonly entityNames: readonly string[] }
  | { readonly tool: 'delete_observations'; readonly deletions: readonly ObservationDeletion[] }
  | { readonly tool: 'delete_relations'; readonly relations: readonly Relation[] }
  | { readonly tool: 'import'; readonly graph: KnowledgeGraph };

export type WriteTool = WriteOp['tool'];

/** What each write returns. */
export interface WriteResults {
  readonly create_entities: readonly Entity[];
  readonly create_relations: readonly Relation[];
  readonly add_observations: readonly AddedObservations[];
  readonly delete_entities: undefined;
  readonly delete_observations: undefined;
  readonly delete_relations: undefined;
  readonly import: ImportSummary;
}

export type WriteResult = WriteResults[WriteTool];

export interface ImportSummary {
  readonly entitiesCreated: number;
  readonly observationsAdded: number;
  readonly relationsCreated: number;
}

export type ReadOp =
  | { readonly tool: 'read_graph' }
  | { readonly tool: 'search_nodes'; readonly query: string }
  | { readonly tool: 'open_nodes'; readonly names: readonly string[] };

/** Where a graph lives. */
export interface MemoryGraphInfo {
  readonly backend: 'store' | 'file';
  /** The file, or the database (a path, or a URL with any password hidden). */
  readonly location: string;
  /** The graph's name inside the store (store backend only). */
  readonly graph?: string;
}

/**
 * A knowledge graph on a backend. Writes are serialised and durable when they resolve (each op
 * applied whole or not at all); reads see every write that resolved before they started, from
 * any process sharing the backend.
 */
export interface MemoryGraph {
  readonly info: MemoryGraphInfo;
  write<K extends WriteTool>(op: Extract<WriteOp, { tool: K }>): Promise<WriteResults[K]>;
  read(op: ReadOp): Promise<KnowledgeGraph>;
  close(): Promise<void>;
}

/** The relation's identity: from, type and to (JSON, so no separator can collide with a name). */
export function relationKey(r: Relation): string {
  return JSON.stringify([r.from, r.relationType, r.to]);
}
