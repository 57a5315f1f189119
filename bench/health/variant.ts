/**
 * One measurement of bench/health.bench.ts in a fresh process:
 *   node bench/health/variant.ts <none|tracker|recorder> <emit|restart> <n>
 * prints one JSON line `{ us_per_op }`.
 * - `emit`: n supervisor events (a child exits abnormally, then is restarted) emitted on a bus;
 * - `restart`: n crash → restart cycles of a real one_for_one supervisor on a virtual clock.
 * `none`: nothing listens; `tracker`: the live ReliabilityTracker; `recorder`: every event kept
 * in an array (what `reliabilityOf` needs), plus one `reliabilityOf` over it at the end.
 */
import { ReliabilityTracker, reliabilityOf } from '../../src/health/index.ts';
import { EventBus, Runtime, VirtualClock, type Pid, type WardenEvent } from '../../src/runtime/index.ts';
import { startSupervisor, whichChildren, worker } from '../../src/supervisor/index.ts';

const [variant, workload, nText] = process.argv.slice(2) as ['none' | 'tracker' | 'recorder', 'emit' | 'restart', string];
const n = Number(nText);

function listen(bus: EventBus, clock: VirtualClock): () => void {
  if (variant === 'tracker') {
    const tracker = new ReliabilityTracker(bus, clock);
    return () => void tracker.report();
  }
  if (variant === 'recorder') {
    const seen: WardenEvent[] = [];
    bus.onAny((e) => seen.push(e));
    return () => void reliabilityOf(seen, clock.now());
  }
  return () => {};
}

async function emitWorkload(): Promise<number> {
  const clock = new VirtualClock();
  const bus = new EventBus(clock);
  const finish = listen(bus, clock);
  const supervisor = { id: 1, node: '0', toString: () => '<0.1>' } as unknown as Pid;
  const pid = { id: 2, node: '0', toString: () => '<0.2>' } as unknown as Pid;
  const started = performance.now();
  for (let i = 0; i < n; i++) {
    const childId = `c${i % 16}`;
    bus.emit({ type: 'supervisor.child_exited', supervisor, name: 'root', childId, pid, reason: 'boom' });
    bus.emit({ type: 'supervisor.child_restarted', supervisor, name: 'root', childId, pid });
  }
  finish();
  return ((performance.now() - started) * 1000) / (2 * n);
}

async function restartWorkload(): Promise<number> {
  const clock = new VirtualClock();
  const rt = new Runtime({ clock });
  const finish = listen(rt.events, clock);
  const root = await startSupervisor(rt, {
    intensity: n + 1,
    periodSeconds: 1,
    children: [{ id: 'w', start: worker(async (ctx) => ctx.exit(await ctx.receive<string>())) }],
  });
  const started = performance.now();
  for (let i = 0; i < n; i++) {
    const pid = (await whichChildren(rt, root))[0]?.pid as Pid;
    const restarted = rt.events.next('supervisor.child_restarted');
    rt.send(pid, 'boom');
    await restarted;
  }
  finish();
  return ((performance.now() - started) * 1000) / n;
}

const us = workload === 'emit' ? await emitWorkload() : await restartWorkload();
console.log(JSON.stringify({ us_per_op: us }));
