/**
 * The requests a supervisor answers (sent with `call` by the functions in `api.ts`) and the
 * results they return. Results mirror OTP's, as typed values rather than tuples:
 * `startChild` → `{ ok: true, pid }` (`pid` undefined when the start answered `ignore`) or
 * `{ ok: false, error: 'already_started' | 'already_present' | 'start_failed' }`; the other
 * operations → `{ ok: true }` or `{ ok: false, error: 'not_found' | 'running' | 'restarting' |
 * 'dynamic' }` (`'dynamic'`: not supported by a dynamic supervisor, OTP's `simple_one_for_one`).
 */
import type { ExitReason, Pid, Term } from '../runtime/index.ts';
import type { ChildType, ResolvedChildSpec } from './spec.ts';

export type SupervisorRequest =
  | { readonly op: 'start_child'; readonly payload: unknown }
  | { readonly op: 'terminate_child'; readonly id: string | Pid }
  | { readonly op: 'restart_child'; readonly id: string }
  | { readonly op: 'delete_child'; readonly id: string }
  | { readonly op: 'which_children' }
  | { readonly op: 'count_children' }
  | { readonly op: 'get_childspec'; readonly id: string };

export type StartChildResult =
  | { readonly ok: true; readonly pid: Pid | undefined }
  | { readonly ok: false; readonly error: 'already_started'; readonly pid: Pid }
  | { readonly ok: false; readonly error: 'already_present' }
  | { readonly ok: false; readonly error: 'start_failed'; readonly reason: ExitReason };

export type ChildOpError = 'not_found' | 'running' | 'restarting' | 'dynamic';

export type ChildOpResult = { readonly ok: true } | { readonly ok: false; readonly error: ChildOpError };

export type RestartChildResult =
  | { readonly ok: true; readonly pid: Pid | undefined }
  | { readonly ok: false; readonly error: ChildOpError }
  | { readonly ok: false; readonly error: 'start_failed'; readonly reason: ExitReason };

/** One child as `whichChildren` reports it, in start order. */
export interface ChildInfo {
  /** The child's id (a dynamic supervisor's instances have none). */
  readonly id: string | undefined;
  /** The running process, `'restarting'` while a restart is pending, or undefined when stopped. */
  readonly pid: Pid | 'restarting' | undefined;
  readonly type: ChildType;
}

export interface ChildCounts {
  /** Child specs, running or not (1 for a dynamic supervisor). */
  readonly specs: number;
  /** Children with a live process. */
  readonly active: number;
  readonly supervisors: number;
  readonly workers: number;
}

export type GetChildSpecResult = { readonly ok: true; readonly spec: ResolvedChildSpec } | { readonly ok: false; readonly error: 'not_found' };

/** A start_child whose spec the supervisor rejected; the client turns it into an InvalidSpecError. */
export interface InvalidChildSpecReply {
  readonly ok: false;
  readonly error: 'invalid_spec';
  readonly path: string;
  readonly value: unknown;
  readonly why: string;
  readonly term: Term;
}

export type SupervisorReply =
  | StartChildResult
  | ChildOpResult
  | RestartChildResult
  | readonly ChildInfo[]
  | ChildCounts
  | GetChildSpecResult
  | InvalidChildSpecReply;
