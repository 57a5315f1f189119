/**
 * The degradation ladder every call goes down: the first model (level `primary`), each other
 * model in order (`fallback`), then the cache, the static answer and the queue when configured.
 * The ladder itself is the resilience layer's; this file says what each rung does for a model
 * call. On a model, every attempt runs under that model's policies; moving to the next model
 * voids a partial answer kept from the previous one (text from two models is never joined) and
 * emits `llm.fallback`.
 *
 * A budget refusal (`BUDGET_EXCEEDED`, `BUDGET_NO_PRICING`, `UNPRICED_MODEL`) and a bad request
 * (`INVALID_SPEC`) stop the call where it is: another rung would fail the same way. The caller's
 * abort stops it too (the ladder's own rule). Every other failure moves down the ladder once the
 * model's retries are spent.
 */
import { isWardenError } from '../runtime/index.ts';
import { DegradationLadder, type Candidate } from '../resilience/index.ts';
import { ZERO_USAGE } from './accumulate.ts';
import { runAttempt } from './attempt.ts';
import { cacheKeyOf, type CallState } from './call-state.ts';
import type { ClientSettings, ModelClientOptions } from './client-options.ts';
import type { ModelTarget } from './model-targets.ts';
import { replayAnswer, voidPartial } from './partial-output.ts';
import { describeError } from './redact.ts';
import type { ModelResponse } from './types.ts';

type Failures = readonly { readonly source: string; readonly error: unknown }[];

/** Errors that must stop the call rather than move down the ladder. */
const STOPPERS = new Set(['BUDGET_EXCEEDED', 'BUDGET_NO_PRICING', 'INVALID_SPEC', 'UNPRICED_MODEL']);

/** The ladder of a client over `targets` (at least one), with the levels `options` configures. */
export function buildCallLadder<Q>(
  settings: ClientSettings,
  targets: readonly ModelTarget[],
  options: ModelClientOptions<Q>,
): DegradationLadder<CallState, ModelResponse, Q> {
  const first = targets[0] as ModelTarget;
  const cache = options.cache;
  return new DegradationLadder<CallState, ModelResponse, Q>({
    name: settings.name,
    primary: (s, ctx) => runOnModel(settings, s, first, 0, ctx.signal),
    fallbacks: targets
      .slice(1)
      .map((t, i): Candidate<CallState, ModelResponse> => ({ name: t.label, run: (s, ctx) => runOnModel(settings, s, t, i + 1, ctx.signal) })),
    ...(cache === undefined ? {} : { cache, cacheKey: (s: CallState) => cacheKeyOf(s) }),
    ...(options.staticAnswer === undefined
      ? {}
      : { staticAnswer: (s: CallState, failures: Failures) => staticResponse(s, options.staticAnswer!(s.request, failures)) }),
    ...(options.queue === undefined ? {} : { queue: (s: CallState, failures: Failures) => options.queue!(s.request, failures) }),
    shouldDegrade: (error) => !(isWardenError(error) && STOPPERS.has(error.code)),
    ...(settings.bus === undefined ? {} : { bus: settings.bus }),
  });
}

/** All attempts on one model (`index` in the client's list), under its policies. */
function runOnModel(settings: ClientSettings, state: CallState, target: ModelTarget, index: number, signal: AbortSignal): Promise<ModelResponse> {
  const previous = state.lastTarget;
  if (previous !== undefined && previous !== target) {
    // Moving to another model: a kept partial answer from the previous one is never continued here.
    voidPartial(state, state.lastError);
    const bus = settings.bus;
    if (bus?.wants('llm.fallback')) {
      bus.emit({
        type: 'llm.fallback',
        ...state.ids,
        from: { provider: previous.adapter.name, model: previous.adapter.model },
        to: { provider: target.adapter.name, model: target.adapter.model },
        error: describeError(state.lastError),
      });
    }
  }
  const level = index === 0 ? 'primary' : 'fallback';
  return target.policy
    .execute(({ signal: attemptSignal }) => runAttempt(settings, state, target, level, attemptSignal), signal)
    .catch((error: unknown) => {
      // A policy may refuse without an attempt (an open breaker): the next model still hears why.
      state.lastTarget = target;
      state.lastError = error;
      throw error;
    });
}

/** The static level's answer (`text` from the client's `staticAnswer`), also delivered to a stream. */
function staticResponse(state: CallState, text: string): ModelResponse {
  const response: ModelResponse = {
    id: `static-${state.callId}`,
    provider: 'static',
    model: 'static',
    text,
    toolCalls: [],
    finishReason: 'stop',
    usage: ZERO_USAGE,
    totalUsage: state.totalUsage,
    costUsd: state.costUsd,
    level: 'static',
    attempts: state.attempts,
  };
  replayAnswer(state, response);
  return response;
}
