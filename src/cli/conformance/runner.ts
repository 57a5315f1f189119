/**
 * Runs a conformance scenario on Warden's supervisors, on a virtual clock, and records the
 * event trace in the same form as the OTP oracle (`run_scenario.escript`), so the two can be
 * compared line by line.
 *
 * The tree is built from the scenario with real supervisors and real worker processes
 * (`child-specs.ts`); the workers follow the oracle's script (`scenario-worker.ts`): exit on
 * request, and on a shutdown request from their supervisor exit, exit later, exit with another
 * reason, or hang. Deaths are recorded from the runtime's `process.exited` events, emitted at
 * the moment of death, before anything the death causes, exactly the order the oracle enforces
 * with monitors (`scenario-tree.ts`). The root's parent is the driver (`root-driver.ts`).
 *
 * The timeline: once the root is up (or has failed to start), the script's actions run in order
 * of `at` (ties in script order), each at its time (`script-actions.ts`); after each action the
 * tree settles; time moves only between actions, from timer to timer. Actions after the root's
 * end are skipped. At `end_at` (default: the last action's `at` + 300) the root is stopped,
 * unless `stop_at_end` is false, and the trace ends there: whatever still runs is torn down
 * unrecorded.
 */
import { Runtime, VirtualClock } from '../../runtime/index.ts';
import type { SpecContext } from './child-specs.ts';
import { isSupervisorStartError, spawnDriver } from './root-driver.ts';
import type { Scenario } from './scenario.ts';
import { ScenarioTree, watchTree } from './scenario-tree.ts';
import { performAction, type ActionContext } from './script-actions.ts';
import { TraceRecorder, type TraceEvent } from './trace.ts';

export { traceLine } from './trace.ts';
export type { TraceEvent } from './trace.ts';

export interface RunOptions {
  /** Where the scenario's workers run: in this event loop (default) or each in its own thread. */
  readonly isolation?: 'inline' | 'thread';
}

export async function runScenario(scenario: Scenario, options: RunOptions = {}): Promise<TraceEvent[]> {
  const clock = new VirtualClock();
  const rt = new Runtime({ clock });
  const trace = new TraceRecorder(clock);
  const rootSpec = scenario.supervisor;
  const tree = new ScenarioTree(rootSpec.id ?? 'root');
  const watching = watchTree(rt, tree, trace);
  const specs: SpecContext = { tree, trace, isolation: options.isolation };

  tree.register(rootSpec, tree.rootId, null);
  const driver = spawnDriver(rt, specs, rootSpec);
  const ctx: ActionContext = { ...specs, rt, clock, driver };

  await clock.runUntil(() => tree.rootAlive || driver.rootExitLogged || driver.startError !== undefined);
  if (driver.startError !== undefined && !isSupervisorStartError(driver.startError)) throw driver.startError;
  const script = [...(scenario.script ?? [])].map((a, i) => ({ a, i })).sort((x, y) => (x.a.at ?? 0) - (y.a.at ?? 0) || x.i - y.i);
  const lastAt = script.reduce((m, { a }) => Math.max(m, a.at ?? 0), 0);
  for (const { a } of script) {
    if ((a.at ?? 0) > clock.now()) await clock.advanceTo(a.at ?? 0);
    if (!tree.rootAlive) continue;
    await performAction(ctx, a);
    await clock.advanceTo(clock.now());
  }
  const endAt = scenario.end_at ?? lastAt + 300;
  if (endAt > clock.now()) await clock.advanceTo(endAt);
  if (tree.rootAlive && (scenario.stop_at_end ?? true)) await performAction(ctx, { do: 'stop' });
  // The trace ends here; whatever is still running is torn down unrecorded.
  watching.dispose();
  rt.killAll();
  return trace.events;
}
