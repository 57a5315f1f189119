/**
 * The strategies with a fixed list of children: `one_for_one`, `one_for_all` and
 * `rest_for_one`, with OTP's semantics in every detail that shows from outside:
 *
 * - Children start in list order; `startChild` appends to the end. A failure while the
 *   supervisor itself starts terminates the children already started (in reverse order) and
 *   the supervisor exits with `{ shutdown: ['failed_to_start_child', id, reason] }`.
 * - A terminated child is restarted per its restart type; the restart is counted first, and
 *   exceeding the intensity makes the supervisor terminate the rest and exit with `shutdown`.
 * - A group restart (one_for_all: everyone; rest_for_one: the child and those after it)
 *   terminates the group's running children in reverse start order, one at a time, drops
 *   temporary ones, then starts the group again in start order, including members that were
 *   stopped before.
 * - A failed restart leaves the child `restarting` and queues a retry (which counts as a
 *   restart again); during a group restart, the failed child is the one retried.
 * - `ignore` from a start leaves a permanent or transient child stopped with its spec kept; a
 *   temporary child's spec is dropped.
 * - Explicit `terminateChild`/`restartChild` are not counted toward the intensity and never
 *   trigger an automatic shutdown.
 */
import { type InvalidSpecError, isNormalExit, isWardenError, type ExitReason, type Pid } from '../runtime/index.ts';
import type { ChildCounts, ChildInfo, InvalidChildSpecReply, RestartChildResult, StartChildResult, SupervisorReply, SupervisorRequest } from './protocol.ts';
import type { ResolvedChildSpec } from './spec.ts';
import { type PendingRestart, SupervisorCore, andThen, type MaybePromise, type Outcome } from './supervisor-core.ts';
import { resolveChildSpec } from './validate.ts';

interface ChildRecord {
  readonly spec: ResolvedChildSpec;
  /** The running process (possibly already dead, until its EXIT is handled). */
  pid: Pid | undefined;
  /** A restart is pending (a retry after a failed start, or a backoff delay). */
  restarting: boolean;
}

/** The first child that failed to start in a group, and why. */
interface StartFailure {
  readonly child: ChildRecord;
  readonly reason: ExitReason;
}

export class StaticSupervisor extends SupervisorCore {
  /** Children in start order. */
  private children: ChildRecord[] = [];

  async init(): Promise<ExitReason | undefined> {
    this.children = this.spec.children.map((spec) => ({ spec, pid: undefined, restarting: false }));
    const failure = await this.startGroup([...this.children], false);
    if (failure === undefined) return undefined;
    await this.terminateGroup([...this.children]);
    return { shutdown: ['failed_to_start_child', failure.child.spec.id, failure.reason] };
  }

  onChildExit(pid: Pid, reason: ExitReason): MaybePromise<Outcome> {
    const child = this.children.find((c) => c.pid === pid);
    if (child === undefined) return 'ok';
    this.emit({ type: 'supervisor.child_exited', supervisor: this.ctx.self, name: this.name, childId: child.spec.id, pid, reason });
    const restart = child.spec.restart;
    if (restart === 'permanent' || (restart === 'transient' && !isNormalExit(reason))) {
      return this.restart(child);
    }
    this.clear(child);
    return this.autoShutdown(child);
  }

  onPendingRestart(message: PendingRestart): MaybePromise<Outcome> {
    const child = this.children.find((c) => c.spec.id === message.key);
    if (child === undefined || !child.restarting) return 'ok';
    return message.counted ? this.restartNow(child) : this.restart(child);
  }

  async terminateAll(): Promise<void> {
    await this.terminateGroup([...this.children]);
  }

  /** Count the restart, then restart now or after the backoff delay. */
  private restart(child: ChildRecord): MaybePromise<Outcome> {
    if (!this.countRestart(child.spec.id)) {
      this.clear(child);
      return 'shutdown';
    }
    const delayMs = this.backoffDelayMs(child.spec.id);
    if (delayMs > 0) {
      child.pid = undefined;
      child.restarting = true;
      this.queueRestart(child.spec.id, delayMs, true);
      return 'ok';
    }
    return this.restartNow(child);
  }

  /** Apply the strategy to a child whose restart was already counted. */
  private restartNow(child: ChildRecord): MaybePromise<Outcome> {
    if (this.spec.strategy === 'one_for_one') {
      return andThen(this.startOne(child.spec, undefined, true), (result) => {
        child.pid = result.status === 'started' ? result.pid : undefined;
        child.restarting = result.status === 'failed';
        if (result.status === 'failed') this.queueRestart(child.spec.id, 0, false);
        return 'ok';
      });
    }
    return this.restartGroup(child);
  }

  /** one_for_all (everyone) or rest_for_one (the child and those after it). */
  private async restartGroup(child: ChildRecord): Promise<Outcome> {
    child.pid = undefined;
    const from = this.spec.strategy === 'one_for_all' ? 0 : this.children.indexOf(child);
    const group = this.children.slice(from);
    await this.terminateGroup(group);
    const failure = await this.startGroup(
      group.filter((c) => this.children.includes(c)),
      true,
    );
    if (failure !== undefined) {
      failure.child.pid = undefined;
      failure.child.restarting = true;
      this.queueRestart(failure.child.spec.id, 0, false);
    }
    return 'ok';
  }

  /** Start `group` in order; stop at the first failure (later members stay stopped). */
  private async startGroup(group: readonly ChildRecord[], isRestart: boolean): Promise<StartFailure | undefined> {
    for (const child of group) {
      const result = await this.startOne(child.spec, undefined, isRestart);
      child.restarting = false;
      if (result.status === 'started') {
        child.pid = result.pid;
      } else if (result.status === 'ignored') {
        child.pid = undefined;
        if (child.spec.restart === 'temporary') this.remove(child);
      } else {
        child.pid = undefined;
        return { child, reason: result.reason };
      }
    }
    return undefined;
  }

  /** Terminate the running members of `group` in reverse start order; drop temporary ones. */
  private async terminateGroup(group: readonly ChildRecord[]): Promise<void> {
    for (let i = group.length - 1; i >= 0; i--) {
      const child = group[i] as ChildRecord;
      if (child.pid !== undefined) await this.stopOne(child.spec, child.pid);
      child.pid = undefined;
      child.restarting = false;
      if (child.spec.restart === 'temporary') this.remove(child);
    }
  }

  /** The child has no process any more: a temporary child's spec goes, others are kept stopped. */
  private clear(child: ChildRecord): void {
    child.pid = undefined;
    child.restarting = false;
    if (child.spec.restart === 'temporary') this.remove(child);
  }

  private remove(child: ChildRecord): void {
    const i = this.children.indexOf(child);
    if (i >= 0) this.children.splice(i, 1);
  }

  private autoShutdown(child: ChildRecord): Outcome {
    const mode = this.spec.autoShutdown;
    if (mode === 'never' || !child.spec.significant) return 'ok';
    if (mode === 'all_significant') {
      const anyLeft = this.children.some((c) => c.spec.significant && (c.pid !== undefined || c.restarting));
      if (anyLeft) return 'ok';
    }
    this.autoShutdownEvent(child.spec.id);
    return 'shutdown';
  }

  // ---- the child API -----------------------------------------------------------------------

  async handleCall(request: SupervisorRequest): Promise<SupervisorReply> {
    switch (request.op) {
      case 'start_child':
        return this.startChildSpec(request.payload);
      case 'terminate_child': {
        const child = typeof request.id === 'string' ? this.find(request.id) : undefined;
        if (child === undefined) return { ok: false, error: 'not_found' };
        if (child.pid !== undefined) await this.stopOne(child.spec, child.pid);
        this.clear(child);
        return { ok: true };
      }
      case 'restart_child':
        return this.restartChildById(request.id);
      case 'delete_child': {
        const child = this.find(request.id);
        if (child === undefined) return { ok: false, error: 'not_found' };
        if (child.restarting) return { ok: false, error: 'restarting' };
        if (child.pid !== undefined) return { ok: false, error: 'running' };
        this.remove(child);
        return { ok: true };
      }
      case 'which_children':
        return this.children.map((c): ChildInfo => ({ id: c.spec.id, pid: c.restarting ? 'restarting' : c.pid, type: c.spec.type }));
      case 'count_children':
        return this.counts();
      case 'get_childspec': {
        const child = this.find(request.id);
        return child === undefined ? { ok: false, error: 'not_found' } : { ok: true, spec: child.spec };
      }
    }
  }

  private async startChildSpec(payload: unknown): Promise<StartChildResult | InvalidChildSpecReply> {
    let spec: ResolvedChildSpec;
    try {
      spec = resolveChildSpec(payload, this.spec.autoShutdown);
    } catch (e) {
      if (!isWardenError(e, 'INVALID_SPEC')) throw e;
      const err = e as InvalidSpecError;
      return { ok: false, error: 'invalid_spec', path: err.path, value: err.value, why: err.why, term: err.term };
    }
    const existing = this.find(spec.id);
    if (existing !== undefined) {
      return existing.pid !== undefined && !existing.restarting
        ? { ok: false, error: 'already_started', pid: existing.pid }
        : { ok: false, error: 'already_present' };
    }
    const result = await this.startOne(spec, undefined, false);
    if (result.status === 'failed') return { ok: false, error: 'start_failed', reason: result.reason };
    const pid = result.status === 'started' ? result.pid : undefined;
    if (pid !== undefined || spec.restart !== 'temporary') {
      this.children.push({ spec, pid, restarting: false });
    }
    return { ok: true, pid };
  }

  private async restartChildById(id: string): Promise<RestartChildResult> {
    const child = this.find(id);
    if (child === undefined) return { ok: false, error: 'not_found' };
    if (child.restarting) return { ok: false, error: 'restarting' };
    if (child.pid !== undefined) return { ok: false, error: 'running' };
    const result = await this.startOne(child.spec, undefined, false);
    if (result.status === 'failed') return { ok: false, error: 'start_failed', reason: result.reason };
    child.pid = result.status === 'started' ? result.pid : undefined;
    return { ok: true, pid: child.pid };
  }

  private counts(): ChildCounts {
    let active = 0;
    let supervisors = 0;
    for (const c of this.children) {
      if (c.pid !== undefined && !c.restarting && this.ctx.runtime.isAlive(c.pid)) active++;
      if (c.spec.type === 'supervisor') supervisors++;
    }
    return { specs: this.children.length, active, supervisors, workers: this.children.length - supervisors };
  }

  private find(id: string): ChildRecord | undefined {
    return this.children.find((c) => c.spec.id === id);
  }
}
