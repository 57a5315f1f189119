/**
 * Subagent-count monitor: counts what runs of each kind (a supervisor child id, a process label or
 * a key of your own, matched by prefix) and alerts when a kind has more running than its `max`
 * (`subagent_count`), or more starts within `windowMs` than `maxStarts` (`subagent_growth`: the
 * memory-sync incident, where an event fired every few minutes and each firing spawned another
 * sync, silently). Optionally it acts as well:
 *
 * - `refuse`: a start that would pass a bound is refused with {@link SubagentLimitError}. The
 *   refusal happens where starts are asked for: `admit(id)` before spawning, `enter(key)` for
 *   keyed work, or `guardStart(id, start)` around a supervisor child's start function (the start
 *   then fails, so a dynamic supervisor's `startChild` answers `{ ok: false }`);
 * - `stop_newest`: once a kind is over its bound, its newest members are stopped until it is not
 *   (a supervisor child through `terminateChild`, so it is not restarted; a plain process with
 *   a `kill` exit signal; a keyed lease through the `stop` it was entered with).
 *
 * Counting follows the event stream: `process.spawned` (by label) and `supervisor.child_started`
 * / `child_restarted` (by child id) add a member, `process.exited` removes it; one process seen
 * both ways counts once. What was running before the monitor was built is not counted. Alerts go
 * through an {@link AlertGate}, so a burst is one alert per cool-down.
 */
import { z } from 'zod';
import { InvalidSpecError, disposable, realClock, type Clock, type Disposable, type EventBus, type Pid, type Runtime } from '../runtime/index.ts';
import { parseWith } from '../runtime/internal.ts';
import type { Policy, Work } from '../resilience/index.ts';
import { terminateChild, type ChildStart } from '../supervisor/index.ts';
import { AlertGate, type AlertSeverity } from './alert.ts';
import { SubagentLimitError } from './errors.ts';
import { SlidingWindow } from './sliding-window.ts';

export type SubagentAction = 'alert' | 'refuse' | 'stop_newest';

export interface SubagentLimit {
  /** The kind: a child id, process label or key equal to it or starting with it is counted (the longest matching kind wins). */
  readonly kind: string;
  /** Most running at once; more raises `subagent_count`. @default Infinity */
  readonly max?: number;
  /** Most starts within `windowMs`; more raises `subagent_growth`. @default Infinity */
  readonly maxStarts?: number;
  /** The window of `maxStarts`, ms. @default 60_000 */
  readonly windowMs?: number;
  /** What to do besides alerting. @default 'alert' */
  readonly action?: SubagentAction;
  /** @default 'critical' */
  readonly severity?: AlertSeverity;
}

export interface SubagentMonitorOptions {
  /** Name in alerts and events. @default 'subagents' */
  readonly name?: string;
  /** The stream counted from and alerted on. */
  readonly bus: EventBus;
  /** @default realClock */
  readonly clock?: Clock;
  /** Needed to stop processes (a limit with `stop_newest`). */
  readonly runtime?: Runtime;
  readonly limits: readonly SubagentLimit[];
  /** Least time between two alerts of one kind and subject, ms. @default 60_000 */
  readonly cooldownMs?: number;
}

export const SUBAGENT_MONITOR_DEFAULTS = Object.freeze({ name: 'subagents', cooldownMs: 60_000, windowMs: 60_000, action: 'alert', severity: 'critical' });

const limitSchema = z.strictObject({
  kind: z.string().min(1),
  max: z.number().int().min(0).optional(),
  maxStarts: z.number().int().min(0).optional(),
  windowMs: z.number().finite().gt(0).optional(),
  action: z.enum(['alert', 'refuse', 'stop_newest']).optional(),
  severity: z.enum(['warning', 'critical']).optional(),
});
const tunablesSchema = z.strictObject({
  limits: z.array(limitSchema).min(1).optional(),
  cooldownMs: z.number().finite().min(0).optional(),
});

/** What `configure` changes while the monitor runs. */
export type SubagentMonitorTunables = Partial<Pick<SubagentMonitorOptions, 'limits' | 'cooldownMs'>>;

const optionsSchema = z.strictObject({
  name: z.string().min(1).optional(),
  bus: z.custom<EventBus>((v) => typeof (v as EventBus | undefined)?.on === 'function', { message: 'must be an EventBus' }),
  clock: z.custom<Clock>((v) => typeof (v as Clock | undefined)?.now === 'function', { message: 'must be a Clock' }).optional(),
  runtime: z.custom<Runtime>((v) => typeof (v as Runtime | undefined)?.sendExit === 'function', { message: 'must be a Runtime' }).optional(),
  limits: z.array(limitSchema).min(1),
  cooldownMs: z.number().finite().min(0).optional(),
});

interface Member {
  readonly id: string;
  readonly target: string;
  stop: (() => unknown) | undefined;
  stopping: boolean;
}

interface KindState {
  readonly limit: Required<Omit<SubagentLimit, 'max' | 'maxStarts'>> & { readonly max: number; readonly maxStarts: number };
  /** Running members, oldest first. */
  readonly members: Member[];
  readonly starts: SlidingWindow;
}

/** A lease on a keyed member: `dispose()` (or `using`) when the work ends. */
export type SubagentLease = Disposable;

export class SubagentCountMonitor implements Disposable {
  readonly name: string;
  private readonly bus: EventBus;
  private readonly clock: Clock;
  private readonly runtime: Runtime | undefined;
  private readonly gate: AlertGate;
  /** Longest kind first, so the most specific limit wins. */
  private kinds: KindState[];
  private readonly subject: string;
  private readonly subscriptions: Disposable[];
  private leases = 0;

  constructor(options: SubagentMonitorOptions) {
    const subject = typeof options?.name === 'string' ? `subagent monitor "${options.name}"` : 'subagent monitor';
    const o = parseWith(subject, optionsSchema, options);
    this.name = o.name ?? SUBAGENT_MONITOR_DEFAULTS.name;
    this.bus = o.bus;
    this.clock = o.clock ?? realClock;
    this.runtime = o.runtime;
    this.gate = new AlertGate(this.name, this.bus, this.clock, o.cooldownMs ?? SUBAGENT_MONITOR_DEFAULTS.cooldownMs);
    this.subject = subject;
    this.kinds = this.kindStates(o.limits);
    this.subscriptions = [
      this.bus.on('process.spawned', (e) => {
        if (e.label !== undefined) this.started(e.label, String(e.pid), this.killer(e.pid));
      }),
      this.bus.on('supervisor.child_started', (e) => this.started(e.childId, String(e.pid), this.terminator(e.supervisor, e.childId, e.pid))),
      this.bus.on('supervisor.child_restarted', (e) => this.started(e.childId, String(e.pid), this.terminator(e.supervisor, e.childId, e.pid))),
      this.bus.on('process.exited', (e) => this.ended(String(e.pid))),
    ];
  }

  /** How many of `kind` (a configured kind) run now, not counting those being stopped. */
  running(kind: string): number {
    const state = this.kinds.find((k) => k.limit.kind === kind);
    return state === undefined ? 0 : live(state).length;
  }

  /**
   * Ask to start `id`: throws {@link SubagentLimitError} if its kind's action is `refuse` and
   * one more would pass a bound (the alert is raised too). Otherwise returns at once.
   */
  admit(id: string): void {
    const state = this.kindOf(id);
    if (state === undefined || state.limit.action !== 'refuse') return;
    const { limit } = state;
    const running = live(state).length;
    const starts = state.starts.sum(this.clock.now());
    let error: SubagentLimitError | undefined;
    if (running + 1 > limit.max) {
      this.raiseCount(state, running + 1);
      error = new SubagentLimitError(this.name, limit.kind, id, 'max', running, limit.max);
    } else if (starts + 1 > limit.maxStarts) {
      this.raiseGrowth(state, starts + 1);
      error = new SubagentLimitError(this.name, limit.kind, id, 'maxStarts', starts, limit.maxStarts);
    }
    if (error === undefined) return;
    if (this.bus.wants('alert.action_taken'))
      this.bus.emit({ type: 'alert.action_taken', monitor: this.name, subject: limit.kind, action: 'refused', target: id });
    throw error;
  }

  /**
   * Count keyed work of your own (a task that is not a process): `admit(key)`, then a member
   * until the lease is disposed. `stop` is how `stop_newest` stops it.
   */
  enter(key: string, options: { readonly stop?: () => unknown } = {}): SubagentLease {
    this.admit(key);
    const id = `${key}#lease${++this.leases}`;
    this.started(key, id, options.stop);
    return disposable(() => this.ended(id));
  }

  /**
   * A resilience policy that runs each call as a member of `key` (through `enter`): refused with
   * {@link SubagentLimitError} past a bound under `refuse`, and under `stop_newest` stopped by
   * aborting the call's signal with that error. Composes with `wrap` (after a `SpawnGuard`, say).
   */
  policy(key: string): Policy {
    return {
      execute: async <T>(fn: Work<T>, signal?: AbortSignal): Promise<T> => {
        if (signal?.aborted === true) throw signal.reason;
        const controller = new AbortController();
        const onAbort = (): void => controller.abort(signal?.reason);
        signal?.addEventListener('abort', onAbort, { once: true });
        const stop = (): void =>
          controller.abort(
            new SubagentLimitError(this.name, this.kindOf(key)?.limit.kind ?? key, key, 'max', this.running(key), this.kindOf(key)?.limit.max ?? 0),
          );
        const lease = this.enter(key, { stop });
        try {
          if (controller.signal.aborted) throw controller.signal.reason; // stopped as it entered: it is the newest
          return await fn({ signal: controller.signal });
        } finally {
          lease.dispose();
          signal?.removeEventListener('abort', onAbort);
        }
      },
    };
  }

  /** `start` with `admit(id)` first: a refused start fails with reason `{ subagent_limit: <message> }`. */
  guardStart(id: string, start: ChildStart): ChildStart {
    const guarded: ChildStart = (ctx, arg) => {
      try {
        this.admit(id);
      } catch (error) {
        return { status: 'failed', reason: { subagent_limit: (error as Error).message } };
      }
      return start(ctx, arg);
    };
    if (start.childType !== undefined) Object.defineProperty(guarded, 'childType', { value: start.childType });
    return guarded;
  }

  /** Stop counting. */
  dispose(): void {
    for (const s of this.subscriptions) s.dispose();
  }

  [Symbol.dispose](): void {
    this.dispose();
  }

  /**
   * Change the limits or the cool-down while running (bind it to a `HotConfig`); a bad value
   * throws `InvalidSpecError` naming the field and changes nothing. A kind kept keeps what it
   * counts; a new kind counts from now on; a kind left out is no longer counted.
   */
  configure(patch: SubagentMonitorTunables): void {
    const p = parseWith(this.subject, tunablesSchema, patch);
    if (p.limits !== undefined) this.kinds = this.kindStates(p.limits);
    if (p.cooldownMs !== undefined) this.gate.cooldownMs = p.cooldownMs;
    this.bus.emit({ type: 'policy.configured', kind: 'subagent_monitor', policy: this.name, changed: Object.keys(p) });
  }

  /** Checked limits as counting state, the most specific kind first, reusing what the current state counts for a kind kept. */
  private kindStates(limits: readonly z.output<typeof limitSchema>[]): KindState[] {
    const seen = new Set<string>();
    const states = limits.map((l, i) => {
      if (seen.has(l.kind)) throw new InvalidSpecError(this.subject, `limits[${i}].kind`, l.kind, 'is given twice');
      seen.add(l.kind);
      if (l.action === 'stop_newest' && this.runtime === undefined) {
        throw new InvalidSpecError(this.subject, `limits[${i}].action`, l.action, 'needs the runtime option (to stop processes)');
      }
      const windowMs = l.windowMs ?? SUBAGENT_MONITOR_DEFAULTS.windowMs;
      const kept = this.kinds?.find((k) => k.limit.kind === l.kind);
      const starts = kept?.starts ?? new SlidingWindow(windowMs);
      starts.windowMs = windowMs;
      return {
        limit: {
          kind: l.kind,
          max: l.max ?? Infinity,
          maxStarts: l.maxStarts ?? Infinity,
          windowMs,
          action: l.action ?? 'alert',
          severity: l.severity ?? 'critical',
        },
        members: kept?.members ?? [],
        starts,
      } satisfies KindState;
    });
    return states.sort((a, b) => b.limit.kind.length - a.limit.kind.length);
  }

  private kindOf(id: string): KindState | undefined {
    return this.kinds.find((k) => id.startsWith(k.limit.kind));
  }

  private started(id: string, memberId: string, stop: (() => unknown) | undefined): void {
    const state = this.kindOf(id);
    if (state === undefined) return;
    const existing = state.members.find((m) => m.id === memberId);
    if (existing !== undefined) {
      if (stop !== undefined) existing.stop = stop; // seen by label first: a supervisor child is better stopped through its supervisor
      return;
    }
    const now = this.clock.now();
    state.members.push({ id: memberId, target: id, stop, stopping: false });
    state.starts.add(now);
    const { limit } = state;
    const running = live(state).length;
    const starts = state.starts.sum(now);
    const overCount = running > limit.max;
    const overGrowth = starts > limit.maxStarts;
    if (overCount) this.raiseCount(state, running);
    else this.gate.resolve('subagent_count', limit.kind);
    if (overGrowth) this.raiseGrowth(state, starts);
    if (limit.action !== 'stop_newest') return;
    if (overCount) for (const m of live(state).slice(limit.max).reverse()) this.stop(state, m);
    else if (overGrowth) {
      const newest = live(state).at(-1);
      if (newest !== undefined) this.stop(state, newest);
    }
  }

  private ended(memberId: string): void {
    for (const state of this.kinds) {
      const i = state.members.findIndex((m) => m.id === memberId);
      if (i < 0) continue;
      state.members.splice(i, 1);
      if (live(state).length <= state.limit.max) this.gate.resolve('subagent_count', state.limit.kind);
    }
  }

  private stop(state: KindState, member: Member): void {
    member.stopping = true;
    if (this.bus.wants('alert.action_taken')) {
      this.bus.emit({ type: 'alert.action_taken', monitor: this.name, subject: state.limit.kind, action: 'stopped', target: member.target });
    }
    try {
      const stopped = member.stop?.();
      if (stopped instanceof Promise) stopped.catch(() => undefined);
    } catch {
      // The member is already gone, or its stop failed; it is no longer counted either way.
    }
  }

  private raiseCount(state: KindState, value: number): void {
    const { limit } = state;
    this.gate.raise({
      kind: 'subagent_count',
      severity: limit.severity,
      subject: limit.kind,
      message: `${value} "${limit.kind}" running at once (at most ${limit.max})`,
      value,
      threshold: limit.max,
    });
  }

  private raiseGrowth(state: KindState, value: number): void {
    const { limit } = state;
    this.gate.raise({
      kind: 'subagent_growth',
      severity: limit.severity,
      subject: limit.kind,
      message: `${value} "${limit.kind}" started within ${limit.windowMs} ms (at most ${limit.maxStarts})`,
      value,
      threshold: limit.maxStarts,
      windowMs: limit.windowMs,
    });
  }

  private killer(pid: Pid): (() => unknown) | undefined {
    const runtime = this.runtime;
    return runtime === undefined ? undefined : () => runtime.sendExit(pid, 'kill');
  }

  /** Stop a supervisor's child so it is not restarted: by pid (a dynamic supervisor), else by id. */
  private terminator(supervisor: Pid, childId: string, pid: Pid): (() => unknown) | undefined {
    const runtime = this.runtime;
    if (runtime === undefined) return undefined;
    return async () => {
      const byPid = await terminateChild(runtime, supervisor, pid, { timeoutMs: 60_000 });
      if (!byPid.ok) await terminateChild(runtime, supervisor, childId, { timeoutMs: 60_000 });
    };
  }
}

function live(state: KindState): Member[] {
  return state.members.filter((m) => !m.stopping);
}
