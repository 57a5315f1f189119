/**
 * The MCP face of a memory graph: an `McpServer` (from `@modelcontextprotocol/sdk`) with the
 * reference memory server's nine tools, under the same names, with the same input and output
 * schemas and the same result shapes (`structuredContent` and a JSON text copy), and its
 * `memory://knowledge-graph` resource with update subscriptions. A client written for the
 * reference works unchanged.
 *
 * Bad input is refused by the SDK before anything runs (a tool error naming the field); a
 * refused write (a missing entity) is a tool error with the reference's message; either way
 * nothing of the call was applied.
 */
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { loadMcpSdk } from './mcp-sdk.ts';
import { MEMORY_TOOLS, type MemoryToolName } from './schemas.ts';
import type { KnowledgeGraph, ReadOp, WriteOp, WriteResult } from './types.ts';

/** What the MCP face needs: a graph, or a client of the memory service. */
export interface MemoryAccess {
  write(op: WriteOp): Promise<WriteResult>;
  read(op: ReadOp): Promise<KnowledgeGraph>;
}

export interface MemoryMcpServerOptions {
  /** Reported to clients as the server's name. @default 'warden-memory' */
  readonly name?: string;
  /** @default the package version */
  readonly version?: string;
}

export const MEMORY_RESOURCE_URI = 'memory://knowledge-graph';

const VERSION = '0.1.0';

const text = (value: unknown): CallToolResult['content'] => [{ type: 'text', text: JSON.stringify(value, null, 2) }];

function done(message: string): CallToolResult {
  return { content: [{ type: 'text', text: message }], structuredContent: { success: true, message } };
}

/**
 * An MCP server for one session (an `McpServer` connects to one transport; the HTTP front makes
 * one per session). The SDK is loaded on the first call, so this resolves once it is.
 *
 * @example
 * ```ts
 * const graph = await openMemoryGraph({ file: './memory.jsonl' });
 * await (await createMemoryMcpServer(graph)).connect(new StdioServerTransport());
 * ```
 */
export async function createMemoryMcpServer(access: MemoryAccess, options: MemoryMcpServerOptions = {}): Promise<McpServer> {
  const { McpServer: Server, SubscribeRequestSchema, UnsubscribeRequestSchema } = await loadMcpSdk();
  const server = new Server({ name: options.name ?? 'warden-memory', version: options.version ?? VERSION });
  const subscribed = new Set<string>();
  const changed = (): void => {
    if (subscribed.has(MEMORY_RESOURCE_URI) && server.isConnected()) {
      server.server.sendResourceUpdated({ uri: MEMORY_RESOURCE_URI }).catch(() => {});
    }
  };

  const tool = (name: MemoryToolName, handler: (args: Record<string, unknown>) => Promise<CallToolResult>): void => {
    const d = MEMORY_TOOLS[name];
    server.registerTool(
      name,
      { title: d.title, description: d.description, inputSchema: d.inputSchema, outputSchema: d.outputSchema, annotations: d.annotations },
      handler as never,
    );
  };
  const write = async (op: WriteOp): Promise<WriteResult> => {
    const result = await access.write(op);
    changed();
    return result;
  };
  const graph = (g: KnowledgeGraph): CallToolResult => ({ content: text(g), structuredContent: { entities: g.entities, relations: g.relations } });

  tool('create_entities', async (a) => {
    const entities = await write({ tool: 'create_entities', entities: a.entities as never });
    return { content: text(entities), structuredContent: { entities } };
  });
  tool('create_relations', async (a) => {
    const relations = await write({ tool: 'create_relations', relations: a.relations as never });
    return { content: text(relations), structuredContent: { relations } };
  });
  tool('add_observations', async (a) => {
    const results = await write({ tool: 'add_observations', observations: a.observations as never });
    return { content: text(results), structuredContent: { results } };
  });
  tool('delete_entities', async (a) => {
    await write({ tool: 'delete_entities', entityNames: a.entityNames as never });
    return done('Entities deleted successfully');
  });
  tool('delete_observations', async (a) => {
    await write({ tool: 'delete_observations', deletions: a.deletions as never });
    return done('Observations deleted successfully');
  });
  tool('delete_relations', async (a) => {
    await write({ tool: 'delete_relations', relations: a.relations as never });
    return done('Relations deleted successfully');
  });
  tool('read_graph', async () => graph(await access.read({ tool: 'read_graph' })));
  tool('search_nodes', async (a) => graph(await access.read({ tool: 'search_nodes', query: a.query as string })));
  tool('open_nodes', async (a) => graph(await access.read({ tool: 'open_nodes', names: a.names as never })));

  server.registerResource(
    'knowledge-graph',
    MEMORY_RESOURCE_URI,
    { title: 'Knowledge Graph', description: 'The whole knowledge graph', mimeType: 'application/json' },
    async (uri) => ({ contents: [{ uri: uri.href, mimeType: 'application/json', text: JSON.stringify(await access.read({ tool: 'read_graph' }), null, 2) }] }),
  );
  server.server.registerCapabilities({ resources: { subscribe: true } });
  server.server.setRequestHandler(SubscribeRequestSchema, async (request) => {
    subscribed.add(request.params.uri);
    return {};
  });
  server.server.setRequestHandler(UnsubscribeRequestSchema, async (request) => {
    subscribed.delete(request.params.uri);
    return {};
  });
  return server;
}
