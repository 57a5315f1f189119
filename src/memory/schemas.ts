/**
 * The nine tools' input and output schemas (zod), with the same field names, types and nesting
 * as the reference memory server's, so a client written for it validates and reads our answers
 * unchanged; the descriptions are our own wording. `parseWriteInput` gives library callers the
 * same validation with a {@link MemoryInputError} naming the field.
 */
import { z } from 'zod';
import { MemoryInputError } from './errors.ts';
import type { ReadOp, WriteOp } from './types.ts';

export const EntitySchema = z.object({
  name: z.string().describe('Unique name of the entity'),
  entityType: z.string().describe('What kind of thing the entity is (person, project, ...)'),
  observations: z.array(z.string()).describe('Facts about the entity, one string each'),
});

export const RelationSchema = z.object({
  from: z.string().describe('Name of the entity the relation starts at'),
  to: z.string().describe('Name of the entity the relation points to'),
  relationType: z.string().describe('The relation, in active voice (works_at, depends_on, ...)'),
});

const GraphShape = { entities: z.array(EntitySchema), relations: z.array(RelationSchema) };
const DoneShape = { success: z.boolean(), message: z.string() };

/** What an MCP tool is: its schemas and hints, as listed by `tools/list`. */
export interface McpToolDefinition {
  readonly title: string;
  readonly description: string;
  readonly inputSchema: z.ZodRawShape;
  readonly outputSchema: z.ZodRawShape;
  readonly annotations: { readonly readOnlyHint: boolean; readonly destructiveHint: boolean; readonly idempotentHint: boolean; readonly openWorldHint: boolean };
}

const writes = { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false } as const;
const deletes = { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false } as const;
const reads = { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false } as const;

export const MEMORY_TOOL_NAMES = [
  'create_entities',
  'create_relations',
  'add_observations',
  'delete_entities',
  'delete_observations',
  'delete_relations',
  'read_graph',
  'search_nodes',
  'open_nodes',
] as const;
export type MemoryToolName = (typeof MEMORY_TOOL_NAMES)[number];

export const MEMORY_TOOLS: { readonly [K in MemoryToolName]: McpToolDefinition } = {
  create_entities: {
    title: 'Create Entities',
    description: 'Add entities to the knowledge graph. An entity whose name is already taken is left as it is and not returned.',
    inputSchema: { entities: z.array(EntitySchema) },
    outputSchema: { entities: z.array(EntitySchema) },
    annotations: writes,
  },
  create_relations: {
    title: 'Create Relations',
    description: 'Add directed relations between entities (use active voice). A relation that already exists is not added again.',
    inputSchema: { relations: z.array(RelationSchema) },
    outputSchema: { relations: z.array(RelationSchema) },
    annotations: writes,
  },
  add_observations: {
    title: 'Add Observations',
    description: 'Add observations to existing entities; returns what was new. Fails as a whole if an entity does not exist.',
    inputSchema: {
      observations: z.array(
        z.object({
          entityName: z.string().describe('The entity to add to'),
          contents: z.array(z.string()).describe('Observations to add'),
        }),
      ),
    },
    outputSchema: { results: z.array(z.object({ entityName: z.string(), addedObservations: z.array(z.string()) })) },
    annotations: writes,
  },
  delete_entities: {
    title: 'Delete Entities',
    description: 'Delete entities by name, with every relation from or to them. Names that do not exist are ignored.',
    inputSchema: { entityNames: z.array(z.string()).describe('Names of the entities to delete') },
    outputSchema: DoneShape,
    annotations: deletes,
  },
  delete_observations: {
    title: 'Delete Observations',
    description: 'Delete observations from entities. Missing entities and observations are ignored.',
    inputSchema: {
      deletions: z.array(
        z.object({
          entityName: z.string().describe('The entity to delete from'),
          observations: z.array(z.string()).describe('Observations to delete'),
        }),
      ),
    },
    outputSchema: DoneShape,
    annotations: deletes,
  },
  delete_relations: {
    title: 'Delete Relations',
    description: 'Delete relations (matched by from, to and relationType). Missing ones are ignored.',
    inputSchema: { relations: z.array(RelationSchema).describe('Relations to delete') },
    outputSchema: DoneShape,
    annotations: deletes,
  },
  read_graph: {
    title: 'Read Graph',
    description: 'Return the whole knowledge graph.',
    inputSchema: {},
    outputSchema: GraphShape,
    annotations: reads,
  },
  search_nodes: {
    title: 'Search Nodes',
    description: 'Find entities whose name, type or an observation contains the query (case-insensitive), with the relations that touch them.',
    inputSchema: { query: z.string().describe('Text to look for in names, types and observations') },
    outputSchema: GraphShape,
    annotations: reads,
  },
  open_nodes: {
    title: 'Open Nodes',
    description: 'Return the named entities, with the relations that touch them. Unknown names are ignored.',
    inputSchema: { names: z.array(z.string()).describe('Names of the entities to return') },
    outputSchema: GraphShape,
    annotations: reads,
  },
};

/** `entities[2].name` from zod's path. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out === '' ? String(p) : `.${String(p)}`;
  return out;
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let v = input;
  for (const p of path) {
    if (typeof v !== 'object' || v === null) return undefined;
    v = (v as Record<PropertyKey, unknown>)[p];
  }
  return v;
}

function parse(tool: MemoryToolName, input: unknown): Record<string, unknown> {
  const result = z.object(MEMORY_TOOLS[tool].inputSchema).safeParse(input ?? {});
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  throw new MemoryInputError(tool, formatPath(issue.path), issue.message.replace(/^Invalid input: /, ''), valueAt(input, issue.path));
}

/** Validate a write tool's arguments (as an MCP client sends them) into a {@link WriteOp}. */
export function parseWriteInput(tool: Exclude<MemoryToolName, 'read_graph' | 'search_nodes' | 'open_nodes'>, input: unknown): WriteOp {
  return { tool, ...parse(tool, input) } as WriteOp;
}

/** Validate a read tool's arguments into a {@link ReadOp}. */
export function parseReadInput(tool: 'read_graph' | 'search_nodes' | 'open_nodes', input: unknown): ReadOp {
  return { tool, ...parse(tool, input) } as ReadOp;
}

export function isWriteTool(tool: MemoryToolName): tool is Exclude<MemoryToolName, 'read_graph' | 'search_nodes' | 'open_nodes'> {
  return tool !== 'read_graph' && tool !== 'search_nodes' && tool !== 'open_nodes';
}
