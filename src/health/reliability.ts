/**
 * Reliability figures from the event stream: restarts, failures, MTBF and MTTR per child, per
 * supervisor and for the whole tree. {@link reliabilityOf} is a pure function over a list of
 * events; {@link ReliabilityTracker} (reliability-tracker.ts) feeds the same ledger live from a
 * bus, so both give the same figures for the same events.
 *
 * A child (keyed by its supervisor's name and its id) is `up`, `down` or `stopped`:
 * - a **failure** is an abnormal exit (`supervisor.child_exited` whose reason is not `normal`,
 *   `shutdown` or `{ shutdown }`), a start that failed while the child was up, or a child the
 *   health layer restarted or terminated (`health.action_taken`, matched to the
 *   `supervisor.child_terminated` that follows). It moves the child to `down`;
 * - a **repair** is the next `supervisor.child_started` or `child_restarted` of a down child;
 *   its duration (start − failure) is one repair time;
 * - a normal exit, or a termination the supervisor asked for (shutdown, a sibling's restart
 *   under `one_for_all`), moves it to `stopped`: neither up nor down.
 *
 * Figures (null where they would divide by zero):
 * - child MTBF = time up / failures (time up runs to `now` for a child that is up);
 * - child MTTR = total repair time / repairs;
 * - supervisor and tree MTBF = time observed (first event read to `now`) / failures among their
 *   children: the tree has failed whenever any of its children has;
 * - supervisor and tree MTTR = all their repair times / repairs;
 * - `restarts` counts `supervisor.child_restarted` (what the supervisor did, a sibling's group
 *   restart included); `escalations` counts `supervisor.escalated`.
 *
 * Written here: these are Warden's own events; no library knows them.
 */
import { isNormalExit, type ExitReason, type WardenEvent, type WardenEventType } from '../runtime/index.ts';
import './events.ts';

export interface ChildReliability {
  readonly supervisor: string;
  readonly childId: string;
  readonly state: 'up' | 'down' | 'stopped';
  readonly restarts: number;
  readonly failures: number;
  readonly repairs: number;
  readonly upMs: number;
  /** Time spent down, the current outage included. */
  readonly downMs: number;
  readonly mtbfMs: number | null;
  readonly mttrMs: number | null;
  readonly lastFailureAt: number | null;
}

export interface GroupReliability {
  readonly restarts: number;
  readonly failures: number;
  readonly repairs: number;
  readonly escalations: number;
  readonly observedMs: number;
  readonly mtbfMs: number | null;
  readonly mttrMs: number | null;
}

export interface SupervisorReliability extends GroupReliability {
  readonly name: string;
  readonly children: number;
}

export interface ReliabilityReport {
  /** The clock reading the figures run to. */
  readonly at: number;
  readonly tree: GroupReliability & { readonly children: number };
  readonly supervisors: readonly SupervisorReliability[];
  readonly children: readonly ChildReliability[];
}

/** The event kinds the ledger reads (the live tracker subscribes to these only). */
export const RELIABILITY_EVENT_TYPES = [
  'supervisor.child_started',
  'supervisor.child_restarted',
  'supervisor.child_exited',
  'supervisor.child_terminated',
  'supervisor.child_start_failed',
  'supervisor.escalated',
  'health.action_taken',
] as const satisfies readonly WardenEventType[];

const READ = new Set<string>(RELIABILITY_EVENT_TYPES);

interface ChildState {
  readonly supervisor: string;
  readonly childId: string;
  state: 'up' | 'down' | 'stopped';
  since: number;
  restarts: number;
  failures: number;
  repairs: number;
  repairMs: number;
  upMs: number;
  downMs: number;
  lastFailureAt: number | null;
}

interface SupervisorState {
  escalations: number;
}

/** A failure is an exit that is not `normal`, `shutdown` or `{ shutdown: ... }`. */
function isFailure(reason: ExitReason): boolean {
  return !isNormalExit(reason);
}

function ratio(total: number, count: number): number | null {
  return count === 0 ? null : total / count;
}

/** The ledger behind both the pure function and the live tracker. Not exported from the layer. */
export class ReliabilityLedger {
  private readonly children = new Map<string, ChildState>();
  private readonly supervisors = new Map<string, SupervisorState>();
  /** Health restarts/terminations not yet matched to their `child_terminated`: childId → supervisor as named by the action. */
  private readonly pending: { childId: string; names: readonly string[]; at: number }[] = [];
  private firstAt: number | undefined;
  private lastAt: number | undefined;

  apply(event: WardenEvent): void {
    if (!READ.has(event.type)) return;
    this.firstAt ??= event.at;
    this.lastAt = event.at;
    switch (event.type) {
      case 'supervisor.child_started':
      case 'supervisor.child_restarted': {
        const c = this.child(event.name, event.childId, event.at);
        this.close(c, event.at);
        if (c.state === 'down') {
          c.repairs++;
          c.repairMs += event.at - (c.lastFailureAt ?? event.at);
        }
        if (event.type === 'supervisor.child_restarted') c.restarts++;
        c.state = 'up';
        c.since = event.at;
        return;
      }
      case 'supervisor.child_exited': {
        const c = this.child(event.name, event.childId, event.at);
        if (isFailure(event.reason)) this.fail(c, event.at);
        else this.stop(c, event.at);
        return;
      }
      case 'supervisor.child_terminated': {
        const c = this.child(event.name, event.childId, event.at);
        const i = this.pending.findIndex((p) => p.childId === event.childId && (p.names.includes(event.name) || p.names.includes(String(event.supervisor))));
        if (i >= 0) {
          const [p] = this.pending.splice(i, 1);
          this.fail(c, p?.at ?? event.at);
        } else if (c.state !== 'down') this.stop(c, event.at);
        return;
      }
      case 'supervisor.child_start_failed': {
        const c = this.child(event.name, event.childId, event.at);
        if (c.state === 'up') this.fail(c, event.at);
        return;
      }
      case 'supervisor.escalated':
        this.supervisor(event.name).escalations++;
        return;
      case 'health.action_taken':
        if (event.action === 'restart' || event.action === 'terminate') {
          const names = event.supervisorPid === null ? [event.supervisor] : [event.supervisor, event.supervisorPid];
          this.pending.push({ childId: event.childId, names, at: event.at });
        }
        return;
      default:
        return;
    }
  }

  /** The figures up to `now` (default: the last event's time). */
  report(now?: number): ReliabilityReport {
    const at = Math.max(now ?? this.lastAt ?? 0, this.lastAt ?? 0);
    const observedMs = this.firstAt === undefined ? 0 : at - this.firstAt;
    const children = [...this.children.values()].map((c): ChildReliability => {
      const open = at - c.since;
      const upMs = c.upMs + (c.state === 'up' ? open : 0);
      const downMs = c.downMs + (c.state === 'down' ? open : 0);
      return {
        supervisor: c.supervisor,
        childId: c.childId,
        state: c.state,
        restarts: c.restarts,
        failures: c.failures,
        repairs: c.repairs,
        upMs,
        downMs,
        mtbfMs: ratio(upMs, c.failures),
        mttrMs: ratio(c.repairMs, c.repairs),
        lastFailureAt: c.lastFailureAt,
      };
    });
    const group = (members: readonly ChildState[], escalations: number): GroupReliability => {
      const failures = sum(members, (c) => c.failures);
      const repairs = sum(members, (c) => c.repairs);
      return {
        restarts: sum(members, (c) => c.restarts),
        failures,
        repairs,
        escalations,
        observedMs,
        mtbfMs: ratio(observedMs, failures),
        mttrMs: ratio(
          sum(members, (c) => c.repairMs),
          repairs,
        ),
      };
    };
    const all = [...this.children.values()];
    const names = [...new Set([...all.map((c) => c.supervisor), ...this.supervisors.keys()])];
    const supervisors = names.map((name): SupervisorReliability => {
      const members = all.filter((c) => c.supervisor === name);
      return { name, children: members.length, ...group(members, this.supervisors.get(name)?.escalations ?? 0) };
    });
    const escalations = sum([...this.supervisors.values()], (s) => s.escalations);
    return { at, tree: { children: all.length, ...group(all, escalations) }, supervisors, children };
  }

  private child(supervisor: string, childId: string, at: number): ChildState {
    const key = `${supervisor}\u0000${childId}`;
    let c = this.children.get(key);
    if (c === undefined) {
      c = { supervisor, childId, state: 'stopped', since: at, restarts: 0, failures: 0, repairs: 0, repairMs: 0, upMs: 0, downMs: 0, lastFailureAt: null };
      this.children.set(key, c);
    }
    return c;
  }

  private supervisor(name: string): SupervisorState {
    let s = this.supervisors.get(name);
    if (s === undefined) {
      s = { escalations: 0 };
      this.supervisors.set(name, s);
    }
    return s;
  }

  /** Add the time since the last change to the state's total. */
  private close(c: ChildState, at: number): void {
    if (c.state === 'up') c.upMs += at - c.since;
    else if (c.state === 'down') c.downMs += at - c.since;
  }

  private fail(c: ChildState, at: number): void {
    if (c.state === 'down') return; // still down from the failure already counted
    this.close(c, at);
    c.failures++;
    c.lastFailureAt = at;
    c.state = 'down';
    c.since = at;
  }

  private stop(c: ChildState, at: number): void {
    if (c.state === 'down') return; // a down child stays down until it starts again
    this.close(c, at);
    c.state = 'stopped';
    c.since = at;
  }
}

function sum<T>(items: readonly T[], f: (item: T) => number): number {
  let total = 0;
  for (const item of items) total += f(item);
  return total;
}

/**
 * Restarts, failures, MTBF and MTTR from a list of events, up to `now` (default: the last
 * event's time). Events of other kinds are ignored, so a whole recorded stream can be passed.
 *
 * @example
 * ```ts
 * const seen: WardenEvent[] = [];
 * runtime.events.onAny((e) => seen.push(e));
 * // ... later
 * const { tree, children } = reliabilityOf(seen, runtime.clock.now());
 * ```
 */
export function reliabilityOf(events: Iterable<WardenEvent>, now?: number): ReliabilityReport {
  const ledger = new ReliabilityLedger();
  for (const e of events) ledger.apply(e);
  return ledger.report(now);
}
