/**
 * Named resources with deadlock prevention and detection: the "memory-write" lock, the "files"
 * lock, an API quota slot. A resource has a capacity (1 = a mutex); holders (agent ids, process
 * ids) acquire units of it, waiting in a FIFO queue for at most `acquireTimeoutMs`.
 *
 * Three defences, from cheapest to last resort:
 * - `acquireAll(holder, names)` takes several resources in one global order (by `rank`, then
 *   name) and either gets them all or none, so code that uses it can never deadlock with itself;
 * - every wait is bounded by a timeout ({@link ResourceTimeoutError});
 * - before a holder starts to wait, the manager checks whether that wait would leave it blocked
 *   forever, by reduction over the wait-for graph: assume every holder that is not waiting
 *   eventually releases everything, hand freed units to queues in FIFO order, repeat; if the new
 *   waiter is never served, the wait would close a cycle. That waiter is refused at once with
 *   {@link DeadlockDetectedError}, which names the cycle (who waits for which resource held or
 *   queued for by whom). The check is exact for capacities above 1 and for FIFO queues, where a
 *   plain cycle search would report false deadlocks. So no deadlock survives: every cycle is
 *   refused at the moment it would form.
 *
 * A holder is taken to be sequential: while it waits for one resource it releases none (a holder
 * id shared by concurrent tasks should be split per task). Waiting for a resource the holder
 * already holds at full capacity is a deadlock with itself and is refused the same way.
 * Written here: the lock libraries for Node offer mutexes and timeouts, not a wait-for graph.
 */
import { z } from 'zod';
import { InvalidSpecError, WardenError, realClock, type Clock, type Disposable, type EventBus } from '../runtime/index.ts';
import { LiveConfig, parseWith, reportConfigured, schemas, defined } from './options.ts';
import { contextFor, type Policy, type PolicyContext, type Work } from './policy.ts';
import { WaitQueue, type Waiter } from './wait-queue.ts';

/** One link of a wait-for cycle: `holder` waits for `waitsFor`, which `blockedBy` holds (or queues for ahead of it). */
export interface WaitLink {
  readonly holder: string;
  readonly waitsFor: string;
  readonly blockedBy: string;
  readonly relation: 'holds' | 'queued_ahead';
}

/** Waiting for the resource would deadlock; the wait was refused. Retryable after releasing what you hold. */
export class DeadlockDetectedError extends WardenError<
  'DEADLOCK_DETECTED',
  {
    manager: string;
    /** The refused waiter. */
    holder: string;
    /** The resource it asked for. */
    resource: string;
    cycle: readonly WaitLink[];
  }
> {
  constructor(manager: string, holder: string, resource: string, cycle: readonly WaitLink[]) {
    super(
      'DEADLOCK_DETECTED',
      `"${holder}" waiting for "${resource}" would deadlock: ` +
        cycle.map((l) => `${l.holder} waits for ${l.waitsFor} ${l.relation === 'holds' ? 'held by' : 'queued for by'} ${l.blockedBy}`).join('; ') +
        '. Release what you hold and retry, or take all resources at once with acquireAll()',
      { manager, holder, resource, cycle },
      { retryable: true },
    );
  }
}

/** A holder waited `timeoutMs` for a resource without getting it. */
export class ResourceTimeoutError extends WardenError<
  'RESOURCE_TIMEOUT',
  {
    resource: string;
    holder: string;
    timeoutMs: number;
    /** Who held the resource when the wait ended. */
    heldBy: readonly string[];
  }
> {
  constructor(resource: string, holder: string, timeoutMs: number, heldBy: readonly string[]) {
    super(
      'RESOURCE_TIMEOUT',
      `"${holder}" waited ${timeoutMs} ms for "${resource}" (held by ${heldBy.join(', ') || 'nobody'}) and gave up`,
      { resource, holder, timeoutMs, heldBy },
      { retryable: true },
    );
  }
}

/** Resources held by one holder until released; `release()` gives them all back, once. */
export interface ResourceLease extends Disposable {
  readonly holder: string;
  readonly resources: readonly string[];
  release(): void;
}

export interface ResourceSpec {
  /** Units that can be held at once. @default 1 */
  readonly capacity?: number;
  /** Position in the global acquisition order (lower first; ties by name). @default 0 */
  readonly rank?: number;
}

export interface ResourceManagerTunables {
  /** Name in events and errors. @default 'resources' */
  readonly name: string;
  /** Longest wait for one acquisition (or one `acquireAll`), ms. @default 30_000 */
  readonly acquireTimeoutMs: number;
  /** Waiters per resource. @default 1000 */
  readonly maxQueue: number;
}

export const RESOURCE_MANAGER_DEFAULTS: ResourceManagerTunables = Object.freeze({
  name: 'resources',
  acquireTimeoutMs: 30_000,
  maxQueue: 1000,
});

export interface ResourceManagerOptions extends Partial<ResourceManagerTunables> {
  /** Resources known up front; others are created on first use with capacity 1, rank 0. */
  readonly resources?: Readonly<Record<string, ResourceSpec>>;
  readonly clock?: Clock;
  readonly bus?: EventBus;
}

const specSchema = z.strictObject({ capacity: schemas.positiveInt.optional(), rank: z.number().finite().optional() });
const tunableShape = z.strictObject({ name: schemas.name, acquireTimeoutMs: schemas.msOrInfinity, maxQueue: schemas.positiveInt });
const optionsSchema = tunableShape.partial().extend({
  resources: z.record(z.string().min(1), specSchema).optional(),
  clock: schemas.clock.optional(),
  bus: schemas.bus.optional(),
});
const acquireSchema = z.strictObject({
  timeoutMs: schemas.msOrInfinity.optional(),
  signal: z.custom<AbortSignal>((v) => v instanceof AbortSignal, { message: 'must be an AbortSignal' }).optional(),
});

interface Resource {
  readonly name: string;
  readonly capacity: number;
  readonly rank: number;
  /** Units held, by holder. */
  readonly holders: Map<string, number>;
  used: number;
  readonly queue: WaitQueue<string>;
}

export class ResourceManager {
  private readonly clock: Clock;
  private readonly bus: EventBus | undefined;
  private readonly live: LiveConfig<ResourceManagerTunables>;
  private readonly resources = new Map<string, Resource>();
  /** Pending waits by holder: the resource names it is queued for. */
  private readonly waits = new Map<string, string[]>();

  constructor(options: ResourceManagerOptions = {}) {
    const subject = typeof options?.name === 'string' ? `resources "${options.name}"` : 'resources';
    const { resources, clock, bus, ...rest } = parseWith(subject, optionsSchema, options);
    this.clock = clock ?? realClock;
    this.bus = bus;
    this.live = LiveConfig.withDefaults<ResourceManagerTunables>(subject, tunableShape, RESOURCE_MANAGER_DEFAULTS, rest);
    for (const [name, spec] of Object.entries(resources ?? {})) this.define(name, defined(spec) as ResourceSpec);
  }

  get config(): Readonly<ResourceManagerTunables> {
    return this.live.current;
  }

  configure(patch: Partial<ResourceManagerTunables>): void {
    const { changed } = this.live.update(patch);
    reportConfigured(this.bus, 'resources', this.live.current.name, changed);
  }

  /** Declare a resource (before first use; redefining one in use is refused). */
  define(name: string, spec: ResourceSpec = {}): void {
    const subject = `resources "${this.live.current.name}"`;
    const s = parseWith(subject, specSchema, spec);
    const existing = this.resources.get(name);
    if (existing !== undefined && (existing.used > 0 || existing.queue.length > 0)) {
      throw new InvalidSpecError(subject, `resources.${name}`, spec, 'cannot be redefined while held');
    }
    this.resources.set(name, { name, capacity: s.capacity ?? 1, rank: s.rank ?? 0, holders: new Map(), used: 0, queue: new WaitQueue(this.clock) });
  }

  /** Who holds `name` now (holder → units). */
  holdersOf(name: string): ReadonlyMap<string, number> {
    return new Map(this.resources.get(name)?.holders ?? []);
  }

  /** Take one unit of `resource` for `holder`. */
  async acquire(holder: string, resource: string, options: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<ResourceLease> {
    return this.acquireAll(holder, [resource], options);
  }

  /**
   * Take one unit of each of `resources` for `holder`, in the global order, all or nothing, within
   * one timeout. Duplicates in the list are taken once.
   */
  async acquireAll(holder: string, resources: readonly string[], options: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<ResourceLease> {
    const subject = `resources "${this.live.current.name}"`;
    if (typeof holder !== 'string' || holder === '') throw new InvalidSpecError(subject, 'holder', holder, 'must be a non-empty string');
    if (resources.length === 0 || resources.some((r) => typeof r !== 'string' || r === '')) {
      throw new InvalidSpecError(subject, 'resources', resources, 'must be a non-empty list of resource names');
    }
    const o = parseWith(subject, acquireSchema, options);
    const timeoutMs = o.timeoutMs ?? this.live.current.acquireTimeoutMs;
    const ordered = [...new Set(resources)].map((n) => this.resource(n)).sort((a, b) => a.rank - b.rank || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const deadline = this.clock.now() + timeoutMs;
    const taken: Resource[] = [];
    try {
      for (const r of ordered) {
        await this.take(holder, r, Math.max(0, deadline - this.clock.now()), timeoutMs, o.signal);
        taken.push(r);
      }
    } catch (e) {
      for (const r of taken.reverse()) this.give(holder, r);
      throw e;
    }
    let released = false;
    const release = (): void => {
      if (released) return;
      released = true;
      for (const r of [...taken].reverse()) this.give(holder, r);
    };
    return { holder, resources: taken.map((r) => r.name), release, dispose: release, [Symbol.dispose]: release };
  }

  /** Hold `resources` while `fn` runs; released on every exit path. */
  async run<T>(
    holder: string,
    resources: readonly string[],
    fn: (context: PolicyContext) => PromiseLike<T> | T,
    options: { timeoutMs?: number; signal?: AbortSignal } = {},
  ): Promise<T> {
    const lease = await this.acquireAll(holder, resources, options);
    try {
      return await fn(contextFor(options.signal));
    } finally {
      lease.release();
    }
  }

  /** A policy that holds `resources` for `holder` around each call, to use inside `wrap`. */
  forResources(holder: string, resources: readonly string[]): Policy {
    return { execute: <T>(fn: Work<T>, signal?: AbortSignal) => this.run(holder, resources, fn, signal === undefined ? {} : { signal }) };
  }

  // ---- internals ---------------------------------------------------------------------------

  private resource(name: string): Resource {
    let r = this.resources.get(name);
    if (r === undefined) {
      this.define(name);
      r = this.resources.get(name) as Resource;
    }
    return r;
  }

  private async take(holder: string, r: Resource, timeoutMs: number, reportedTimeoutMs: number, signal: AbortSignal | undefined): Promise<void> {
    if (signal?.aborted) throw signal.reason;
    if (r.used < r.capacity && r.queue.length === 0) {
      this.grant(holder, r, 0);
      return;
    }
    const cycle = this.cycleIfWaiting(holder, r);
    const name = this.live.current.name;
    if (cycle !== undefined) {
      if (this.bus?.wants('deadlock.detected')) this.bus.emit({ type: 'deadlock.detected', manager: name, holder, resource: r.name, cycle });
      throw new DeadlockDetectedError(name, holder, r.name, cycle);
    }
    if (r.queue.length >= this.live.current.maxQueue) {
      throw new ResourceTimeoutError(r.name, holder, 0, [...r.holders.keys()]);
    }
    const start = this.clock.now();
    this.addWait(holder, r.name);
    // The wait record goes away synchronously on every exit: in serve() when granted, in the
    // leave callback on timeout or abort, so the graph is never stale for the next check.
    await r.queue.wait(
      holder,
      timeoutMs,
      signal,
      () => {
        if (this.bus?.wants('resource.timed_out')) {
          this.bus.emit({ type: 'resource.timed_out', manager: name, resource: r.name, holder, timeoutMs: reportedTimeoutMs });
        }
        return new ResourceTimeoutError(r.name, holder, reportedTimeoutMs, [...r.holders.keys()]);
      },
      () => {
        this.removeWait(holder, r.name);
        this.serve(r);
      },
    );
    if (this.bus?.wants('resource.acquired')) {
      this.bus.emit({ type: 'resource.acquired', manager: name, resource: r.name, holder, waitedMs: this.clock.now() - start });
    }
  }

  private grant(holder: string, r: Resource, waitedMs: number): void {
    r.used++;
    r.holders.set(holder, (r.holders.get(holder) ?? 0) + 1);
    if (waitedMs === 0 && this.bus?.wants('resource.acquired')) {
      this.bus.emit({ type: 'resource.acquired', manager: this.live.current.name, resource: r.name, holder, waitedMs });
    }
  }

  private give(holder: string, r: Resource): void {
    const units = r.holders.get(holder) ?? 0;
    if (units === 0) return;
    if (units === 1) r.holders.delete(holder);
    else r.holders.set(holder, units - 1);
    r.used--;
    if (this.bus?.wants('resource.released')) this.bus.emit({ type: 'resource.released', manager: this.live.current.name, resource: r.name, holder });
    this.serve(r);
  }

  /** Hand free units to the queue, head first. */
  private serve(r: Resource): void {
    for (;;) {
      const head = r.queue.peek();
      if (head === undefined || r.used >= r.capacity) return;
      r.used++;
      r.holders.set(head.data, (r.holders.get(head.data) ?? 0) + 1);
      this.removeWait(head.data, r.name);
      r.queue.grantHead();
    }
  }

  private addWait(holder: string, resource: string): void {
    const w = this.waits.get(holder);
    if (w === undefined) this.waits.set(holder, [resource]);
    else w.push(resource);
  }

  private removeWait(holder: string, resource: string): void {
    const w = this.waits.get(holder);
    if (w === undefined) return;
    const i = w.indexOf(resource);
    if (i >= 0) w.splice(i, 1);
    if (w.length === 0) this.waits.delete(holder);
  }

  /**
   * If `holder` queuing for `target` would never be served, the wait-for cycle it would close.
   * Graph reduction: holders with no pending wait release all; freed units go to queue heads.
   */
  private cycleIfWaiting(holder: string, target: Resource): WaitLink[] | undefined {
    const free = new Map<string, number>();
    const queues = new Map<string, string[]>();
    const held = new Map<string, Map<string, number>>();
    const pending = new Map<string, number>();
    const hold = (h: string, res: string, units: number): void => {
      let m = held.get(h);
      if (m === undefined) held.set(h, (m = new Map()));
      m.set(res, (m.get(res) ?? 0) + units);
    };
    for (const r of this.resources.values()) {
      free.set(r.name, r.capacity - r.used);
      const q: string[] = [];
      for (const w of r.queue as Iterable<Waiter<string>>) q.push(w.data);
      if (r === target) q.push(holder);
      queues.set(r.name, q);
      for (const [h, units] of r.holders) hold(h, r.name, units);
    }
    for (const [h, w] of this.waits) pending.set(h, w.length);
    pending.set(holder, (pending.get(holder) ?? 0) + 1);
    const done = new Set<string>();
    for (let changed = true; changed; ) {
      changed = false;
      for (const h of new Set([...held.keys(), ...pending.keys()])) {
        if (done.has(h) || (pending.get(h) ?? 0) > 0) continue;
        done.add(h);
        changed = true;
        for (const [res, units] of held.get(h) ?? []) free.set(res, (free.get(res) ?? 0) + units);
        held.delete(h);
      }
      for (const [res, q] of queues) {
        while (q.length > 0 && (free.get(res) ?? 0) >= 1) {
          const w = q.shift() as string;
          free.set(res, (free.get(res) ?? 0) - 1);
          hold(w, res, 1);
          pending.set(w, (pending.get(w) ?? 1) - 1);
          changed = true;
        }
      }
    }
    const stillQueued = queues.get(target.name) ?? [];
    if (!stillQueued.includes(holder)) return undefined;
    // Walk the stuck part of the graph from the new waiter until a node repeats.
    const waitOf = (h: string): string | undefined => {
      for (const [res, q] of queues) if (q.includes(h)) return res;
      return undefined;
    };
    const stuck = (h: string): boolean => !done.has(h) && (pending.get(h) ?? 0) > 0;
    const path: WaitLink[] = [];
    const seenAt = new Map<string, number>();
    let current = holder;
    while (!seenAt.has(current)) {
      seenAt.set(current, path.length);
      const res = waitOf(current);
      if (res === undefined) break;
      const q = queues.get(res) ?? [];
      const ahead = q.slice(0, q.indexOf(current));
      const holders = [...held].filter(([h, m]) => (m.get(res) ?? 0) > 0 && stuck(h)).map(([h]) => h);
      const byHold = holders[0];
      const byQueue = ahead.find(stuck);
      const next = byHold ?? byQueue;
      if (next === undefined) break;
      path.push({ holder: current, waitsFor: res, blockedBy: next, relation: byHold !== undefined ? 'holds' : 'queued_ahead' });
      current = next;
    }
    const start = seenAt.get(current);
    return start === undefined ? path : path.slice(start);
  }
}
