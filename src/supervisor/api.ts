/**
 * The child API: thin functions that send a request to a supervisor and return its answer
 * (all state changes happen inside the supervisor process). They can be called from any
 * process (pass its `ctx`) or from outside (pass the `Runtime`). Like OTP's, supervisor calls
 * wait as long as the operation takes (`timeoutMs` defaults to Infinity), because terminating
 * a child can legitimately take as long as its shutdown spec allows.
 */
import { InvalidSpecError, stopServer, type Dest, type ExitReason, type Pid, type ProcessContext, type Runtime } from '../runtime/index.ts';
import type {
  ChildCounts,
  ChildInfo,
  ChildOpResult,
  GetChildSpecResult,
  InvalidChildSpecReply,
  RestartChildResult,
  StartChildResult,
  SupervisorRequest,
} from './protocol.ts';
import type { ChildSpec } from './spec.ts';

/** Who makes the call: a process, or the runtime from outside any process. */
export type Caller = Runtime | ProcessContext;

export interface SupervisorCallOptions {
  /** @default Infinity */
  readonly timeoutMs?: number;
}

function ask<R>(caller: Caller, sup: Dest, request: SupervisorRequest, options?: SupervisorCallOptions): Promise<R> {
  return caller.call<R>(sup, request, { timeoutMs: options?.timeoutMs ?? Infinity });
}

/**
 * Add and start a child. For a static supervisor pass a child spec (it goes last in start
 * order); for a dynamic one pass the argument for the template's start function.
 * Throws `InvalidSpecError` if the supervisor rejects the spec.
 */
export async function startChild(caller: Caller, sup: Dest, specOrArg: ChildSpec | unknown, options?: SupervisorCallOptions): Promise<StartChildResult> {
  const reply = await ask<StartChildResult | InvalidChildSpecReply>(caller, sup, { op: 'start_child', payload: specOrArg }, options);
  if (!reply.ok && reply.error === 'invalid_spec') {
    throw new InvalidSpecError('child spec', reply.path, reply.value, reply.why, reply.term);
  }
  return reply;
}

/** Terminate a child (by id; for a dynamic supervisor by pid) and keep its spec (a temporary child's goes). */
export function terminateChild(caller: Caller, sup: Dest, id: string | Pid, options?: SupervisorCallOptions): Promise<ChildOpResult> {
  return ask(caller, sup, { op: 'terminate_child', id }, options);
}

/** Start a stopped child again (not counted toward the intensity). */
export function restartChild(caller: Caller, sup: Dest, id: string, options?: SupervisorCallOptions): Promise<RestartChildResult> {
  return ask(caller, sup, { op: 'restart_child', id }, options);
}

/** Remove a stopped child's spec. */
export function deleteChild(caller: Caller, sup: Dest, id: string, options?: SupervisorCallOptions): Promise<ChildOpResult> {
  return ask(caller, sup, { op: 'delete_child', id }, options);
}

/** The children in start order, with their process or status. */
export function whichChildren(caller: Caller, sup: Dest, options?: SupervisorCallOptions): Promise<readonly ChildInfo[]> {
  return ask(caller, sup, { op: 'which_children' }, options);
}

export function countChildren(caller: Caller, sup: Dest, options?: SupervisorCallOptions): Promise<ChildCounts> {
  return ask(caller, sup, { op: 'count_children' }, options);
}

export function getChildSpec(caller: Caller, sup: Dest, id: string, options?: SupervisorCallOptions): Promise<GetChildSpecResult> {
  return ask(caller, sup, { op: 'get_childspec', id }, options);
}

/**
 * Stop a supervisor: it terminates its children (reverse start order, each per its shutdown
 * spec) and exits with `reason`. Resolves with the reason it exited with.
 */
export function stopSupervisor(runtime: Runtime, sup: Pid | string, reason: ExitReason = 'shutdown', timeoutMs = Infinity): Promise<ExitReason> {
  return stopServer(runtime, sup, reason, timeoutMs);
}
