/**
 * A durable-run test bench: a fresh store of the matrix (SQLite unless told otherwise), a
 * virtual clock, an event bus on it whose events are recorded, and durable hosts built on all
 * three that are closed for you. `restart()` is a process restart: every host is closed and the
 * store reopened at the same location, so the next host resumes from what was journaled.
 * `close()` closes the hosts and the store and drops the location.
 */
import type { Store } from '../store/index.ts';
import { DurableHost, type DurableHostOptions, type RunDefinition } from '../durable/index.ts';
import { startHarnessEvents, type HarnessEvents } from './event-log.ts';
import { storeCase, type StoreCase, type TestStoreLocation } from './store-matrix.ts';

export interface DurableHarnessOptions {
  /** Which store: a case of `withStores()`. @default the SQLite case */
  readonly store?: StoreCase;
  /** Where the virtual clock starts, ms. @default 0 */
  readonly startMs?: number;
  /** The hosts' `owner` unless `host()` is given another. @default 'test-host' */
  readonly owner?: string;
}

export interface DurableHarness extends HarnessEvents, AsyncDisposable {
  /** The store open now (a new one after `restart()`). */
  readonly store: Store;
  readonly location: TestStoreLocation;
  /** A durable host on the current store with the harness's clock, bus and owner (`options` win). */
  // biome-ignore lint/suspicious/noExplicitAny: definitions of any input and output (a run function takes its input, so `RunDefinition<unknown>` would accept none)
  host(runs: readonly RunDefinition<any, any>[], options?: Partial<DurableHostOptions>): DurableHost;
  /** Close every host made so far. */
  closeHosts(): Promise<void>;
  /** Close every host and reopen the store at the same location: a process restart. Resolves to the new store. */
  restart(): Promise<Store>;
  /** Close every host and the store, and drop the location. Safe to call more than once. */
  close(): Promise<void>;
}

/** Open a durable harness on a fresh store. */
export async function startDurableHarness(options: DurableHarnessOptions = {}): Promise<DurableHarness> {
  const opened = await (options.store ?? storeCase('sqlite')).open();
  const { log, ...shown } = startHarnessEvents(options.startMs);
  const { clock, bus } = shown;
  const owner = options.owner ?? 'test-host';
  const hosts: DurableHost[] = [];
  const closeHosts = async (): Promise<void> => {
    for (const h of hosts.splice(0)) await h.close();
  };
  let closed: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closed ??= (async () => {
      try {
        await closeHosts();
      } finally {
        log.dispose();
        await opened.cleanup();
      }
    })());
  return {
    ...shown,
    get store() {
      return opened.store;
    },
    location: opened.location,
    host(runs, hostOptions = {}) {
      const h = new DurableHost({ store: opened.store, runs, clock, bus, owner, ...hostOptions });
      hosts.push(h);
      return h;
    },
    closeHosts,
    async restart() {
      await closeHosts();
      return opened.reopen();
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}
