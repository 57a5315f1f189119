/**
 * The scenario's tree as Warden specs: each scenario supervisor a supervisor spec (OTP's
 * `simple_one_for_one` is Warden's `dynamic`, with the one worker as its template), each child a
 * child spec whose start function first honours the start counters (a failed start records
 * `start_failed` and fails with `start_failure`; an ignored one records `start_ignored`), then
 * starts the real thing: a nested supervisor, built inside the new supervisor as OTP's init/1
 * builds it, or a worker running `scenario-worker.ts`, in this event loop or in its own thread.
 */
import type { Pid, ProcessContext, StartResult } from '../../runtime/index.ts';
import { supervisor, type ChildSpec, type SupervisorSpec } from '../../supervisor/index.ts';
import { moduleUrl, startThread } from '../../isolation/index.ts';
import type { ScenarioChild } from './scenario.ts';
import type { ScenarioTree } from './scenario-tree.ts';
import scenarioWorker from './scenario-worker.ts';
import type { TraceRecorder } from './trace.ts';

const WORKER_MODULE = moduleUrl('./scenario-worker.ts', import.meta.url);

/** What building the specs needs: the tree's book-keeping, the trace, and where workers run. */
export interface SpecContext {
  readonly tree: ScenarioTree;
  readonly trace: TraceRecorder;
  readonly isolation: 'inline' | 'thread' | undefined;
}

/** The spec of scenario supervisor `id` (validated when it starts, inside the new supervisor). */
export function supervisorSpec(ctx: SpecContext, spec: ScenarioChild, id: string): SupervisorSpec {
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
    return { ...base, strategy: 'dynamic', template: { ...childFields(t), start: workerStart(ctx, t, id, undefined) } };
  }
  return { ...base, strategy, children: (spec.children ?? []).map((c) => childSpec(ctx, c, id)) };
}

/** The spec of scenario child `c` of supervisor `supId`. */
export function childSpec(ctx: SpecContext, c: ScenarioChild, supId: string): ChildSpec {
  const id = c.id as string;
  if ((c.type ?? 'worker') === 'supervisor') {
    // A factory: the spec is built and validated inside the new supervisor, as OTP's init/1.
    const nested = supervisor(() => supervisorSpec(ctx, c, id), { name: id });
    const start = (pctx: ProcessContext): StartResult | Promise<StartResult> => refusedStart(ctx, id, supId) ?? nested(pctx, undefined);
    return { id, ...childFields(c), type: 'supervisor', start };
  }
  return { id, ...childFields(c), start: workerStart(ctx, c, supId, id) };
}

/** The start function of a worker; a dynamic supervisor's workers (`fixedId` undefined) take their id from the start argument. */
function workerStart(ctx: SpecContext, spec: ScenarioChild, supId: string, fixedId: string | undefined) {
  const script = { on_shutdown: spec.on_shutdown };
  const trapExits = spec.trap_exit ?? true;
  const started = (id: string, pid: Pid): StartResult => {
    ctx.tree.workerStarted(id, pid, supId);
    ctx.trace.record({ event: 'start', id, sup: supId });
    return { status: 'started', pid };
  };
  return (pctx: ProcessContext, arg: unknown): StartResult | Promise<StartResult> => {
    const id = fixedId ?? String(arg);
    const refused = refusedStart(ctx, id, supId);
    if (refused !== undefined) return refused;
    if (ctx.isolation === 'thread') {
      return startThread(pctx, WORKER_MODULE, { arg: script, trapExits, label: id }).then((r) => (r.status === 'started' ? started(id, r.pid) : r));
    }
    return started(id, pctx.spawnLink(scenarioWorker, script, { trapExits, label: id }));
  };
}

/** A start the counters fail or ignore (recorded), or `undefined` when the child really starts. */
function refusedStart(ctx: SpecContext, id: string, supId: string): StartResult | undefined {
  if (ctx.tree.takeStartFailure(id)) {
    ctx.trace.record({ event: 'start_failed', id, sup: supId, reason: 'start_failure' });
    return { status: 'failed', reason: 'start_failure' };
  }
  if (ctx.tree.takeStartIgnore(id)) {
    ctx.trace.record({ event: 'start_ignored', id, sup: supId });
    return { status: 'ignored' };
  }
  return undefined;
}

function childFields(c: ScenarioChild): Omit<ChildSpec, 'id' | 'start'> {
  return {
    ...(c.restart === undefined ? {} : { restart: c.restart }),
    ...(c.shutdown === undefined ? {} : { shutdown: c.shutdown }),
    ...(c.significant === undefined ? {} : { significant: c.significant }),
  };
}
