/**
 * Spans started by one event and ended by a later one, kept by key until then. Bounded: a span
 * whose end never comes (its process was killed, its run moved to another host) is ended as
 * `evicted` once `capacity` newer ones are open, so a long-lived process cannot grow without
 * limit. Map insertion order is the age order.
 */
import { SpanStatusCode, type HrTime, type Span } from '@opentelemetry/api';

export class OpenSpans<T extends { readonly span: Span }> {
  private readonly open = new Map<string, T>();
  private readonly capacity: number;

  constructor(capacity: number) {
    this.capacity = capacity;
  }

  get size(): number {
    return this.open.size;
  }

  get(key: string): T | undefined {
    return this.open.get(key);
  }

  /** Keep `entry` under `key`, ending the oldest entry if that makes one too many. */
  set(key: string, entry: T, at: number): void {
    this.open.delete(key);
    this.open.set(key, entry);
    if (this.open.size <= this.capacity) return;
    const [oldestKey, oldest] = this.open.entries().next().value as [string, T];
    this.open.delete(oldestKey);
    oldest.span.setStatus({ code: SpanStatusCode.ERROR, message: 'evicted: no end seen while too many spans were open' });
    oldest.span.end(time(at));
  }

  /** Remove and return the entry under `key`. */
  take(key: string): T | undefined {
    const entry = this.open.get(key);
    if (entry !== undefined) this.open.delete(key);
    return entry;
  }

  /** End every open span (at `at`) with `message`, and forget them. */
  endAll(at: number, message: string): void {
    for (const entry of this.open.values()) {
      entry.span.setStatus({ code: SpanStatusCode.ERROR, message });
      entry.span.end(time(at));
    }
    this.open.clear();
  }

  values(): IterableIterator<T> {
    return this.open.values();
  }
}

/**
 * A clock reading as an OpenTelemetry time. Warden's clocks read milliseconds since the epoch (a
 * virtual clock: since its own start); passed as a plain number, the SDK would take a small one
 * for a `performance.now()` reading, so it is given as [seconds, nanoseconds] instead.
 */
export function time(at: number): HrTime {
  const seconds = Math.floor(at / 1000);
  return [seconds, Math.min(999_999_999, Math.round((at - seconds * 1000) * 1e6))];
}
