/**
 * The memory layer's tables in a Warden store, and their migrations: applied by the store's
 * `openLayerTables` (src/store/layer-tables.ts) when a memory graph first opens on a store, never
 * before, so a store used only for durable runs has none of them. Numbered from 1, append-only: a
 * released migration is never edited, a change is a new one.
 *
 * Version 1 is what the store's own schema version 2 created before this layer owned its tables;
 * a store that got them that way records them as this layer's version 1 (store schema version 4),
 * so they are kept with every graph in them.
 */
import { defineLayerTables, type Migration } from '../store/internal.ts';

const v1: Migration = {
  version: 1,
  description: 'memory graphs: entities, observations, relations',
  sql(dialect) {
    const autoId = dialect === 'sqlite' ? 'INTEGER PRIMARY KEY AUTOINCREMENT' : 'BIGSERIAL PRIMARY KEY';
    // Ids only grow, so ordering by id is insertion order (what read_graph returns). Observations
    // are unique per entity by a hash of their text: Postgres cannot index long text directly.
    // The *_lower columns hold JavaScript's toLowerCase() of the text, for search_nodes.
    return [
      `CREATE TABLE warden_memory_entities (
        id ${autoId},
        graph TEXT NOT NULL,
        name TEXT NOT NULL,
        entity_type TEXT NOT NULL,
        name_lower TEXT NOT NULL,
        type_lower TEXT NOT NULL,
        UNIQUE (graph, name)
      )`,
      `CREATE TABLE warden_memory_observations (
        id ${autoId},
        entity_id BIGINT NOT NULL REFERENCES warden_memory_entities (id) ON DELETE CASCADE,
        content TEXT NOT NULL,
        content_hash TEXT NOT NULL,
        content_lower TEXT NOT NULL,
        UNIQUE (entity_id, content_hash)
      )`,
      `CREATE TABLE warden_memory_relations (
        id ${autoId},
        graph TEXT NOT NULL,
        from_name TEXT NOT NULL,
        to_name TEXT NOT NULL,
        relation_type TEXT NOT NULL,
        UNIQUE (graph, from_name, to_name, relation_type)
      )`,
      'CREATE INDEX warden_memory_relations_to ON warden_memory_relations (graph, to_name)',
    ];
  },
};

/** The memory layer's tables: `warden_memory_entities`, `warden_memory_observations`, `warden_memory_relations`. */
export const MEMORY_TABLES = defineLayerTables({ layer: 'memory', migrations: [v1] });
