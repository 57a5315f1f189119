/**
 * The `dynamic` strategy (OTP's `simple_one_for_one`): every child is an instance of one
 * template, started on demand with `startChild(sup, arg)`; `arg` is passed to the template's
 * start function, and again on every restart of that instance.
 *
 * - Restarts of all instances count together against the intensity.
 * - A failed restart keeps the instance `restarting` under its old pid and queues a retry;
 *   `terminateChild(sup, oldPid)` cancels it.
 * - `terminateChild` takes a pid (an id gives `{ error: 'dynamic' }`); a pid that is not a
 *   child gives `not_found` if it is alive and `ok` if it is not. `restartChild` and
 *   `deleteChild` always give `{ error: 'dynamic' }`.
 * - When the supervisor stops, all instances are shut down in parallel under one deadline, so
 *   their order is not defined.
 * - With `all_significant`, the supervisor shuts down when its last instance is gone.
 */
import { isNormalExit, isPid, type ExitReason, type Pid } from '../runtime/index.ts';
import { isExpectedShutdown, shutdownInParallel } from './child-shutdown.ts';
import type { ChildInfo, SupervisorReply, SupervisorRequest } from './protocol.ts';
import type { ResolvedChildSpec } from './spec.ts';
import { type PendingRestart, SupervisorCore, andThen, type MaybePromise, type Outcome } from './supervisor-core.ts';

export class DynamicSupervisor extends SupervisorCore {
  /** Running instances: pid → start argument, in start order. */
  private readonly running = new Map<Pid, unknown>();
  /** Instances waiting for a restart, keyed by the pid they had: → start argument. */
  private readonly restarting = new Map<Pid, unknown>();

  private get template(): ResolvedChildSpec {
    return this.spec.template as ResolvedChildSpec;
  }

  async init(): Promise<ExitReason | undefined> {
    return undefined;
  }

  onChildExit(pid: Pid, reason: ExitReason): MaybePromise<Outcome> {
    if (!this.running.has(pid)) return 'ok';
    const t = this.template;
    this.emit({ type: 'supervisor.child_exited', supervisor: this.ctx.self, name: this.name, childId: t.id, pid, reason });
    const arg = this.running.get(pid);
    if (t.restart === 'permanent' || (t.restart === 'transient' && !isNormalExit(reason))) {
      return this.restart(pid, arg);
    }
    this.running.delete(pid);
    return this.autoShutdown();
  }

  onPendingRestart(message: PendingRestart): MaybePromise<Outcome> {
    const key = message.key as Pid;
    if (!this.restarting.has(key)) return 'ok';
    const arg = this.restarting.get(key);
    return message.counted ? this.restartNow(key, arg) : this.restart(key, arg);
  }

  private restart(key: Pid, arg: unknown): MaybePromise<Outcome> {
    if (!this.countRestart(this.template.id)) {
      this.running.delete(key);
      this.restarting.delete(key);
      return 'shutdown';
    }
    const delayMs = this.backoffDelayMs(key);
    if (delayMs > 0) {
      this.running.delete(key);
      this.restarting.set(key, arg);
      this.queueRestart(key, delayMs, true);
      return 'ok';
    }
    return this.restartNow(key, arg);
  }

  private restartNow(key: Pid, arg: unknown): MaybePromise<Outcome> {
    this.running.delete(key);
    this.restarting.delete(key);
    return andThen(this.startOne(this.template, arg, true), (result) => {
      if (result.status === 'started') {
        this.running.set(result.pid, arg);
      } else if (result.status === 'failed') {
        this.restarting.set(key, arg);
        this.queueRestart(key, 0, false);
      }
      return 'ok';
    });
  }

  private autoShutdown(): Outcome {
    const mode = this.spec.autoShutdown;
    if (mode === 'never' || !this.template.significant) return 'ok';
    if (mode === 'all_significant' && this.running.size + this.restarting.size > 0) return 'ok';
    this.autoShutdownEvent(this.template.id);
    return 'shutdown';
  }

  async terminateAll(): Promise<void> {
    const t = this.template;
    const pids = [...this.running.keys()];
    this.running.clear();
    this.restarting.clear();
    const reasons = await shutdownInParallel(this.ctx, pids, t.shutdown);
    for (const [pid, reason] of reasons) {
      this.emit({
        type: 'supervisor.child_terminated',
        supervisor: this.ctx.self,
        name: this.name,
        childId: t.id,
        pid,
        reason,
        expected: isExpectedShutdown(t.shutdown, t.restart, reason),
      });
    }
  }

  async handleCall(request: SupervisorRequest): Promise<SupervisorReply> {
    const t = this.template;
    switch (request.op) {
      case 'start_child': {
        const result = await this.startOne(t, request.payload, false);
        if (result.status === 'failed') return { ok: false, error: 'start_failed', reason: result.reason };
        if (result.status === 'ignored') return { ok: true, pid: undefined };
        this.running.set(result.pid, request.payload);
        return { ok: true, pid: result.pid };
      }
      case 'terminate_child': {
        const pid = request.id;
        if (!isPid(pid)) return { ok: false, error: 'dynamic' };
        if (this.running.has(pid)) {
          this.running.delete(pid);
          await this.stopOne(t, pid);
          return { ok: true };
        }
        if (this.restarting.delete(pid)) return { ok: true };
        return this.ctx.runtime.isAlive(pid) ? { ok: false, error: 'not_found' } : { ok: true };
      }
      case 'restart_child':
      case 'delete_child':
        return { ok: false, error: 'dynamic' };
      case 'which_children':
        return [
          ...[...this.running.keys()].map((pid): ChildInfo => ({ id: undefined, pid, type: t.type })),
          ...[...this.restarting.keys()].map((): ChildInfo => ({ id: undefined, pid: 'restarting', type: t.type })),
        ];
      case 'count_children': {
        const total = this.running.size + this.restarting.size;
        return {
          specs: 1,
          active: this.running.size,
          supervisors: t.type === 'supervisor' ? total : 0,
          workers: t.type === 'worker' ? total : 0,
        };
      }
      case 'get_childspec':
        return request.id === t.id ? { ok: true, spec: t } : { ok: false, error: 'not_found' };
    }
  }
}
