/**
 * Supervisors with Erlang/OTP's semantics: `one_for_one`, `one_for_all`, `rest_for_one` and
 * `dynamic` (OTP's `simple_one_for_one`); `permanent`, `transient` and `temporary` children;
 * restart intensity with escalation; ordered start and reverse-order shutdown with per-child
 * shutdown specs; automatic shutdown on significant children; and the child API.
 *
 * <!-- docs-test: prelude workers -->
 * ```ts
 * import { Runtime } from 'warden/runtime';
 * import { startSupervisor, supervisor, worker } from 'warden/supervisor';
 *
 * const rt = new Runtime();
 * const root = await startSupervisor(rt, {
 *   strategy: 'one_for_one',
 *   intensity: 3,
 *   periodSeconds: 5,
 *   children: [
 *     { id: 'fetcher', start: worker(fetchLoop) },
 *     { id: 'jobs', start: supervisor({ strategy: 'dynamic', template: { start: worker(runJob), restart: 'transient' } }) },
 *   ],
 * });
 * ```
 */
import './errors.ts';
import './events.ts';

export { supervisor, startSupervisor, SupervisorStartError } from './supervisor-process.ts';
export type { SupervisorStart, SupervisorSource, SupervisorOptions } from './supervisor-process.ts';
export { worker, workerWithInit, server } from './start.ts';
export type { WorkerWithInitOptions } from './start.ts';
export {
  startChild,
  terminateChild,
  restartChild,
  deleteChild,
  whichChildren,
  countChildren,
  getChildSpec,
  stopSupervisor,
} from './api.ts';
export type { Caller, SupervisorCallOptions } from './api.ts';
export { inspectTree } from './inspect.ts';
export type { TreeNode } from './inspect.ts';
export { SUPERVISOR_DEFAULTS, CHILD_DEFAULTS, STRATEGIES, RESTART_TYPES, AUTO_SHUTDOWNS } from './spec.ts';
export type {
  Strategy,
  RestartType,
  Shutdown,
  AutoShutdown,
  ChildType,
  ChildStart,
  ChildSpec,
  ChildTemplate,
  RestartBackoff,
  SupervisorSpec,
  ResolvedChildSpec,
  ResolvedSupervisorSpec,
} from './spec.ts';
export { resolveSupervisorSpec, resolveChildSpec } from './validate.ts';
export { RestartIntensity } from './restart-intensity.ts';
export type {
  StartChildResult,
  ChildOpResult,
  ChildOpError,
  RestartChildResult,
  ChildInfo,
  ChildCounts,
  GetChildSpecResult,
} from './protocol.ts';
export type { SupervisorChildEvent } from './events.ts';
