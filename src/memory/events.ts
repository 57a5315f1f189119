/**
 * The memory layer's events, on the one stream. Each is emitted after what it reports is done:
 * `memory.write` once the change is durable, `memory.line_rejected` once the line is kept aside.
 */
declare module '../runtime/index.ts' {
  interface WardenEventMap {
    /** A graph was opened (and repaired, if `repairs` > 0). */
    'memory.opened': {
      readonly backend: 'store' | 'file';
      readonly location: string;
      readonly entities: number;
      readonly relations: number;
      readonly repairs: number;
    };
    /** A write tool call was applied and is durable; `changes` counts the records it wrote (0: nothing to change). */
    'memory.write': { readonly backend: 'store' | 'file'; readonly tool: string; readonly changes: number; readonly batch: number };
    /** A write was refused (bad input, a missing entity) and nothing of it applied. */
    'memory.write_refused': { readonly tool: string; readonly code: string; readonly message: string };
    /** A corrupt or truncated line of the memory file was skipped and kept aside in `keptIn`. */
    'memory.line_rejected': { readonly file: string; readonly line: number; readonly reason: string; readonly keptIn: string };
    /** Two entities with one name, or two equal relations, were collapsed into the first. */
    'memory.duplicate_collapsed': { readonly file: string; readonly line: number; readonly kind: 'entity' | 'relation'; readonly key: string };
    /** The memory file was rewritten from the graph (the log had grown, or after a repair). */
    'memory.compacted': { readonly file: string; readonly bytesBefore: number; readonly bytesAfter: number; readonly reason: 'growth' | 'repair' };
    /** Another process replaced the file (it compacted it); the graph was read again. */
    'memory.reloaded': { readonly file: string; readonly reason: 'replaced' | 'missing' };
    /** The file lock was taken after waiting `waitedMs` (only emitted when it had to wait). */
    'memory.lock_waited': { readonly lock: string; readonly waitedMs: number };
    /** A lock left by a process that is gone was broken. */
    'memory.lock_broken': { readonly lock: string; readonly holder: string; readonly why: string };
    /** The lock was found taken by someone else when it was released (it had been broken as stale). */
    'memory.lock_lost': { readonly lock: string; readonly holder: string };
    /**
     * Who makes this server's writes, decided at its first write and again whenever the writer
     * goes away: it is the `writer` for every server on the graph (listening on `address`), a
     * `client` sending its writes to the server that is, or `alone` (writing for itself; `why` says
     * what stopped sharing, and it tries again later).
     */
    'memory.writer': { readonly role: 'writer' | 'client' | 'alone'; readonly address: string; readonly why?: string };
    /** The MCP front is listening (HTTP) or attached (stdio). */
    'memory.listening': { readonly transport: 'stdio' | 'http'; readonly url: string | undefined };
    'memory.session_opened': { readonly sessionId: string };
    /**
     * An HTTP session ended: the client ended it (`deleted`), it went unused for the idle time
     * (`idle`), it made room for a new client (`evicted`), or the server stopped (`shutdown`).
     */
    'memory.session_closed': { readonly sessionId: string; readonly reason: 'deleted' | 'idle' | 'evicted' | 'shutdown' };
    /** A message over the size limit was refused on stdio (answered with a JSON-RPC error; `id` is the request's, if it could be found). */
    'memory.message_refused': { readonly transport: 'stdio'; readonly bytes: number; readonly limit: number; readonly id: string | number | null };
  }
}

export {};
