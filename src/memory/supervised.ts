/**
 * `memoryServer(options)`: a whole memory server (graph and Streamable HTTP front) as one
 * supervised child in its own OS process. A crash or kill -9 ends only that process; its
 * supervisor starts it again, on the same port, and clients reconnect there (an old session is
 * answered 404 "Session not found", which tells an MCP client to start a new one).
 */
import { childProcess, type ProcessOptions } from '../isolation/index.ts';
import type { ChildStart } from '../supervisor/index.ts';
import type { MemoryServerOptions } from './server-entry.ts';
import { MEMORY_SERVER_MODULE } from './service.ts';

/**
 * @example
 * ```ts
 * const root = await startSupervisor(rt, {
 *   strategy: 'one_for_one',
 *   children: [{ id: 'memory', start: memoryServer({ backend: { file: 'memory.jsonl' }, http: { port: 8788 } }) }],
 * });
 * ```
 */
export function memoryServer(options: MemoryServerOptions, processOptions: Omit<ProcessOptions, 'arg' | 'export'> = {}): ChildStart {
  if (options.http.port === undefined || options.http.port === 0) {
    throw new TypeError('memoryServer: http.port must be a fixed port, so clients find the server again after a restart');
  }
  return childProcess(MEMORY_SERVER_MODULE, { label: 'memory-server', ...processOptions, arg: options });
}
