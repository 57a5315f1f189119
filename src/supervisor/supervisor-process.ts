/**
 * The supervisor process: one place owns the state and handles one message at a time, in
 * arrival order (OTP's gen_server loop). It traps exits; an EXIT from its parent, a
 * `StopRequest` or a decision to give up makes it terminate its children and exit.
 *
 * `supervisor(spec)` validates the spec at once and returns a start function, to nest it under
 * another supervisor; `startSupervisor(starter, spec)` starts a root.
 */
import {
  WardenError,
  formatReason,
  isWardenError,
  type InvalidSpecError,
  isCall,
  isExit,
  isStopRequest,
  startLink,
  type ExitReason,
  type Pid,
  type ProcessContext,
  type StartResult,
  type Starter,
} from '../runtime/index.ts';
import { DynamicSupervisor } from './dynamic-supervisor.ts';
import type { SupervisorRequest } from './protocol.ts';
import type { ChildStart, ResolvedSupervisorSpec, SupervisorSpec } from './spec.ts';
import { StaticSupervisor } from './static-supervisor.ts';
import { PendingRestart, type SupervisorCore } from './supervisor-core.ts';
import { resolveSupervisorSpec, specFailureReason } from './validate.ts';

/** A supervisor could not start; `reason` is its exit reason (e.g. a child failed to start). */
export class SupervisorStartError extends WardenError<'SUPERVISOR_START_FAILED', { reason: ExitReason }> {
  constructor(reason: ExitReason) {
    super('SUPERVISOR_START_FAILED', `supervisor failed to start: ${formatReason(reason)}`, { reason });
  }

  protected override details(): Record<string, unknown> {
    return { ...super.details(), reason: formatReason(this.reason) };
  }
}

/**
 * Where a supervisor's spec comes from: a spec object (validated when `supervisor()` is
 * called), or a factory evaluated at every start, like OTP's `init/1`. A factory's spec is
 * validated inside the new supervisor: if it is invalid the supervisor exits with
 * `{ start_spec: problem }` (a child spec) or `{ supervisor_data: problem }` (the flags), as
 * OTP does, so the start fails with that reason.
 */
export type SupervisorSource = SupervisorSpec | (() => SupervisorSpec);

export interface SupervisorOptions {
  /** Name for events when the spec comes from a factory (a spec object's own `name` wins otherwise). */
  readonly name?: string;
  /** Register the supervisor process under this name (released when it exits), so it can be addressed by name. */
  readonly register?: string;
}

/** A supervisor that can be nested as a child (it is a `ChildStart`) or started as a root. */
export interface SupervisorStart extends ChildStart {
  readonly childType: 'supervisor';
  /** The validated spec; `undefined` when it comes from a factory (validated at each start). */
  readonly spec: ResolvedSupervisorSpec | undefined;
  /** @internal */
  readonly source: Source;
}

interface Source {
  readonly resolved: ResolvedSupervisorSpec | undefined;
  readonly factory: (() => SupervisorSpec) | undefined;
  readonly name: string | undefined;
  readonly register: string | undefined;
}

/**
 * A supervisor, to nest under another one or start with `startSupervisor`. A spec object is
 * validated now (throws `InvalidSpecError` naming the first bad field).
 *
 * @example
 * const tree = supervisor({
 *   strategy: 'rest_for_one',
 *   children: [
 *     { id: 'db', start: worker(dbLoop) },
 *     { id: 'api', start: worker(apiLoop) },
 *   ],
 * });
 */
export function supervisor(spec: SupervisorSource, options?: SupervisorOptions): SupervisorStart {
  const source = toSource(spec, options);
  const start = (parent: ProcessContext): Promise<StartResult> => startSupervisorProcess(parent, source);
  return Object.assign(start, { childType: 'supervisor' as const, spec: source.resolved, source });
}

/**
 * Start a supervisor and its children. From inside a process it is linked to that process
 * (its parent); from a `Runtime` it is a root. Throws `SupervisorStartError` if it could not
 * start (its children started so far have been terminated).
 */
export async function startSupervisor(starter: Starter, spec: SupervisorSource | SupervisorStart, options?: SupervisorOptions): Promise<Pid> {
  const source = isSupervisorStart(spec) ? spec.source : toSource(spec, options);
  const result = await startSupervisorProcess(starter, source);
  if (result.status === 'started') return result.pid;
  throw new SupervisorStartError(result.status === 'failed' ? result.reason : 'ignore');
}

function isSupervisorStart(spec: SupervisorSource | SupervisorStart): spec is SupervisorStart {
  return typeof spec === 'function' && 'source' in spec;
}

function toSource(spec: SupervisorSource, options: SupervisorOptions | undefined): Source {
  const register = options?.register;
  if (typeof spec === 'function') return { resolved: undefined, factory: spec, name: options?.name, register };
  const resolved = resolveSupervisorSpec(spec);
  return { resolved, factory: undefined, name: resolved.name ?? options?.name, register };
}

function startSupervisorProcess(starter: Starter, source: Source): Promise<StartResult> {
  return startLink(starter, (ctx) => initSupervisor(ctx, source), runSupervisor, {
    trapExits: true,
    ...(source.name === undefined ? {} : { label: source.name }),
    ...(source.register === undefined ? {} : { name: source.register }),
  });
}

async function initSupervisor(ctx: ProcessContext, source: Source): Promise<SupervisorCore> {
  let spec = source.resolved;
  let name = source.name ?? String(ctx.self);
  if (spec === undefined) {
    const raw = (source.factory as () => SupervisorSpec)();
    name = source.name ?? raw.name ?? name;
    ctx.runtime.events.emit({ type: 'supervisor.starting', supervisor: ctx.self, name, strategy: String(raw.strategy ?? 'one_for_one') });
    try {
      spec = resolveSupervisorSpec({ ...raw, name });
    } catch (e) {
      if (!isWardenError(e, 'INVALID_SPEC')) throw e;
      const reason = specFailureReason(e as InvalidSpecError);
      ctx.runtime.events.emit({ type: 'supervisor.stopped', supervisor: ctx.self, name, reason });
      ctx.exit(reason);
    }
  } else {
    ctx.runtime.events.emit({ type: 'supervisor.starting', supervisor: ctx.self, name, strategy: spec.strategy });
  }
  const core: SupervisorCore = spec.strategy === 'dynamic' ? new DynamicSupervisor(ctx, spec, name) : new StaticSupervisor(ctx, spec, name);
  const failure = await core.init();
  if (failure !== undefined) {
    core.emit({ type: 'supervisor.stopped', supervisor: ctx.self, name, reason: failure });
    ctx.exit(failure);
  }
  core.emit({ type: 'supervisor.started', supervisor: ctx.self, name, children: spec.children.length });
  return core;
}

async function runSupervisor(ctx: ProcessContext, core: SupervisorCore): Promise<void> {
  for (;;) {
    const m = await ctx.receive();
    let stopReason: ExitReason | undefined;
    if (isExit(m)) {
      if (m.from !== undefined && m.from === ctx.parent) stopReason = m.reason;
      else if (m.from !== undefined) {
        let outcome = core.onChildExit(m.from, m.reason);
        if (outcome instanceof Promise) outcome = await outcome;
        if (outcome === 'shutdown') stopReason = 'shutdown';
      }
    } else if (isCall(m)) {
      ctx.reply(m.from, await core.handleCall(m.request as SupervisorRequest));
    } else if (m instanceof PendingRestart) {
      let outcome = core.onPendingRestart(m);
      if (outcome instanceof Promise) outcome = await outcome;
      if (outcome === 'shutdown') stopReason = 'shutdown';
    } else if (isStopRequest(m)) {
      stopReason = m.reason;
    } else {
      core.emit({ type: 'supervisor.unexpected_message', supervisor: ctx.self, name: core.name, message: m });
    }
    if (stopReason !== undefined) {
      await core.terminateAll();
      core.emit({ type: 'supervisor.stopped', supervisor: ctx.self, name: core.name, reason: stopReason });
      ctx.exit(stopReason);
    }
  }
}
