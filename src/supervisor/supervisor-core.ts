/**
 * What every supervisor strategy shares: starting a child (catching a throwing start function
 * and checking what it returned), shutting one down, counting restarts against the intensity,
 * the optional restart backoff, re-queued restarts, and the events for all of it.
 *
 * A failed restart is never retried in a loop: the supervisor queues a `PendingRestart`
 * message to itself and goes back to its mailbox, so a shutdown request or a call that is
 * already waiting is handled first (OTP's `try_again_restart`).
 */
import {
  Crash,
  SystemMessage,
  isPid,
  showValue,
  type ExitReason,
  type Pid,
  type ProcessContext,
  type StartResult,
  type WardenEventInput,
} from '../runtime/index.ts';
import { isExpectedShutdown, shutdownChild } from './child-shutdown.ts';
import { RestartIntensity } from './restart-intensity.ts';
import type { ResolvedChildSpec, ResolvedSupervisorSpec } from './spec.ts';
import type { SupervisorReply, SupervisorRequest } from './protocol.ts';
import './events.ts';

/** After handling a message: keep going, or shut the supervisor down (reason `shutdown`). */
export type Outcome = 'ok' | 'shutdown';

/**
 * A value now, or later. The restart path stays synchronous when the child's start is (most
 * are), so a one_for_one restart costs no extra microtask hops; it awaits only what is async.
 */
export type MaybePromise<T> = T | Promise<T>;

/** Apply `k` to `value`, now if it is not a promise. */
export function andThen<T, R>(value: MaybePromise<T>, k: (v: T) => MaybePromise<R>): MaybePromise<R> {
  return value instanceof Promise ? value.then(k) : k(value);
}

/** A restart the supervisor owes itself: retried after a failed start, or due after a backoff delay. */
export class PendingRestart extends SystemMessage {
  /** Which child: its id (static strategies) or its old pid (dynamic). */
  readonly key: unknown;
  /** True when the restart was already counted against the intensity (a backoff delay ended). */
  readonly counted: boolean;

  constructor(key: unknown, counted: boolean) {
    super();
    this.key = key;
    this.counted = counted;
  }
}

export abstract class SupervisorCore {
  readonly ctx: ProcessContext;
  readonly spec: ResolvedSupervisorSpec;
  readonly name: string;
  private readonly intensity: RestartIntensity;
  /** Restart stamps per child key, for the backoff delay. */
  private readonly backoffHistory = new Map<unknown, number[]>();

  constructor(ctx: ProcessContext, spec: ResolvedSupervisorSpec, name: string) {
    this.ctx = ctx;
    this.spec = spec;
    this.name = name;
    this.intensity = new RestartIntensity(spec.intensity, spec.periodSeconds);
  }

  /** Start the initial children; a reason to exit with if that failed. */
  abstract init(): Promise<ExitReason | undefined>;
  /** A linked process exited (the supervisor traps exits). */
  abstract onChildExit(pid: Pid, reason: ExitReason): MaybePromise<Outcome>;
  /** A queued restart is due. */
  abstract onPendingRestart(message: PendingRestart): MaybePromise<Outcome>;
  abstract handleCall(request: SupervisorRequest): Promise<SupervisorReply>;
  /** Terminate every child (the supervisor is stopping). */
  abstract terminateAll(): Promise<void>;

  emit(event: WardenEventInput): void {
    const events = this.ctx.runtime.events;
    if (events.wants(event.type)) events.emit(event);
  }

  /** Run a child's start function (OTP's `do_start_child`), emitting what happened. */
  protected startOne(spec: ResolvedChildSpec, arg: unknown, isRestart: boolean): MaybePromise<StartResult> {
    let raw: unknown;
    try {
      raw = spec.start(this.ctx, arg);
    } catch (error) {
      return this.reportStart(spec, { status: 'failed', reason: new Crash(error) }, isRestart);
    }
    if (isThenable(raw)) {
      return Promise.resolve(raw).then(
        (r: unknown) => this.reportStart(spec, checkStartResult(r), isRestart),
        (error: unknown) => this.reportStart(spec, { status: 'failed', reason: new Crash(error) }, isRestart),
      );
    }
    return this.reportStart(spec, checkStartResult(raw), isRestart);
  }

  private reportStart(spec: ResolvedChildSpec, result: StartResult, isRestart: boolean): StartResult {
    const events = this.ctx.runtime.events;
    const type =
      result.status === 'started'
        ? isRestart
          ? 'supervisor.child_restarted'
          : 'supervisor.child_started'
        : result.status === 'ignored'
          ? 'supervisor.child_start_ignored'
          : 'supervisor.child_start_failed';
    if (!events.wants(type)) return result;
    const base = { supervisor: this.ctx.self, name: this.name, childId: spec.id };
    if (result.status === 'started') {
      events.emit({ type: isRestart ? 'supervisor.child_restarted' : 'supervisor.child_started', ...base, pid: result.pid });
    } else if (result.status === 'ignored') {
      events.emit({ type: 'supervisor.child_start_ignored', ...base, restart: isRestart });
    } else {
      events.emit({ type: 'supervisor.child_start_failed', ...base, reason: result.reason, restart: isRestart });
    }
    return result;
  }

  /** Shut one child down per its spec (OTP's `do_terminate`). */
  protected async stopOne(spec: ResolvedChildSpec, pid: Pid): Promise<void> {
    const reason = await shutdownChild(this.ctx, pid, spec.shutdown);
    this.emit({
      type: 'supervisor.child_terminated',
      supervisor: this.ctx.self,
      name: this.name,
      childId: spec.id,
      pid,
      reason,
      expected: isExpectedShutdown(spec.shutdown, spec.restart, reason),
    });
  }

  /** Count one restart; false (and an `escalated` event) if it exceeds the intensity. */
  protected countRestart(childId: string): boolean {
    if (this.intensity.record(this.ctx.clock.now()) === 'ok') return true;
    this.emit({
      type: 'supervisor.escalated',
      supervisor: this.ctx.self,
      name: this.name,
      childId,
      restarts: this.intensity.count,
      intensity: this.spec.intensity,
      periodSeconds: this.spec.periodSeconds,
    });
    return false;
  }

  /**
   * How long to wait before restarting the child with this key (0 without a backoff): grows
   * with the child's own restarts within the intensity period.
   */
  protected backoffDelayMs(key: unknown): number {
    const backoff = this.spec.restartBackoff;
    if (backoff === undefined) return 0;
    const now = this.ctx.clock.now();
    const horizon = now - this.spec.periodSeconds * 1000;
    const stamps = (this.backoffHistory.get(key) ?? []).filter((t) => t > horizon);
    stamps.push(now);
    this.backoffHistory.set(key, stamps);
    return Math.min(backoff.maxMs, backoff.initialMs * backoff.multiplier ** (stamps.length - 1));
  }

  /** Queue a restart for later: at once (a failed start's retry) or after a backoff delay. */
  protected queueRestart(key: unknown, delayMs: number, counted: boolean): void {
    const self = this.ctx.self;
    const runtime = this.ctx.runtime;
    if (delayMs <= 0) {
      runtime.send(self, new PendingRestart(key, counted));
      return;
    }
    const timer = this.ctx.clock.setTimer(delayMs, () => {
      if (runtime.isAlive(self)) runtime.send(self, new PendingRestart(key, counted));
    });
    this.ctx.signal.addEventListener('abort', () => timer.cancel(), { once: true });
  }

  protected autoShutdownEvent(childId: string): void {
    this.emit({ type: 'supervisor.auto_shutdown', supervisor: this.ctx.self, name: this.name, childId });
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function';
}

/** A start function must answer a `StartResult`; anything else is a failed start naming what came back. */
function checkStartResult(value: unknown): StartResult {
  if (typeof value === 'object' && value !== null) {
    const r = value as { status?: unknown; pid?: unknown; reason?: unknown };
    if (r.status === 'started' && isPid(r.pid)) return value as StartResult;
    if (r.status === 'ignored') return value as StartResult;
    if (r.status === 'failed' && 'reason' in r) return value as StartResult;
  }
  return { status: 'failed', reason: { bad_start_result: showValue(value) } };
}
