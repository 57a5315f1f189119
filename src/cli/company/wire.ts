/**
 * What is on the wire: model requests through the chaos proxy, MCP calls to the memory server,
 * and the memory server while it is being started again after a kill. On a virtual clock this
 * is a quiescence source, so time does not move while a real HTTP exchange is under way: a week
 * of virtual time passes only when everything is waiting on a timer (a retry's backoff, the
 * next slot), which is what makes a seed give the same week every time.
 *
 * Each host has its own count (`scope()`); when a host dies abruptly its count is dropped, since
 * the answers it was waiting for will never be read.
 */
import type { EventBus, QuiescenceSource } from '../../runtime/index.ts';

export class WireScope {
  count = 0;
  memoryDown = false;
  private readonly wire: Wire;
  constructor(wire: Wire) {
    this.wire = wire;
  }
  add(delta: 1 | -1): void {
    this.count = Math.max(0, this.count + delta);
    this.wire.changed();
  }
  setMemoryDown(down: boolean): void {
    this.memoryDown = down;
    this.wire.changed();
  }
  /** Count the model requests on `bus` (from `llm.request` to its answer or failure). */
  followModel(bus: EventBus): void {
    bus.on('llm.request', () => this.add(1));
    bus.on('llm.response', () => this.add(-1));
    bus.on('llm.attempt_failed', () => this.add(-1));
  }
  /**
   * `store` with each of its calls counted while its promise is pending: on Postgres a query is
   * real I/O (SQLite answers synchronously), and virtual time must not move while one is out.
   * Its `sqlAccess` (what `openLayerTables` hands the scheduler) is counted the same way.
   */
  countStore<S extends object>(store: S): S {
    let sqlAccess: object | undefined;
    return new Proxy(store, {
      get: (target, key) => {
        const value = Reflect.get(target, key, target) as unknown;
        // The SQL access the layers above the store (the scheduler's tables) query through: a
        // frozen object, so a counting copy of it rather than a proxy.
        if (key === 'sqlAccess' && typeof value === 'object' && value !== null) {
          sqlAccess ??= this.countingCopy(value);
          return sqlAccess;
        }
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          const result = (value as (...a: unknown[]) => unknown).apply(target, args);
          if (typeof (result as PromiseLike<unknown> | undefined)?.then === 'function') {
            this.add(1);
            const done = (): void => this.add(-1);
            (result as PromiseLike<unknown>).then(done, done);
          }
          return result;
        };
      },
    });
  }

  private countingCopy(source: object): object {
    const copy: Record<string, unknown> = {};
    for (const key of Object.keys(source)) {
      const value = (source as Record<string, unknown>)[key];
      copy[key] =
        typeof value !== 'function'
          ? value
          : (...args: unknown[]) => {
              const result = (value as (...a: unknown[]) => unknown).apply(source, args);
              if (typeof (result as PromiseLike<unknown> | undefined)?.then === 'function') {
                this.add(1);
                const done = (): void => this.add(-1);
                (result as PromiseLike<unknown>).then(done, done);
              }
              return result;
            };
    }
    return Object.freeze(copy);
  }

  /** The host died: nothing it waited for counts any more. */
  drop(): void {
    this.count = 0;
    this.memoryDown = false;
    this.wire.remove(this);
  }
}

export class Wire implements QuiescenceSource {
  private readonly scopes = new Set<WireScope>();
  private waiters: Array<() => void> = [];

  scope(): WireScope {
    const s = new WireScope(this);
    this.scopes.add(s);
    return s;
  }

  remove(scope: WireScope): void {
    this.scopes.delete(scope);
    this.changed();
  }

  isBusy(): boolean {
    for (const s of this.scopes) if (s.count > 0 || s.memoryDown) return true;
    return false;
  }

  whenIdle(): Promise<void> {
    if (!this.isBusy()) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  changed(): void {
    if (this.isBusy()) return;
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }
}
