/**
 * `recordEvents(bus)`: every event a bus emits, kept in order, so a test can assert on the
 * sequence (`log.types('run.')`) or pick the events of one kind with their payload typed
 * (`log.of('run.completed')`). The harnesses of this kit record their bus with it.
 */
import { EventBus, VirtualClock, type Disposable, type WardenEvent, type WardenEventType } from '../runtime/index.ts';

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

/** What every harness of this kit shows of its clock and bus: the recorded events, live. */
export interface HarnessEvents extends Pick<EventLog, 'events' | 'of' | 'types'> {
  readonly clock: VirtualClock;
  readonly bus: EventBus;
}

/** A virtual clock from `startMs`, an event bus on it, and the log of every event the bus emits. */
export function startHarnessEvents(startMs = 0): HarnessEvents & { readonly log: EventLog } {
  const clock = new VirtualClock({ startMs });
  const bus = new EventBus(clock);
  const log = recordEvents(bus);
  return { clock, bus, log, events: log.events, of: log.of, types: log.types };
}
