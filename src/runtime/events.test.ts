/**
 * The event stream: a throwing listener is reported as event.listener_failed and the others
 * still get the event.
 */
import { describe, expect, it } from 'vitest';
import { Runtime, VirtualClock } from './index.ts';

function setup(): { rt: Runtime; clock: VirtualClock } {
  const clock = new VirtualClock();
  return { rt: new Runtime({ clock }), clock };
}

describe('listeners', () => {
  it('reports a throwing listener as event.listener_failed and keeps delivering', async () => {
    const { rt } = setup();
    const failures: unknown[] = [];
    const seen: string[] = [];
    rt.events.on('process.spawned', () => {
      throw new Error('listener bug');
    });
    rt.events.on('process.spawned', (e) => seen.push(e.type));
    rt.events.on('event.listener_failed', (e) => failures.push(e.eventType));
    rt.spawn(async () => {});
    expect(seen).toEqual(['process.spawned']);
    expect(failures).toEqual(['process.spawned']);
  });
});
