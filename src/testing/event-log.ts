/**
 * `recordEvents(bus)`: every event a bus emits, kept in order, so a test can assert on the
 * sequence (`log.types('run.')`) or pick the events of one kind with their payload typed
 * (`log.of('run.completed')`). The harnesses of this kit record their bus with it.
 */
import type { Disposable, EventBus, WardenEvent, WardenEventType } from '../runtime/index.ts';

export interface EventLog extends Disposable {
  /** Every event so far, oldest first. The array is live: it grows as events come. */
  readonly events: WardenEvent[];
  /** The events of one type, typed. */
  of<K extends WardenEventType>(type: K): WardenEvent<K>[];
  /** The types of the events so far whose type starts with `prefix` (all of them without one), in order. */
  types(prefix?: string): string[];
  /** Forget the events so far. */
  clear(): void;
  /** Stop recording (also `using`). */
  dispose(): void;
}

/** Record every event `bus` emits from now on. */
export function recordEvents(bus: EventBus): EventLog {
  const events: WardenEvent[] = [];
  const subscription = bus.onAny((e) => events.push(e));
  return {
    events,
    of: <K extends WardenEventType>(type: K) => events.filter((e): e is WardenEvent<K> => e.type === type),
    types: (prefix = '') => events.filter((e) => e.type.startsWith(prefix)).map((e) => e.type),
    clear: () => void events.splice(0),
    dispose: () => subscription.dispose(),
    [Symbol.dispose]: () => subscription.dispose(),
  };
}
