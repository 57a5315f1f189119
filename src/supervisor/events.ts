/**
 * The supervisor's events on the one stream. Every event names the supervisor by pid and by
 * `name` (its spec's name, or its pid when it has none).
 */
import type { ExitReason, Pid } from '../runtime/index.ts';

declare module '../runtime/index.ts' {
  interface WardenEventMap {
    /** A supervisor began its start, before starting any child. */
    'supervisor.starting': { readonly supervisor: Pid; readonly name: string; readonly strategy: string };
    /** A supervisor started all its children. */
    'supervisor.started': { readonly supervisor: Pid; readonly name: string; readonly children: number };
    /** A child was started (at init, or through `startChild`/`restartChild`). */
    'supervisor.child_started': SupervisorChildEvent & { readonly pid: Pid };
    /** A child was started again after it terminated (or as part of a group restart). */
    'supervisor.child_restarted': SupervisorChildEvent & { readonly pid: Pid };
    /** A start function failed (`restart` tells whether it was a restart attempt). */
    'supervisor.child_start_failed': SupervisorChildEvent & { readonly reason: ExitReason; readonly restart: boolean };
    /** A start function answered `ignore`. */
    'supervisor.child_start_ignored': SupervisorChildEvent & { readonly restart: boolean };
    /** A child exited on its own (crash, normal end, external kill). */
    'supervisor.child_exited': SupervisorChildEvent & { readonly pid: Pid; readonly reason: ExitReason };
    /** The supervisor shut a child down. `expected` is false if it ended with another reason than asked. */
    'supervisor.child_terminated': SupervisorChildEvent & {
      readonly pid: Pid;
      readonly reason: ExitReason;
      readonly expected: boolean;
    };
    /** More than `intensity` restarts within `periodSeconds`: the supervisor gives up and exits with `shutdown`. */
    'supervisor.escalated': SupervisorChildEvent & {
      readonly restarts: number;
      readonly intensity: number;
      readonly periodSeconds: number;
    };
    /** A significant child ended and `autoShutdown` makes the supervisor exit. */
    'supervisor.auto_shutdown': SupervisorChildEvent;
    /** A supervisor ended (after terminating its children). */
    'supervisor.stopped': { readonly supervisor: Pid; readonly name: string; readonly reason: ExitReason };
    /** A supervisor received a message it has no use for (it is dropped). */
    'supervisor.unexpected_message': { readonly supervisor: Pid; readonly name: string; readonly message: unknown };
  }
}

export interface SupervisorChildEvent {
  readonly supervisor: Pid;
  readonly name: string;
  readonly childId: string;
}
