/**
 * The memory server (`warden/memory`): a knowledge graph of entities, relations and
 * observations over MCP, tool for tool compatible with the reference memory server
 * (`@modelcontextprotocol/server-memory`), with serialised, durable writes that lose nothing
 * when many agents and many processes share one graph, auto-repair on load, and a service that
 * runs as a supervised child.
 *
 * ```ts
 * import { serveMemory } from 'warden/memory';
 *
 * // What `warden memory serve --file memory.jsonl` runs: MCP over stdio, the graph supervised.
 * const server = await serveMemory({ backend: { file: 'memory.jsonl' }, transport: 'stdio' });
 * await server.done;
 * ```
 *
 * Backends: the Warden store (`{ db?, schema?, graph? }`: SQLite by default, Postgres by URL)
 * or a JSONL file in the reference's format (`{ file }`). Events: `memory.*` on the runtime's
 * stream. Errors: `EntityNotFoundError` (`MEMORY_ENTITY_NOT_FOUND`), `MemoryInputError`
 * (`MEMORY_INPUT`), `MemoryLockTimeoutError` (`MEMORY_LOCK_TIMEOUT`), `MemoryFileError`
 * (`MEMORY_FILE`), `MemoryDiskFullError` (`MEMORY_DISK_FULL`; on the store, `StoreFullError`),
 * `MemoryUnavailableError` (`MEMORY_UNAVAILABLE`).
 */
import './events.ts';

export { openMemoryGraph } from './open.ts';
export type { MemoryBackendOptions, OpenMemoryGraphContext } from './open.ts';
export { openFileGraph, FILE_GRAPH_DEFAULTS } from './file-graph.ts';
export type { FileGraphOptions } from './file-graph.ts';
export { openStoreGraph, STORE_GRAPH_DEFAULTS } from './store-graph.ts';
export type { StoreGraphOptions } from './store-graph.ts';
export { createMemoryMcpServer, MEMORY_RESOURCE_URI } from './mcp-server.ts';
export type { MemoryAccess, MemoryMcpServerOptions } from './mcp-server.ts';
export { startMemoryHttp, checkMemoryHttpOptions, isLoopbackHost, MEMORY_HTTP_DEFAULTS, MIN_TOKEN_LENGTH } from './http.ts';
export type { MemoryHttpOptions, MemoryHttpServer } from './http.ts';
export { serveMemory, SERVE_MEMORY_DEFAULTS } from './serve.ts';
export { shareWrites, writerAddress, SHARED_WRITER_DEFAULTS } from './shared-writer.ts';
export type { SharedWriterAccess, SharedWriterOptions, WriterRole } from './shared-writer.ts';
export type { ServeMemoryOptions, MemoryServerHandle } from './serve.ts';
export { memoryService, memoryServiceBehaviour, serviceAccess, MEMORY_SERVICE_MODULE, MEMORY_SERVER_MODULE, SERVICE_ACCESS_DEFAULTS } from './service.ts';
export { memoryServer } from './supervised.ts';
export type { MemoryServerOptions } from './server-entry.ts';
export type { MemoryServiceRequest, MemoryServiceReply, ServiceAccessOptions } from './service.ts';
export { importJsonl, exportJsonl, parseJsonl, toJsonl } from './import-export.ts';
export type { ParsedJsonl } from './import-export.ts';
export { MEMORY_TOOLS, MEMORY_TOOL_NAMES, EntitySchema, RelationSchema, parseWriteInput, parseReadInput } from './schemas.ts';
export type { MemoryToolName, McpToolDefinition } from './schemas.ts';
export { FILE_LOCK_DEFAULTS } from './file-lock.ts';
export {
  EntityNotFoundError,
  MemoryInputError,
  MemoryLockTimeoutError,
  MemoryFileError,
  MemoryDiskFullError,
  MemoryUnavailableError,
} from './errors.ts';
export { relationKey } from './types.ts';
export type {
  Entity,
  Relation,
  KnowledgeGraph,
  ObservationAddition,
  AddedObservations,
  ObservationDeletion,
  WriteOp,
  WriteTool,
  WriteResult,
  WriteResults,
  ReadOp,
  ImportSummary,
  MemoryGraph,
  MemoryGraphInfo,
} from './types.ts';
export type { RejectedLine } from './jsonl-log.ts';
export { readRejectedLines } from './rejected-lines.ts';
