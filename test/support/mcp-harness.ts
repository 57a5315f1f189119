/**
 * Shared set-up for the MCP tools tests: the unruly test server (test/fixtures/mcp-unruly-server.ts)
 * as `mcpTools` options, the memory servers' command lines, a temp dir, and the text of what the
 * model was told, read from the requests the simulated server received.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { McpToolsOptions } from '../../src/agent/index.ts';
import type { SimServer } from '../../src/sim/index.ts';
import { REFERENCE_BIN, WARDEN_BIN } from './memory-harness.ts';

export const UNRULY_SERVER = join(import.meta.dirname, '../fixtures/mcp-unruly-server.ts');

/** Options for the unruly server; `log` is where it records the calls it carried out. */
export function unrulyServer(options: Partial<McpToolsOptions> & { log?: string; exitAtStart?: boolean } = {}): McpToolsOptions {
  const { log, exitAtStart, ...rest } = options;
  const env: Record<string, string> = {
    ...(log === undefined ? {} : { MCP_FIXTURE_LOG: log }),
    ...(exitAtStart === true ? { MCP_FIXTURE_EXIT_AT_START: '1' } : {}),
  };
  return { command: process.execPath, args: [UNRULY_SERVER], name: 'unruly', env, retry: { maxAttempts: 3, baseDelayMs: 0, maxDelayMs: 0 }, ...rest };
}

/** Warden's memory server over stdio, on a JSONL file. */
export function wardenMemory(file: string, options: Partial<McpToolsOptions> = {}): McpToolsOptions {
  return { command: process.execPath, args: [WARDEN_BIN, 'memory', 'serve', '--file', file], name: 'warden-memory', ...options };
}

/** The reference memory server (`@modelcontextprotocol/server-memory`) over stdio, on a JSONL file. */
export function referenceMemory(file: string, options: Partial<McpToolsOptions> = {}): McpToolsOptions {
  return { command: process.execPath, args: [REFERENCE_BIN], env: { MEMORY_FILE_PATH: file }, name: 'reference-memory', ...options };
}

export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'warden-mcp-'));
}

/** Everything request `index` carried, as one string (tool results included). */
export function requestText(sim: SimServer, index: number): string {
  return JSON.stringify(sim.requests[index]?.body ?? null);
}
