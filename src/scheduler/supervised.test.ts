/**
 * The scheduler as a supervised child, on the virtual clock: it opens in the child's init, fires
 * on the runtime's clock and reports on the runtime's bus; killed, it is restarted by its
 * supervisor and goes on from the store, with no slot fired twice or lost. A bad schedule fails
 * the child's start, naming the field.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DurableHost, defineRun } from '../durable/index.ts';
import { Runtime, type Pid } from '../runtime/index.ts';
import { startSupervisor } from '../supervisor/index.ts';
import { startDurableHarness, waitFor, type DurableHarness } from '../testing/index.ts';
import { defineSchedule, schedulerChild, type Scheduler, type SlotInput } from './index.ts';

const T0 = Date.UTC(2026, 0, 5);
const MIN = 60_000;

describe('schedulerChild', () => {
  let bench: DurableHarness;
  let host: DurableHost;
  let rt: Runtime;
  let ran: number[];

  const work = defineRun('work', async (run, slot: SlotInput) => run.step('do', async () => void ran.push((slot.slotAt - T0) / MIN)));

  beforeEach(async () => {
    bench = await startDurableHarness({ startMs: T0 });
    rt = new Runtime({ clock: bench.clock });
    host = new DurableHost({ store: bench.store, runs: [work], clock: bench.clock, bus: rt.events, owner: 'p1' });
    ran = [];
  });
  afterEach(async () => {
    rt.killAll();
    await host.close();
    await bench.close();
  });

  it('fires on the runtime clock and bus, and goes on from the store after a kill and restart', async () => {
    let current: { scheduler: Scheduler; pid: Pid } | undefined;
    const events: string[] = [];
    rt.events.on('schedule.slot_completed', (e) => events.push(`completed ${(e.slotAt - T0) / MIN}`));
    await startSupervisor(rt, {
      strategy: 'one_for_one',
      children: [
        {
          id: 'scheduler',
          start: schedulerChild({
            host,
            pollMs: MIN,
            schedules: [defineSchedule({ id: 'beat', run: work, everyMs: 5 * MIN })],
            onOpen: (scheduler, ctx) => {
              current = { scheduler, pid: ctx.self };
            },
          }),
        },
      ],
    });
    for (let m = 0; m <= 30; m++) {
      await bench.clock.advanceTo(T0 + m * MIN);
      await current!.scheduler.tick();
      await current!.scheduler.idle();
      if (m === 12) {
        const killed = current!;
        rt.sendExit(killed.pid, 'kill');
        await waitFor(() => current !== killed, 'the supervisor restarted the scheduler');
      }
    }
    expect(ran).toEqual([0, 5, 10, 15, 20, 25, 30]);
    expect(events).toEqual(ran.map((m) => `completed ${m}`));
  });

  it('fails the start naming the field when a schedule names a run the host does not know', async () => {
    const started = startSupervisor(rt, {
      strategy: 'one_for_one',
      children: [{ id: 'scheduler', start: schedulerChild({ host, schedules: [defineSchedule({ id: 'x', run: 'unknown-run', everyMs: MIN })] }) }],
    });
    await expect(started).rejects.toThrow(/failed_to_start_child[\s\S]*scheduler[\s\S]*InvalidSpecError[\s\S]*schedule [\s\S]*x[\s\S]*: run is/);
  });
});
