/**
 * The nine tools' input and output schemas (zod), with the same field names, types and nesting
 * as the reference memory server's, so a client written for it validates and reads our answers
 * unchanged; the descriptions are our own wording. `parseWriteInput` gives library callers the
 * same validation with a {@link MemoryInputError} naming the field.
 */
import { z } from 'zod';
import { formatPath, valueAt } from '../runtime/internal.ts';
import { MemoryInputError } from './errors.ts';
import type { ReadOp, WriteOp } from './types.ts';

const ILL_FORMED = 'must be well-formed Unicode: it holds a lone surrogate (an unpaired \\uD800-\\uDFFF), which UTF-8 cannot store';

/**
 * A string of the input: well-formed Unicode only. A lone surrogate ('\uD800') is refused in
 * every backend, because SQLite and Postgres store UTF-8, which cannot hold one: the store would
 * keep U+FFFD instead of the name it acknowledged.
 */
const text = (): z.ZodString => z.string().refine((s) => s.isWellFormed(), { message: ILL_FORMED });

const entity = (str: () => z.ZodString) =>
  z.object({
    name: str().describe('Unique name of the entity'),
    entityType: str().describe('What kind of thing the entity is (person, project, ...)'),
    observations: z.array(str()).describe('Facts about the entity, one string each'),
  });

const relation = (str: () => z.ZodString) =>
  z.object({
    from: str().describe('Name of the entity the relation starts at'),
    to: str().describe('Name of the entity the relation points to'),
    relationType: str().describe('The relation, in active voice (works_at, depends_on, ...)'),
  });

/** An entity as a tool takes it (its strings well-formed). */
export const EntitySchema = entity(text);
/** A relation as a tool takes it (its strings well-formed). */
export const RelationSchema = relation(text);
// Answers are not held to that: a graph written before the check may hold a lone surrogate, and must still be readable.
const EntityOutput = entity(() => z.string());
const RelationOutput = relation(() => z.string());

const GraphShape = { entities: z.array(EntityOutput), relations: z.array(RelationOutput) };
const DoneShape = { success: z.boolean(), message: z.string() };

/** What an MCP tool is: its schemas and hints, as listed by `tools/list`. */
export interface McpToolDefinition {
  readonly title: string;
  readonly description: string;
  readonly inputSchema: z.ZodRawShape;
  readonly outputSchema: z.ZodRawShape;
  readonly annotations: {
    readonly readOnlyHint: boolean;
    readonly destructiveHint: boolean;
    readonly idempotentHint: boolean;
    readonly openWorldHint: boolean;
  };
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
    outputSchema: { entities: z.array(EntityOutput) },
    annotations: writes,
  },
  create_relations: {
    title: 'Create Relations',
    description: 'Add directed relations between entities (use active voice). A relation that already exists is not added again.',
    inputSchema: { relations: z.array(RelationSchema) },
    outputSchema: { relations: z.array(RelationOutput) },
    annotations: writes,
  },
  add_observations: {
    title: 'Add Observations',
    description: 'Add observations to existing entities; returns what was new. Fails as a whole if an entity does not exist.',
    inputSchema: {
      observations: z.array(
        z.object({
          entityName: text().describe('The entity to add to'),
          contents: z.array(text()).describe('Observations to add'),
        }),
      ),
    },
    outputSchema: { results: z.array(z.object({ entityName: z.string(), addedObservations: z.array(z.string()) })) },
    annotations: writes,
  },
  delete_entities: {
    title: 'Delete Entities',
    description: 'Delete entities by name, with every relation from or to them. Names that do not exist are ignored.',
    inputSchema: { entityNames: z.array(text()).describe('Names of the entities to delete') },
    outputSchema: DoneShape,
    annotations: deletes,
  },
  delete_observations: {
    title: 'Delete Observations',
    description: 'Delete observations from entities. Missing entities and observations are ignored.',
    inputSchema: {
      deletions: z.array(
        z.object({
          entityName: text().describe('The entity to delete from'),
          observations: z.array(text()).describe('Observations to delete'),
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
    inputSchema: { query: text().describe('Text to look for in names, types and observations') },
    outputSchema: GraphShape,
    annotations: reads,
  },
  open_nodes: {
    title: 'Open Nodes',
    description: 'Return the named entities, with the relations that touch them. Unknown names are ignored.',
    inputSchema: { names: z.array(text()).describe('Names of the entities to return') },
    outputSchema: GraphShape,
    annotations: reads,
  },
};

/**
 * The input error for the first string of a write that is not well-formed Unicode (a lone
 * surrogate), or `undefined`: both backends check every write with it, so a library caller that
 * skips the schemas is refused the same way.
 */
export function illFormedText(op: WriteOp): MemoryInputError | undefined {
  const walk = (v: unknown, path: string): MemoryInputError | undefined => {
    if (typeof v === 'string') return v.isWellFormed() ? undefined : new MemoryInputError(op.tool, path, ILL_FORMED, v);
    if (typeof v !== 'object' || v === null) return undefined;
    const entries: [string, unknown][] = Array.isArray(v) ? v.map((x, i) => [`[${i}]`, x]) : Object.entries(v).map(([k, x]) => [path === '' ? k : `.${k}`, x]);
    for (const [key, x] of entries) {
      if (path === '' && key === 'tool') continue;
      const bad = walk(x, `${path}${key}`);
      if (bad !== undefined) return bad;
    }
    return undefined;
  };
  return walk(op, '');
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
