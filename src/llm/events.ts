/**
 * The model layer's events, on the one Warden event stream. Every call emits `llm.request`
 * before each attempt and `llm.response` (usage and cost) after a good one; a failed attempt
 * emits `llm.attempt_failed` (and `llm.stream_error` when a stream broke midway), the next try
 * on the same model `llm.retry`, a move to the next model `llm.fallback`; the call ends with
 * `llm.completed` or `llm.failed`. Errors in events are summaries (`name`, `code`, `status`,
 * redacted `message`), never SDK objects, so no key or header can leak through a listener.
 */
import type { DegradationLevel } from '../resilience/index.ts';
import type { FinishReason, Usage } from './types.ts';

/** A failure as events carry it: JSON-safe and redacted. */
export interface ErrorSummary {
  readonly name: string;
  readonly code?: string;
  readonly status?: number;
  readonly message: string;
}

interface CallEvent {
  /** The client's name. */
  readonly client: string;
  /** Unique per call within the client: `model#12`. */
  readonly callId: string;
  /** The durable run the call is made for, when the caller said (`ModelCallOptions.runId`). */
  readonly runId?: string;
}

/** The fields every attempt's event carries. */
export interface AttemptEvent extends CallEvent {
  readonly provider: string;
  readonly model: string;
  /** Attempt number within the call, across models (1-based). */
  readonly attempt: number;
  readonly stream: boolean;
}

declare module '../runtime/index.ts' {
  interface WardenEventMap {
    /** An attempt is about to be sent; `estimate` is what the budget reserved for it. */
    'llm.request': AttemptEvent & {
      readonly level: 'primary' | 'fallback';
      readonly estimate: { readonly inputTokens: number; readonly outputTokens: number; readonly usd: number | undefined };
      /** This attempt continues text kept from a cut stream. */
      readonly resumed: boolean;
    };
    /** An attempt answered. */
    'llm.response': AttemptEvent & {
      readonly level: 'primary' | 'fallback';
      readonly usage: Usage;
      readonly usageEstimated: boolean;
      readonly costUsd: number | undefined;
      readonly finishReason: FinishReason;
      readonly durationMs: number;
    };
    /** An attempt failed; the policies decide what happens next. */
    'llm.attempt_failed': AttemptEvent & { readonly error: ErrorSummary; readonly retryable: boolean; readonly durationMs: number };
    /** A stream failed after output had been delivered: `discard` (a `reset` delta was sent) or `resume`. */
    'llm.stream_error': AttemptEvent & {
      readonly error: ErrorSummary;
      readonly eventsReceived: number;
      readonly partialTextChars: number;
      readonly action: 'discard' | 'resume';
    };
    /** The same model is tried again after a failure. */
    'llm.retry': AttemptEvent & { readonly after: ErrorSummary };
    /** The call moves on to the next model. */
    'llm.fallback': CallEvent & {
      readonly from: { readonly provider: string; readonly model: string };
      readonly to: { readonly provider: string; readonly model: string };
      readonly error: ErrorSummary;
    };
    /** The call answered (or was queued) at `level`. */
    'llm.completed': CallEvent & {
      readonly level: DegradationLevel;
      readonly attempts: number;
      readonly totalUsage: Usage;
      readonly costUsd: number | undefined;
    };
    /** The call failed for good. */
    'llm.failed': CallEvent & { readonly attempts: number; readonly error: ErrorSummary };
  }
}
