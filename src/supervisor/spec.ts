/**
 * Supervisor and child specifications, with every default in one place (OTP's `default_flags`
 * and `default_child_spec`).
 *
 * Supervisor flags:
 * - `strategy`: `one_for_one` (only the terminated child is restarted), `one_for_all` (all
 *   children are terminated and restarted), `rest_for_one` (the child and those started after
 *   it), or `dynamic` (OTP's `simple_one_for_one`: instances of one `template`, started with
 *   `startChild(sup, arg)`, shut down in parallel). @default 'one_for_one'
 * - `intensity` / `periodSeconds`: if more than `intensity` restarts happen within
 *   `periodSeconds`, the supervisor terminates all its children and exits with `shutdown`, and
 *   its parent applies its own strategy (escalation). Restarts are stamped in whole seconds, as
 *   in OTP. @default 1 and 5
 * - `autoShutdown`: `never`, `any_significant` or `all_significant`: exit with `shutdown` when
 *   any / the last significant child ends on its own (a transient one normally, a temporary one
 *   with any reason). @default 'never'
 *
 * Child specs:
 * - `restart`: `permanent` (always restarted), `transient` (restarted only after an abnormal
 *   exit: anything but `normal`, `shutdown` or `{shutdown, term}`), `temporary` (never
 *   restarted, and its spec is dropped when it ends, even when a sibling's failure ended it).
 *   @default 'permanent'
 * - `shutdown`: milliseconds to wait after sending `shutdown` before killing, `brutal_kill`
 *   (kill at once) or `infinity` (wait as long as it takes). @default 5000 for a worker,
 *   'infinity' for a supervisor
 * - `significant`: counts for `autoShutdown`; invalid with `permanent` or with
 *   `autoShutdown: 'never'`. @default false
 * - `type`: `worker` or `supervisor`. @default taken from the start function (`supervisor()`
 *   starts are supervisors), else 'worker'
 */
import type { ProcessContext, StartResult } from '../runtime/index.ts';

export type Strategy = 'one_for_one' | 'one_for_all' | 'rest_for_one' | 'dynamic';
export type RestartType = 'permanent' | 'transient' | 'temporary';
export type Shutdown = number | 'brutal_kill' | 'infinity';
export type AutoShutdown = 'never' | 'any_significant' | 'all_significant';
export type ChildType = 'worker' | 'supervisor';

export const STRATEGIES: readonly Strategy[] = ['one_for_one', 'one_for_all', 'rest_for_one', 'dynamic'];
export const RESTART_TYPES: readonly RestartType[] = ['permanent', 'transient', 'temporary'];
export const AUTO_SHUTDOWNS: readonly AutoShutdown[] = ['never', 'any_significant', 'all_significant'];
export const CHILD_TYPES: readonly ChildType[] = ['worker', 'supervisor'];

/**
 * Starts a child. It runs inside the supervisor's process and must start a process *linked to
 * it* (use `worker()`, `server()`, `supervisor()` or `startLink`). `arg` is the argument given
 * to `startChild` for a dynamic supervisor's instances, `undefined` otherwise.
 */
export interface ChildStart {
  (ctx: ProcessContext, arg: unknown): StartResult | Promise<StartResult>;
  /** The child type this start implies (`supervisor()` sets 'supervisor'). */
  readonly childType?: ChildType;
}

export interface ChildSpec {
  /** Unique among the supervisor's children. */
  readonly id: string;
  readonly start: ChildStart;
  /** @default 'permanent' */
  readonly restart?: RestartType;
  /** @default 5000 for a worker, 'infinity' for a supervisor */
  readonly shutdown?: Shutdown;
  /** @default from `start.childType`, else 'worker' */
  readonly type?: ChildType;
  /** @default false */
  readonly significant?: boolean;
}

/** A dynamic supervisor's template: a child spec whose id is optional (instances are told apart by pid). */
export type ChildTemplate = Omit<ChildSpec, 'id'> & { readonly id?: string };

/** Optional delay before restarting a child that keeps failing (not in OTP; off by default). */
export interface RestartBackoff {
  /** Delay before the first restart of a child within the intensity period. */
  readonly initialMs: number;
  /** Cap on the delay. */
  readonly maxMs: number;
  /** Growth per further restart of the same child within the period. @default 2 */
  readonly multiplier?: number;
}

export interface SupervisorSpec {
  /** Name used in events and the dashboard. @default the supervisor's pid */
  readonly name?: string;
  /** @default 'one_for_one' */
  readonly strategy?: Strategy;
  /** Maximum restarts within `periodSeconds` (an integer >= 0). @default 1 */
  readonly intensity?: number;
  /** Length of the restart window in seconds (an integer > 0). @default 5 */
  readonly periodSeconds?: number;
  /** @default 'never' */
  readonly autoShutdown?: AutoShutdown;
  /** Children in start order (every strategy but `dynamic`). @default [] */
  readonly children?: readonly ChildSpec[];
  /** The instance template (`dynamic` only). */
  readonly template?: ChildTemplate;
  /** Delay restarts of a repeatedly failing child. @default undefined (restart at once, as OTP) */
  readonly restartBackoff?: RestartBackoff;
}

export const SUPERVISOR_DEFAULTS = Object.freeze({
  strategy: 'one_for_one' as Strategy,
  intensity: 1,
  periodSeconds: 5,
  autoShutdown: 'never' as AutoShutdown,
});

export const CHILD_DEFAULTS = Object.freeze({
  restart: 'permanent' as RestartType,
  significant: false,
  workerShutdown: 5000 as Shutdown,
  supervisorShutdown: 'infinity' as Shutdown,
});

/** A child spec with every default applied. */
export interface ResolvedChildSpec {
  readonly id: string;
  readonly start: ChildStart;
  readonly restart: RestartType;
  readonly shutdown: Shutdown;
  readonly type: ChildType;
  readonly significant: boolean;
}

/** A supervisor spec with every default applied, validated and frozen. */
export interface ResolvedSupervisorSpec {
  readonly name: string | undefined;
  readonly strategy: Strategy;
  readonly intensity: number;
  readonly periodSeconds: number;
  readonly autoShutdown: AutoShutdown;
  readonly children: readonly ResolvedChildSpec[];
  readonly template: ResolvedChildSpec | undefined;
  readonly restartBackoff: Required<RestartBackoff> | undefined;
}
