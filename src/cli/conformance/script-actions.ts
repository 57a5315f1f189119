/**
 * The script's actions, each done as the oracle does it: `exit` asks a worker to exit with a
 * reason, `kill` sends it an untrappable `kill`; `fail_next_start`/`ignore_next_start` set a
 * child's start counters; the supervisor API calls (`start_child`, `terminate_child`,
 * `restart_child`, `delete_child`, `snapshot`) run to their answer, which is recorded as a
 * `call` or `children` line; `stop` has the driver stop the root and waits for its end.
 * An `exit` or `kill` of a child that is not running does nothing.
 *
 * A call may wait on shutdown timers, so time passes while it runs: timer by timer, on the
 * virtual clock, until it settles.
 */
import { isWardenError, type ExitReason, type InvalidSpecError, type Pid, type Runtime, type VirtualClock } from '../../runtime/index.ts';
import { deleteChild, restartChild, startChild, terminateChild, whichChildren } from '../../supervisor/index.ts';
import { opResult, startResult } from './call-results.ts';
import { childSpec, type SpecContext } from './child-specs.ts';
import type { Driver } from './root-driver.ts';
import type { ScenarioAction, ScenarioChild, ScenarioReason } from './scenario.ts';

/** What the actions act on. */
export interface ActionContext extends SpecContext {
  readonly rt: Runtime;
  readonly clock: VirtualClock;
  readonly driver: Driver;
}

/** Do action `a`, recording what the oracle records for it. */
export async function performAction(ctx: ActionContext, a: ScenarioAction): Promise<void> {
  const { rt, clock, tree, trace } = ctx;
  switch (a.do) {
    case 'exit': {
      const pid = liveWorker(ctx, a.id);
      if (pid !== undefined && !tree.isSupervisor(a.id)) rt.send(pid, { scriptExit: toReason(a.reason, 'crash') });
      return;
    }
    case 'kill': {
      const pid = liveWorker(ctx, a.id);
      if (pid !== undefined) rt.sendExit(pid, 'kill');
      return;
    }
    case 'fail_next_start':
      tree.failNextStarts(a.id, a.count ?? 1);
      return;
    case 'ignore_next_start':
      tree.ignoreNextStarts(a.id, a.count ?? 1);
      return;
    case 'start_child': {
      const sup = a.sup ?? tree.rootId;
      if (tree.isDynamic(sup)) {
        const id = a.id as string;
        tree.registerDynamicWorker(id);
        const r = await settle(clock, startChild(rt, tree.supervisorPid(sup), id));
        trace.record({ event: 'call', id, sup, op: 'start_child', result: startResult(r) });
        return;
      }
      const spec = a.spec as ScenarioChild;
      const id = spec.id as string;
      tree.registerAdded(spec, id, sup);
      const r = await settle(clock, startChild(rt, tree.supervisorPid(sup), childSpec(ctx, spec, sup))).catch((e: unknown) => {
        if (isWardenError(e, 'INVALID_SPEC')) return { invalid: (e as InvalidSpecError).term };
        throw e;
      });
      trace.record({ event: 'call', id, sup, op: 'start_child', result: 'invalid' in r ? { error: r.invalid } : startResult(r) });
      return;
    }
    case 'terminate_child': {
      const sup = a.sup ?? tree.rootId;
      const key = tree.isDynamic(sup) ? (tree.pidOf(a.id) ?? a.id) : a.id;
      const r = await settle(clock, terminateChild(rt, tree.supervisorPid(sup), key));
      trace.record({ event: 'call', id: a.id, sup, op: 'terminate_child', result: opResult(r) });
      return;
    }
    case 'restart_child': {
      const sup = a.sup ?? tree.rootId;
      const r = await settle(clock, restartChild(rt, tree.supervisorPid(sup), a.id));
      trace.record({ event: 'call', id: a.id, sup, op: 'restart_child', result: opResult(r) });
      return;
    }
    case 'delete_child': {
      const sup = a.sup ?? tree.rootId;
      const r = await settle(clock, deleteChild(rt, tree.supervisorPid(sup), a.id));
      trace.record({ event: 'call', id: a.id, sup, op: 'delete_child', result: opResult(r) });
      return;
    }
    case 'snapshot': {
      const sup = a.sup ?? tree.rootId;
      const kids = await settle(clock, whichChildren(rt, tree.supervisorPid(sup)));
      const entries = kids.map((k) => {
        const status = k.pid === 'restarting' ? 'restarting' : k.pid === undefined ? 'stopped' : 'running';
        const id = k.id ?? (typeof k.pid === 'object' ? (tree.idOf(k.pid) ?? 'unknown') : 'unknown');
        return { id, status };
      });
      if (tree.isDynamic(sup)) entries.sort((x, y) => (x.id < y.id ? -1 : x.id > y.id ? 1 : 0));
      trace.record({ event: 'children', sup, children: entries });
      return;
    }
    case 'stop': {
      rt.send(ctx.driver.pid, 'stop');
      await clock.runUntil(() => ctx.driver.rootExitLogged);
      return;
    }
  }
}

/** A scenario reason as a Warden reason (they share the JSON encoding). */
function toReason(r: ScenarioReason | undefined, fallback: string): ExitReason {
  return (r ?? fallback) as ExitReason;
}

/** The pid of child `id` if it is alive. */
function liveWorker(ctx: ActionContext, id: string): Pid | undefined {
  const pid = ctx.tree.pidOf(id);
  return pid !== undefined && ctx.rt.isAlive(pid) ? pid : undefined;
}

/** Let time pass, timer by timer, until `work` settles (a call may wait on shutdown timers). */
async function settle<T>(clock: VirtualClock, work: Promise<T>): Promise<T> {
  let outcome: { ok: true; value: T } | { ok: false; error: unknown } | undefined;
  work.then(
    (value) => (outcome = { ok: true, value }),
    (error: unknown) => (outcome = { ok: false, error }),
  );
  await clock.runUntil(() => outcome !== undefined);
  const o = outcome as { ok: true; value: T } | { ok: false; error: unknown };
  if (!o.ok) throw o.error;
  return o.value;
}
