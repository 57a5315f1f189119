/**
 * Choosing a backend: `{ file }` is a JSONL file in the reference's format; otherwise the Warden
 * store (`db`: a SQLite path or a postgres:// URL; default `WARDEN_DATABASE_URL`, else
 * `./.warden/warden.db`), graph `default` unless `graph` names another. Both are checked by the
 * store's `resolveStoreLocation` first: a mistyped URL scheme, an unexpanded `${VAR}` or a
 * directory is refused naming it, never created as a file.
 */
import type { Clock, EventBus } from '../runtime/index.ts';
import { openStore, resolveStoreLocation } from '../store/index.ts';
import { openFileGraph } from './file-graph.ts';
import { openStoreGraph } from './store-graph.ts';
import type { MemoryGraph } from './types.ts';

export type MemoryBackendOptions =
  | {
      /** The JSONL file. */
      readonly file: string;
      /** Give up waiting for the file's lock after this long. @default 10_000 */
      readonly lockTimeoutMs?: number;
      /** Compact once the log has grown past this and the graph's own size. @default 1_048_576 */
      readonly compactAfterBytes?: number;
    }
  | {
      readonly file?: undefined;
      /** A SQLite file or a postgres:// URL. @default WARDEN_DATABASE_URL, else './.warden/warden.db' */
      readonly db?: string;
      /** Postgres only: the schema holding Warden's tables. */
      readonly schema?: string;
      /** The graph's name in the store. @default 'default' */
      readonly graph?: string;
    };

export interface OpenMemoryGraphContext {
  readonly events?: EventBus;
  readonly clock?: Clock;
  /** Told about each repair in one line (the CLI prints them on stderr). */
  readonly warn?: (message: string) => void;
  /** Where to read WARDEN_DATABASE_URL. @default process.env */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Base for relative paths. @default process.cwd() */
  readonly cwd?: string;
}

/**
 * Open a memory graph.
 *
 * @example
 * ```ts
 * const fromFile = await openMemoryGraph({ file: './memory.jsonl' });
 * const fromStore = await openMemoryGraph({ db: 'postgres://warden@db/prod', graph: 'team' });
 * await fromFile.write({ tool: 'create_entities', entities: [{ name: 'Ada', entityType: 'person', observations: [] }] });
 * ```
 */
export async function openMemoryGraph(backend: MemoryBackendOptions, context: OpenMemoryGraphContext = {}): Promise<MemoryGraph> {
  if (backend.file !== undefined) {
    const target = resolveStoreLocation({ db: backend.file, accept: 'file', name: 'file', ...(context.cwd === undefined ? {} : { cwd: context.cwd }) });
    return openFileGraph({
      path: target.kind === 'sqlite' ? target.path : backend.file,
      ...(context.clock === undefined ? {} : { clock: context.clock }),
      ...(context.events === undefined ? {} : { events: context.events }),
      ...(context.warn === undefined ? {} : { warn: context.warn }),
      ...(backend.lockTimeoutMs === undefined ? {} : { lockTimeoutMs: backend.lockTimeoutMs }),
      ...(backend.compactAfterBytes === undefined ? {} : { compactAfterBytes: backend.compactAfterBytes }),
    });
  }
  const store = await openStore({
    ...(backend.db === undefined ? {} : { db: backend.db }),
    ...(backend.schema === undefined ? {} : { schema: backend.schema }),
    ...(context.env === undefined ? {} : { env: context.env }),
    ...(context.cwd === undefined ? {} : { cwd: context.cwd }),
  });
  try {
    return await openStoreGraph({
      store,
      ownsStore: true,
      ...(backend.graph === undefined ? {} : { graph: backend.graph }),
      ...(context.events === undefined ? {} : { events: context.events }),
    });
  } catch (e) {
    await store.close();
    throw e;
  }
}
