/**
 * `recordedClock()`: a virtual clock, an event bus on it and every event the bus emits, in
 * order: what the policy tests set up before building the policy under test.
 */
import { EventBus, VirtualClock, type WardenEvent } from '../../src/runtime/index.ts';

/** A virtual clock from `startMs`, a bus on it, and the live list of its events. */
export function recordedClock(startMs = 0): { clock: VirtualClock; bus: EventBus; events: WardenEvent[] } {
  const clock = new VirtualClock({ startMs });
  const bus = new EventBus(clock);
  const events: WardenEvent[] = [];
  bus.onAny((e) => events.push(e));
  return { clock, bus, events };
}
