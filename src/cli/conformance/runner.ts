/**
 * Runs a conformance scenario on Warden's supervisors, on a virtual clock, and records the
 * event trace in the same form as the OTP oracle (`run_scenario.escript`), so the two can be
 * compared line by line.
 *
 * The tree is built from the scenario with real supervisors and real worker processes; the
 * workers follow the oracle's script (exit on request, and on a shutdown request from their
 * supervisor: exit, exit later, exit with another reason, or hang). Deaths are recorded from
 * the runtime's `process.exited` events, which are emitted at the moment of death, before
 * anything the death causes, exactly the order the oracle enforces with monitors. After each
 * action the tree settles; time moves only between actions, from timer to timer.
 */
import {
  Runtime,
  VirtualClock,
  isExit,
  isWardenError,
  type InvalidSpecError,
  reasonToJSON,
  type ExitReason,
  type Pid,
  type ProcessContext,
  type StartResult,
  type Term,
} from '../../runtime/index.ts';
import {
  restartChild,
  startChild,
  startSupervisor,
  supervisor,
  terminateChild,
  deleteChild,
  whichChildren,
  type ChildSpec,
  type SupervisorSpec,
} from '../../supervisor/index.ts';
import { moduleUrl, startThread } from '../../isolation/index.ts';
import type { Scenario, ScenarioAction, ScenarioChild, ScenarioReason } from './scenario.ts';
import scenarioWorker from './scenario-worker.ts';

/** One line of a trace, with the oracle's field names. */
export interface TraceEvent {
  readonly seq: number;
  readonly t: number;
  readonly event: 'start' | 'start_failed' | 'start_ignored' | 'terminate' | 'supervisor_exit' | 'children' | 'call';
  readonly id?: string | null;
  readonly sup?: string | null;
  readonly reason?: Term;
  readonly op?: string;
  readonly result?: Term;
  readonly children?: ReadonlyArray<{ readonly id: string; readonly status: string }>;
}

const KEY_ORDER = ['seq', 't', 'event', 'id', 'sup', 'reason', 'op', 'result', 'children'] as const;

/** A trace line as JSON with the oracle's key order. */
export function traceLine(e: TraceEvent): string {
  const o: Record<string, unknown> = {};
  for (const k of KEY_ORDER) if (e[k] !== undefined) o[k] = e[k];
  return JSON.stringify(o);
}

interface Tracked {
  readonly id: string;
  readonly sup: string | null;
}

/** A scenario reason as a Warden reason (they share the JSON encoding). */
function toReason(r: ScenarioReason | undefined, fallback: string): ExitReason {
  return (r ?? fallback) as ExitReason;
}

export interface RunOptions {
  /** Where the scenario's workers run: in this event loop (default) or each in its own thread. */
  readonly host?: 'inline' | 'thread';
}

const WORKER_MODULE = moduleUrl('./scenario-worker.ts', import.meta.url);

export async function runScenario(scenario: Scenario, options: RunOptions = {}): Promise<TraceEvent[]> {
  const clock = new VirtualClock();
  const rt = new Runtime({ clock });
  const trace: TraceEvent[] = [];
  const record = (e: Omit<TraceEvent, 'seq' | 't'>): void => {
    trace.push({ seq: trace.length + 1, t: clock.now(), ...e });
  };

  const rootSpec = scenario.supervisor;
  const rootId = rootSpec.id ?? 'root';
  const fails = new Map<string, number>();
  const ignores = new Map<string, number>();
  const strategyOf = new Map<string, string>();
  const parentOf = new Map<string, string | null>();
  const tracked = new Map<Pid, Tracked>();
  const current = new Map<string, Pid>();
  const kindOf = new Map<string, 'worker' | 'supervisor'>();
  let rootPid: Pid | undefined;
  let rootAlive = false;

  const consume = (counters: Map<string, number>, id: string): boolean => {
    const n = counters.get(id) ?? 0;
    if (n <= 0) return false;
    counters.set(id, n - 1);
    return true;
  };

  const starting = rt.events.on('supervisor.starting', (e) => {
    const sup = parentOf.get(e.name) ?? null;
    tracked.set(e.supervisor, { id: e.name, sup });
    current.set(e.name, e.supervisor);
    if (e.name === rootId && sup === null) {
      rootPid = e.supervisor;
      rootAlive = true;
    }
    record({ event: 'start', id: e.name, sup });
  });
  const exited = rt.events.on('process.exited', (e) => {
    const who = tracked.get(e.pid);
    if (who === undefined) return;
    tracked.delete(e.pid);
    // The root's end is recorded by its parent, the driver, when it sees the EXIT.
    if (e.pid === rootPid) rootAlive = false;
    else record({ event: 'terminate', id: who.id, sup: who.sup, reason: reasonToJSON(e.reason) });
  });

  /** Register a (sub)tree: its parents, strategies and start counters. */
  const registerTree = (spec: ScenarioChild, id: string, parent: string | null): void => {
    const strategy = spec.strategy ?? 'one_for_one';
    strategyOf.set(id, strategy);
    parentOf.set(id, parent);
    kindOf.set(id, 'supervisor');
    if (strategy === 'simple_one_for_one') return;
    for (const c of spec.children ?? []) {
      const cid = c.id as string;
      if (c.fail_starts) fails.set(cid, c.fail_starts);
      if (c.ignore_starts) ignores.set(cid, c.ignore_starts);
      if ((c.type ?? 'worker') === 'supervisor') registerTree(c, cid, id);
      else {
        parentOf.set(cid, id);
        kindOf.set(cid, 'worker');
      }
    }
  };

  const workerStart = (spec: ScenarioChild, supId: string, fixedId: string | undefined) => {
    const script = { on_shutdown: spec.on_shutdown };
    const trapExits = spec.trap_exit ?? true;
    const started = (id: string, pid: Pid): StartResult => {
      tracked.set(pid, { id, sup: supId });
      current.set(id, pid);
      record({ event: 'start', id, sup: supId });
      return { status: 'started', pid };
    };
    return (ctx: ProcessContext, arg: unknown): StartResult | Promise<StartResult> => {
      const id = fixedId ?? String(arg);
      if (consume(fails, id)) {
        record({ event: 'start_failed', id, sup: supId, reason: 'start_failure' });
        return { status: 'failed', reason: 'start_failure' };
      }
      if (consume(ignores, id)) {
        record({ event: 'start_ignored', id, sup: supId });
        return { status: 'ignored' };
      }
      if (options.host === 'thread') {
        return startThread(ctx, WORKER_MODULE, { arg: script, trapExits, label: id }).then((r) =>
          r.status === 'started' ? started(id, r.pid) : r,
        );
      }
      return started(id, ctx.spawnLink(scenarioWorker, script, { trapExits, label: id }));
    };
  };

  const supervisorSpec = (spec: ScenarioChild, id: string): SupervisorSpec => {
    const strategy = spec.strategy ?? 'one_for_one';
    const base = {
      name: id,
      intensity: spec.intensity ?? 1,
      periodSeconds: spec.period ?? 5,
      ...(spec.auto_shutdown === undefined ? {} : { autoShutdown: spec.auto_shutdown }),
    };
    if (strategy === 'simple_one_for_one') {
      const t = spec.children?.[0];
      if (t === undefined || spec.children?.length !== 1 || (t.type ?? 'worker') !== 'worker') {
        throw new Error(`scenario: simple_one_for_one supervisor "${id}" needs exactly one worker template`);
      }
      return { ...base, strategy: 'dynamic', template: { ...childFields(t), start: workerStart(t, id, undefined) } };
    }
    return { ...base, strategy, children: (spec.children ?? []).map((c) => childSpec(c, id)) };
  };

  const childSpec = (c: ScenarioChild, supId: string): ChildSpec => {
    const id = c.id as string;
    if ((c.type ?? 'worker') === 'supervisor') {
      // A factory: the spec is built and validated inside the new supervisor, as OTP's init/1.
      const nested = supervisor(() => supervisorSpec(c, id), { name: id });
      const start = (ctx: ProcessContext): StartResult | Promise<StartResult> => {
        if (consume(fails, id)) {
          record({ event: 'start_failed', id, sup: supId, reason: 'start_failure' });
          return { status: 'failed', reason: 'start_failure' };
        }
        if (consume(ignores, id)) {
          record({ event: 'start_ignored', id, sup: supId });
          return { status: 'ignored' };
        }
        return nested(ctx, undefined);
      };
      return { id, ...childFields(c), type: 'supervisor', start };
    }
    return { id, ...childFields(c), start: workerStart(c, supId, id) };
  };

  // ---- the driver: the root's parent, which stops it with an exit signal, as OTP's parent would
  registerTree(rootSpec, rootId, null);
  let startError: unknown;
  let rootExitLogged = false;
  /**
   * The driver is the root's parent: it starts the root, stops it with an exit signal as OTP's
   * parent would, and records the root's end when it sees the EXIT, once whatever else
   * happens at that instant has happened (the oracle's driver is one more process that must
   * be scheduled to log it).
   */
  const logRootExit = async (ctx: ProcessContext, reason: ExitReason): Promise<void> => {
    await ctx.sleep(0);
    record({ event: 'supervisor_exit', id: rootId, reason: reasonToJSON(reason) });
    rootExitLogged = true;
  };
  const driver = rt.spawn(
    async (ctx: ProcessContext) => {
      try {
        await startSupervisor(ctx, supervisor(() => supervisorSpec(rootSpec, rootId), { name: rootId }));
      } catch (e) {
        startError = e;
        rootAlive = false;
        if (isSupervisorStartError(e)) await logRootExit(ctx, (e as { reason: ExitReason }).reason);
        return;
      }
      for (;;) {
        const m = await ctx.receive();
        if (m === 'stop' && rootPid !== undefined) ctx.sendExit(rootPid, 'shutdown');
        if (isExit(m) && m.from === rootPid) await logRootExit(ctx, m.reason);
      }
    },
    undefined,
    { trapExits: true },
  );

  /** Let time pass, timer by timer, until `work` settles (a call may wait on shutdown timers). */
  const complete = async <T>(work: Promise<T>): Promise<T> => {
    let outcome: { ok: true; value: T } | { ok: false; error: unknown } | undefined;
    work.then(
      (value) => (outcome = { ok: true, value }),
      (error: unknown) => (outcome = { ok: false, error }),
    );
    await clock.runUntil(() => outcome !== undefined);
    const o = outcome as { ok: true; value: T } | { ok: false; error: unknown };
    if (!o.ok) throw o.error;
    return o.value;
  };

  const supPid = (name: string | undefined): Pid => {
    const id = name ?? rootId;
    const pid = id === rootId ? rootPid : current.get(id);
    if (pid === undefined) throw new Error(`scenario: no supervisor "${id}" is running`);
    return pid;
  };
  const isDynamic = (name: string | undefined): boolean => strategyOf.get(name ?? rootId) === 'simple_one_for_one';
  const liveWorker = (id: string): Pid | undefined => {
    const pid = current.get(id);
    return pid !== undefined && rt.isAlive(pid) ? pid : undefined;
  };

  const perform = async (a: ScenarioAction): Promise<void> => {
    switch (a.do) {
      case 'exit': {
        const pid = liveWorker(a.id);
        if (pid !== undefined && kindOf.get(a.id) !== 'supervisor') rt.send(pid, { scriptExit: toReason(a.reason, 'crash') });
        return;
      }
      case 'kill': {
        const pid = liveWorker(a.id);
        if (pid !== undefined) rt.sendExit(pid, 'kill');
        return;
      }
      case 'fail_next_start':
        fails.set(a.id, a.count ?? 1);
        return;
      case 'ignore_next_start':
        ignores.set(a.id, a.count ?? 1);
        return;
      case 'start_child': {
        const sup = a.sup ?? rootId;
        if (isDynamic(sup)) {
          const id = a.id as string;
          kindOf.set(id, 'worker');
          const r = await complete(startChild(rt, supPid(sup), id));
          record({ event: 'call', id, sup, op: 'start_child', result: startResult(r) });
          return;
        }
        const spec = a.spec as ScenarioChild;
        const id = spec.id as string;
        if ((spec.type ?? 'worker') === 'supervisor') {
          const saved = [fails.get(id), ignores.get(id)] as const;
          registerTree(spec, id, sup);
          // counters written in the spec itself are not read for the spec's own start
          if (saved[0] === undefined) fails.delete(id);
          else fails.set(id, saved[0]);
          if (saved[1] === undefined) ignores.delete(id);
          else ignores.set(id, saved[1]);
        } else {
          parentOf.set(id, sup);
          kindOf.set(id, 'worker');
        }
        const r = await complete(startChild(rt, supPid(sup), childSpec(spec, sup))).catch((e: unknown) => {
          if (isWardenError(e, 'INVALID_SPEC')) return { invalid: (e as InvalidSpecError).term };
          throw e;
        });
        record({ event: 'call', id, sup, op: 'start_child', result: 'invalid' in r ? { error: r.invalid } : startResult(r) });
        return;
      }
      case 'terminate_child': {
        const sup = a.sup ?? rootId;
        const key = isDynamic(sup) ? (current.get(a.id) ?? a.id) : a.id;
        const r = await complete(terminateChild(rt, supPid(sup), key));
        record({ event: 'call', id: a.id, sup, op: 'terminate_child', result: opResult(r) });
        return;
      }
      case 'restart_child': {
        const sup = a.sup ?? rootId;
        const r = await complete(restartChild(rt, supPid(sup), a.id));
        record({ event: 'call', id: a.id, sup, op: 'restart_child', result: opResult(r) });
        return;
      }
      case 'delete_child': {
        const sup = a.sup ?? rootId;
        const r = await complete(deleteChild(rt, supPid(sup), a.id));
        record({ event: 'call', id: a.id, sup, op: 'delete_child', result: opResult(r) });
        return;
      }
      case 'snapshot': {
        const sup = a.sup ?? rootId;
        const kids = await complete(whichChildren(rt, supPid(sup)));
        const entries = kids.map((k) => {
          const status = k.pid === 'restarting' ? 'restarting' : k.pid === undefined ? 'stopped' : 'running';
          const id = k.id ?? (typeof k.pid === 'object' ? (tracked.get(k.pid)?.id ?? 'unknown') : 'unknown');
          return { id, status };
        });
        if (isDynamic(sup)) entries.sort((x, y) => (x.id < y.id ? -1 : x.id > y.id ? 1 : 0));
        record({ event: 'children', sup, children: entries });
        return;
      }
      case 'stop': {
        rt.send(driver, 'stop');
        await clock.runUntil(() => rootExitLogged);
        return;
      }
    }
  };

  await clock.runUntil(() => rootAlive || rootExitLogged || startError !== undefined);
  if (startError !== undefined && !isSupervisorStartError(startError)) throw startError;
  const script = [...(scenario.script ?? [])].map((a, i) => ({ a, i })).sort((x, y) => (x.a.at ?? 0) - (y.a.at ?? 0) || x.i - y.i);
  const lastAt = script.reduce((m, { a }) => Math.max(m, a.at ?? 0), 0);
  for (const { a } of script) {
    if ((a.at ?? 0) > clock.now()) await clock.advanceTo(a.at ?? 0);
    if (!rootAlive) continue;
    await perform(a);
    await clock.advanceTo(clock.now());
  }
  const endAt = scenario.end_at ?? lastAt + 300;
  if (endAt > clock.now()) await clock.advanceTo(endAt);
  if (rootAlive && (scenario.stop_at_end ?? true)) await perform({ do: 'stop' });
  // The trace ends here; whatever is still running is torn down unrecorded.
  starting.dispose();
  exited.dispose();
  rt.killAll();
  return trace;
}

function isSupervisorStartError(e: unknown): boolean {
  return typeof e === 'object' && e !== null && (e as { code?: unknown }).code === 'SUPERVISOR_START_FAILED';
}

function childFields(c: ScenarioChild): Omit<ChildSpec, 'id' | 'start'> {
  return {
    ...(c.restart === undefined ? {} : { restart: c.restart }),
    ...(c.shutdown === undefined ? {} : { shutdown: c.shutdown }),
    ...(c.significant === undefined ? {} : { significant: c.significant }),
  };
}

/** A start_child result as the oracle normalizes it. */
function startResult(r: Awaited<ReturnType<typeof startChild>>): Term {
  if (r.ok) return r.pid === undefined ? 'ignored' : 'ok';
  if (r.error === 'start_failed') return { error: reasonToJSON(r.reason) };
  return { error: r.error };
}

/** A terminate/restart/delete result as the oracle normalizes it. */
function opResult(r: { readonly ok: boolean; readonly error?: string; readonly pid?: unknown; readonly reason?: ExitReason }): Term {
  if (r.ok) return 'pid' in r && r.pid === undefined ? 'ignored' : 'ok';
  if (r.error === 'start_failed') return { error: reasonToJSON(r.reason as ExitReason) };
  return { error: r.error === 'dynamic' ? 'simple_one_for_one' : (r.error as string) };
}
