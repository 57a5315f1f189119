/**
 * A small cache of good results held in this process, for the degradation ladder's cache level: bounded
 * (least recently used entries go first) and optionally aged out on the injected clock. The
 * ladder talks to any {@link ResultCache}, so a durable or shared cache can replace this one.
 */
import { realClock, type Clock } from '../runtime/index.ts';
import { parseWith, schemas } from './options.ts';
import { z } from 'zod';

/** A stored value and when it was stored (clock ms). */
export interface CachedValue<T> {
  readonly value: T;
  readonly storedAt: number;
}

/** What the ladder needs from a cache; either method may be async. */
export interface ResultCache<T> {
  get(key: string): CachedValue<T> | undefined | PromiseLike<CachedValue<T> | undefined>;
  set(key: string, value: T): void | PromiseLike<void>;
}

export const IN_PROCESS_RESULT_CACHE_DEFAULTS = Object.freeze({ maxEntries: 1000, ttlMs: Infinity });

const optionsSchema = z.strictObject({
  maxEntries: schemas.positiveInt.optional(),
  ttlMs: schemas.msOrInfinity.optional(),
  clock: schemas.clock.optional(),
});

/** Results held in this process (lost on exit). Not the memory server, which is a knowledge graph (`warden/memory`). */
export class InProcessResultCache<T> implements ResultCache<T> {
  private readonly entries = new Map<string, CachedValue<T>>();
  private readonly maxEntries: number;
  private readonly ttlMs: number;
  private readonly clock: Clock;

  constructor(options: { maxEntries?: number; ttlMs?: number; clock?: Clock } = {}) {
    const o = parseWith('in-process result cache', optionsSchema, options);
    this.maxEntries = o.maxEntries ?? IN_PROCESS_RESULT_CACHE_DEFAULTS.maxEntries;
    this.ttlMs = o.ttlMs ?? IN_PROCESS_RESULT_CACHE_DEFAULTS.ttlMs;
    this.clock = o.clock ?? realClock;
  }

  get size(): number {
    return this.entries.size;
  }

  get(key: string): CachedValue<T> | undefined {
    const hit = this.entries.get(key);
    if (hit === undefined) return undefined;
    if (this.clock.now() - hit.storedAt >= this.ttlMs) {
      this.entries.delete(key);
      return undefined;
    }
    this.entries.delete(key);
    this.entries.set(key, hit);
    return hit;
  }

  set(key: string, value: T): void {
    this.entries.delete(key);
    this.entries.set(key, { value, storedAt: this.clock.now() });
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (oldest.done === true) break;
      this.entries.delete(oldest.value);
    }
  }
}
