/**
 * What a streamed call has already told its caller, and how it is corrected when an attempt
 * fails midway (the client's `streamFailure`):
 * - voided: a `reset` delta says everything since the last `start` is void, and the next attempt
 *   starts over with a new `start`. Always so for output from another model, tool-call
 *   fragments, or an endpoint that cannot continue a message; and for every cut under `'discard'`.
 * - kept: under `'resume'`, text alone (no tool call) cut by a retryable failure, on an endpoint
 *   that continues a trailing assistant message (`supportsPrefill`), is kept for the next attempt
 *   on the same model, which sends it back as that message and appends its own text.
 *
 * A `reset` is sent only when output was delivered since the last `start` (`dirty`), so a caller
 * never sees two in a row. Answers from the cache or the static level reach a stream the same
 * way: any partial output voided, then one `start`, the text and a `finish`.
 */
import type { StreamAccumulator } from './accumulate.ts';
import type { CallState } from './call-state.ts';
import type { ClientSettings, StreamFailurePolicy } from './client-options.ts';
import type { AttemptEvent } from './events.ts';
import type { ModelTarget } from './model-targets.ts';
import { describeError } from './redact.ts';
import type { PreparedRequest } from './request.ts';
import type { ModelResponse } from './types.ts';

/** If output was delivered and not yet voided, send `reset` (the partial answer is void); forget any kept text. */
export function voidPartial(state: CallState, error: unknown): void {
  if (state.push !== undefined && state.dirty) {
    state.push({ type: 'reset', attempt: state.attempts, error: describeError(error) });
  }
  state.dirty = false;
  state.resumeText = '';
  state.resumeTarget = undefined;
}

/** Whether a cut stream's output may be continued by the next attempt on the same model (see the module doc). */
export function canResume(policy: StreamFailurePolicy, supportsPrefill: boolean, received: StreamAccumulator, retryable: boolean): boolean {
  return policy === 'resume' && supportsPrefill && received.calls.length === 0 && received.text !== '' && retryable;
}

/**
 * After a streamed attempt failed having delivered output: report `llm.stream_error`, then keep
 * the text for a resumed attempt on `target` (after what was already kept, `resumeText`) or void it.
 */
export function settlePartialOutput(
  settings: ClientSettings,
  state: CallState,
  target: ModelTarget,
  base: AttemptEvent,
  error: unknown,
  received: StreamAccumulator,
  retryable: boolean,
  resumeText: string,
): void {
  const resume = canResume(settings.streamFailure, target.adapter.supportsPrefill, received, retryable);
  const bus = settings.bus;
  if (bus?.wants('llm.stream_error')) {
    bus.emit({
      type: 'llm.stream_error',
      ...base,
      error: describeError(error),
      eventsReceived: received.events,
      partialTextChars: received.text.length,
      action: resume ? 'resume' : 'discard',
    });
  }
  if (resume) {
    state.resumeText = resumeText + received.text;
    state.resumeTarget = target;
  } else {
    voidPartial(state, error);
  }
}

/** The request of a resumed attempt: the original messages, then the kept text as a trailing assistant message. */
export function withResumedText(prepared: PreparedRequest, resumeText: string): PreparedRequest {
  return { ...prepared, messages: [...prepared.messages, { role: 'assistant', content: resumeText }] };
}

/** A cached or static answer, delivered to a stream as one start, its text and a finish. */
export function replayAnswer(state: CallState, response: ModelResponse): void {
  const push = state.push;
  if (push === undefined) return;
  voidPartial(state, undefined);
  push({ type: 'start', provider: response.provider, model: response.model, level: response.level, attempt: state.attempts, resumed: false });
  if (response.text !== '') push({ type: 'text', text: response.text });
  push({ type: 'finish', finishReason: response.finishReason });
}
