/**
 * The config layer's events, on the one stream. `config.changed` is emitted once the new value
 * is in force (every watcher and bound policy has it); `config.rejected` once a refused value
 * has been turned away and the old one is known to be still in force.
 */
declare module '../runtime/index.ts' {
  interface WardenEventMap {
    /** A new value is in force. `changed` lists the field paths whose value changed (`policies.retry.maxAttempts`). */
    'config.changed': {
      readonly config: string;
      readonly source: string;
      readonly actor: string;
      readonly version: number;
      readonly changed: readonly string[];
    };
    /** A value was refused (it failed the schema, a bound target refused it, or the file was not JSON); the old value is kept. */
    'config.rejected': {
      readonly config: string;
      readonly source: string;
      readonly actor: string;
      /** The field at fault (`policies.retry.maxAttempts`), `''` for the whole value, `(file)` for a file that could not be read. */
      readonly field: string;
      readonly reason: string;
      /** The version still in force. */
      readonly version: number;
    };
    /** A change or refusal could not be written to the audit store (the change itself stands). */
    'config.audit_failed': { readonly config: string; readonly action: string; readonly error: unknown };
    /** A config file watcher fell back to polling (fs.watch is not available for the file's folder). */
    'config.watch_degraded': { readonly config: string; readonly file: string; readonly reason: string };
  }
}

export {};
