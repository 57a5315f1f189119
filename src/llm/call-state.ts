/**
 * What one model call carries down the ladder and through its attempts: the request, the budget
 * scopes it reserves in, the stream it feeds, its running totals, and what a failed attempt left
 * for the next one (the last target and error, text kept to resume). One object per call, owned
 * by that call alone; the ladder, the attempts and the stream book-keeping change it in turn,
 * never at the same time.
 */
import type { Budget } from '../resilience/index.ts';
import { stableHash } from '../resilience/index.ts';
import { ZERO_USAGE } from './accumulate.ts';
import type { CallTotals } from './attempt-budget.ts';
import type { Push } from './model-stream.ts';
import type { ModelTarget } from './model-targets.ts';
import type { PreparedRequest } from './request.ts';
import type { ModelRequest, Usage } from './types.ts';

export interface CallState extends CallTotals {
  /** Unique within the client: `model#12`. */
  readonly callId: string;
  /** What every event of the call names it by: the client, the call id, and the run it is made for (if any). */
  readonly ids: { readonly client: string; readonly callId: string; readonly runId?: string };
  readonly request: ModelRequest;
  /** The budget scopes every attempt reserves in: the call's own and/or the client's. */
  readonly budgets: readonly Budget[];
  /** The request validated and converted for the first model (reused when another model's output cap is the same). */
  prepared: PreparedRequest | undefined;
  readonly stream: boolean;
  /** Where a streamed call's deltas go (`undefined` for `complete`). */
  readonly push: Push | undefined;
  /** Attempts so far, across models. */
  attempts: number;
  totalUsage: Usage;
  costUsd: number | undefined;
  /** Text kept from a cut stream, waiting for a resumed attempt on `resumeTarget`. */
  resumeText: string;
  resumeTarget: ModelTarget | undefined;
  /** What each resumed attempt kept, for the answer's `resumedFrom`. */
  resumedFrom: { attempt: number; keptText: string }[];
  /** The target tried last and the last error (for retry/fallback events). */
  lastTarget: ModelTarget | undefined;
  lastError: unknown;
  /** Output deltas pushed since the last `start`, not yet voided. */
  dirty: boolean;
  /** The call's one budget step has been committed (by the first attempt that spent anything). */
  stepCounted: boolean;
}

/** A call before its first attempt. `costUsd` starts at 0 when the client prices, else stays undefined. */
export function newCallState(
  ids: CallState['ids'],
  request: ModelRequest,
  budgets: readonly Budget[],
  stream: boolean,
  push: Push | undefined,
  priced: boolean,
): CallState {
  return {
    callId: ids.callId,
    ids,
    request,
    budgets,
    prepared: undefined,
    stream,
    push,
    attempts: 0,
    totalUsage: ZERO_USAGE,
    costUsd: priced ? 0 : undefined,
    resumeText: '',
    resumeTarget: undefined,
    resumedFrom: [],
    lastTarget: undefined,
    lastError: undefined,
    dirty: false,
    stepCounted: false,
  };
}

/** The cache key of a call: its validated request as plain data (schemas as JSON Schema). */
export function cacheKeyOf(state: CallState): string {
  const p = state.prepared;
  if (p === undefined) return stableHash({ messages: state.request.messages });
  return stableHash({ ...p, responseFormat: p.responseFormat === undefined ? undefined : { ...p.responseFormat, validate: undefined } });
}
