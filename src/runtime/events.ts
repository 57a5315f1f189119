/**
 * The one typed event stream. Every state change in Warden is an event `{ type, at, ... }`;
 * logs, traces, metrics, the CLI, the dashboard and tests all read this stream.
 *
 * Each layer adds its own kinds by augmenting {@link WardenEventMap}:
 *
 * ```ts
 * declare module '../runtime/index.ts' {
 *   interface WardenEventMap { 'breaker.opened': { breaker: string } }
 * }
 * ```
 *
 * Emitting costs nothing when nobody listens (`wants(type)` lets hot paths skip building the
 * event). A listener that throws never breaks the emitter: its error is reported as an
 * `event.listener_failed` event.
 */
import type { Clock } from './clock.ts';
import type { Pid } from './pid.ts';
import type { ExitReason } from './terms.ts';

/** Every event kind and its payload. Layers add kinds by declaration merging. */
export interface WardenEventMap {
  'process.spawned': { readonly pid: Pid; readonly parent: Pid | undefined; readonly label: string | undefined };
  'process.exited': { readonly pid: Pid; readonly reason: ExitReason; readonly label: string | undefined };
  'process.message_dropped': { readonly pid: Pid; readonly capacity: number };
  /** A process reported progress (`ctx.beat()`); only built when someone listens. */
  'process.beat': { readonly pid: Pid };
  /** A dead or superseded incarnation tried to act; it was refused. */
  'process.fenced': { readonly pid: Pid; readonly owner: string; readonly generation: number; readonly operation: string };
  'event.listener_failed': { readonly eventType: string; readonly error: unknown };
}

export type WardenEventType = keyof WardenEventMap;

/** One event: its `type`, the clock reading `at`, and the payload of that kind. */
export type WardenEvent<K extends WardenEventType = WardenEventType> = K extends WardenEventType
  ? { readonly type: K; readonly at: number } & WardenEventMap[K]
  : never;

/** What an emitter is given: the event without its timestamp. */
export type WardenEventInput<K extends WardenEventType = WardenEventType> = K extends WardenEventType ? { readonly type: K } & WardenEventMap[K] : never;

export type Listener<K extends WardenEventType = WardenEventType> = (event: WardenEvent<K>) => void;

/** A subscription; `dispose()` (or `using`) removes it. */
export interface Disposable {
  dispose(): void;
  [Symbol.dispose](): void;
}

export function disposable(dispose: () => void): Disposable {
  let done = false;
  const once = (): void => {
    if (!done) {
      done = true;
      dispose();
    }
  };
  return { dispose: once, [Symbol.dispose]: once };
}

type AnyListener = (event: WardenEvent) => void;

export class EventBus {
  private readonly byType = new Map<string, readonly AnyListener[]>();
  private any: readonly AnyListener[] = [];
  private readonly clock: Clock;
  private reportingFailure = false;

  constructor(clock: Clock) {
    this.clock = clock;
  }

  /** True if an event of this type would reach any listener. */
  wants(type: WardenEventType): boolean {
    return this.any.length > 0 || this.byType.has(type);
  }

  /** Listen to one kind of event. */
  on<K extends WardenEventType>(type: K, listener: Listener<K>): Disposable {
    const l = listener as AnyListener;
    this.byType.set(type, [...(this.byType.get(type) ?? []), l]);
    return disposable(() => {
      const rest = (this.byType.get(type) ?? []).filter((x) => x !== l);
      if (rest.length === 0) this.byType.delete(type);
      else this.byType.set(type, rest);
    });
  }

  /** Listen to every event. */
  onAny(listener: (event: WardenEvent) => void): Disposable {
    this.any = [...this.any, listener];
    return disposable(() => {
      this.any = this.any.filter((x) => x !== listener);
    });
  }

  /** Resolve with the next event of `type` that satisfies `predicate`; rejects if `signal` aborts. */
  next<K extends WardenEventType>(type: K, predicate: (event: WardenEvent<K>) => boolean = () => true, signal?: AbortSignal): Promise<WardenEvent<K>> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise((resolve, reject) => {
      const onAbort = (): void => {
        sub.dispose();
        reject(signal?.reason);
      };
      const sub = this.on(type, (event) => {
        if (!predicate(event)) return;
        sub.dispose();
        signal?.removeEventListener('abort', onAbort);
        resolve(event);
      });
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Stamp the event with the clock and deliver it to every listener, in subscription order. */
  emit(input: WardenEventInput): void {
    const typed = this.byType.get(input.type);
    const any = this.any;
    if (typed === undefined && any.length === 0) return;
    const event = { ...input, at: this.clock.now() } as WardenEvent;
    if (typed !== undefined) for (const l of typed) this.deliver(l, event);
    for (const l of any) this.deliver(l, event);
  }

  private deliver(listener: AnyListener, event: WardenEvent): void {
    try {
      listener(event);
    } catch (error) {
      if (this.reportingFailure) return;
      this.reportingFailure = true;
      try {
        this.emit({ type: 'event.listener_failed', eventType: event.type, error });
      } finally {
        this.reportingFailure = false;
      }
    }
  }
}
