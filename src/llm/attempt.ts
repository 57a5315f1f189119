/**
 * One attempt of a model call: one HTTP call to one model, run inside that model's policies.
 * In order: `llm.retry` when it follows a failure on the same model; the request prepared for
 * this model (with the kept text appended when it resumes a cut stream); the budget hold for its
 * upper bound (input tokens from the prompt's characters plus framing per message, output tokens
 * = the whole output cap, USD from the pricing table), refused before anything is sent; `llm.request`; the call itself, through
 * the provider's rate limiter when there is one, sent whole or streamed; then the metering.
 *
 * A good answer commits its usage before its JSON is checked (it was paid for either way), and
 * emits `llm.response`. A failed attempt commits what a cut stream delivered, or releases the
 * hold when nothing came; emits `llm.attempt_failed`; and leaves a stream's partial output kept
 * or voided (see `partial-output.ts`). The policies around it decide what happens next.
 */
import { isWardenError } from '../runtime/index.ts';
import { estimateTokens, structuredOutput, type AttemptResult } from './adapter.ts';
import { StreamAccumulator, makeUsage } from './accumulate.ts';
import { chargeAttempt, hold, priceOf, reservedPromptTokens, type Hold } from './attempt-budget.ts';
import type { CallState } from './call-state.ts';
import type { ClientSettings } from './client-options.ts';
import type { AttemptEvent } from './events.ts';
import type { ModelTarget } from './model-targets.ts';
import { settlePartialOutput, voidPartial, withResumedText } from './partial-output.ts';
import { describeError } from './redact.ts';
import { promptChars } from './request.ts';
import { consumeStream } from './stream-attempt.ts';
import type { ModelResponse } from './types.ts';

/** One HTTP call: reserve, send (or stream), meter, commit. */
export async function runAttempt(
  settings: ClientSettings,
  state: CallState,
  target: ModelTarget,
  level: 'primary' | 'fallback',
  signal: AbortSignal,
): Promise<ModelResponse> {
  const adapter = target.adapter;
  const attempt = ++state.attempts;
  const bus = settings.bus;
  const base = { ...state.ids, provider: adapter.name, model: adapter.model, attempt, stream: state.stream };
  if (state.lastTarget === target && bus?.wants('llm.retry')) bus.emit({ type: 'llm.retry', ...base, after: describeError(state.lastError) });
  state.lastTarget = target;
  const resumeText = state.resumeTarget === target ? state.resumeText : '';
  if (resumeText === '' && state.dirty) voidPartial(state, state.lastError);
  const first = state.prepared;
  let prepared =
    first !== undefined && first.maxOutputTokens === (state.request.maxOutputTokens ?? adapter.maxOutputTokens) ? first : adapter.prepare(state.request);
  if (resumeText !== '') prepared = withResumedText(prepared, resumeText);
  const inputTokens = estimateTokens(promptChars(prepared));
  // The attempt's upper bound: the prompt (with framing) and the whole output cap, at their prices.
  const reservedInput = reservedPromptTokens(prepared);
  const outputTokens = prepared.maxOutputTokens;
  const estimateUsd = priceOf(settings.pricing, adapter.model, makeUsage(reservedInput, outputTokens, 0));
  const reservation = await hold(state.budgets, {
    ...(estimateUsd === undefined ? {} : { usd: estimateUsd }),
    tokens: reservedInput + outputTokens,
    // One step per call: held by every attempt until one of them spends (a refused 429 does not).
    steps: state.stepCounted ? 0 : 1,
  });
  if (bus?.wants('llm.request')) {
    bus.emit({ type: 'llm.request', ...base, level, estimate: { inputTokens: reservedInput, outputTokens, usd: estimateUsd }, resumed: resumeText !== '' });
  }
  const started = settings.clock.now();
  const acc = state.stream ? new StreamAccumulator() : undefined;
  let result: AttemptResult;
  try {
    const send = async (sig: AbortSignal): Promise<AttemptResult> =>
      acc === undefined ? adapter.send(prepared, sig) : consumeStream(settings, state, target, level, prepared, sig, acc, attempt, resumeText);
    result =
      target.limiter === undefined
        ? await send(signal)
        : await target.limiter.run(
            async (ctx) => {
              const r = await send(ctx.signal);
              ctx.reportTokens(r.usage.totalTokens);
              return r;
            },
            { tokens: inputTokens + outputTokens, signal },
          );
  } catch (error) {
    attemptFailed(settings, state, target, base, error, acc, inputTokens, reservation, started, resumeText);
    // The attempt's own error is the one to report, even if a ledger failed to record the release.
    await reservation?.recorded().catch(() => undefined);
    throw error;
  }
  // Metering: what the attempt cost is committed before the answer is checked.
  const cost = chargeAttempt(state, reservation, settings.pricing, adapter.model, result.usage);
  await reservation?.recorded();
  if (bus?.wants('llm.response')) {
    bus.emit({
      type: 'llm.response',
      ...base,
      level,
      usage: result.usage,
      usageEstimated: result.usageEstimated,
      costUsd: cost,
      finishReason: result.finishReason,
      durationMs: settings.clock.now() - started,
    });
  }
  const text = resumeText + result.text;
  // A JSON answer that does not parse fails here; the delivered stream output stays voidable.
  const output = structuredOutput(adapter.name, result.model, prepared, text, result.toolCalls.length > 0);
  if (resumeText !== '') state.resumedFrom.push({ attempt: attempt - 1, keptText: resumeText });
  state.resumeText = '';
  state.resumeTarget = undefined;
  state.dirty = false;
  return {
    id: result.id,
    provider: adapter.name,
    model: result.model,
    text,
    toolCalls: result.toolCalls,
    ...output,
    finishReason: result.finishReason,
    usage: result.usage,
    totalUsage: state.totalUsage,
    costUsd: state.costUsd,
    level,
    attempts: state.attempts,
    ...(state.resumedFrom.length > 0 ? { resumedFrom: [...state.resumedFrom] } : {}),
  };
}

/** Book-keeping after a failed attempt: budget, usage, events, and the stream's partial output. */
function attemptFailed(
  settings: ClientSettings,
  state: CallState,
  target: ModelTarget,
  base: AttemptEvent,
  error: unknown,
  acc: StreamAccumulator | undefined,
  inputTokens: number,
  reservation: Hold | undefined,
  started: number,
  resumeText: string,
): void {
  const bus = settings.bus;
  state.lastError = error;
  if (acc !== undefined && acc.events > 0) {
    // A stream cut midway was paid for: its input and the output it delivered.
    const delivered = estimateTokens(acc.text.length + acc.calls.reduce((n, c) => n + (c?.args.length ?? 0), 0));
    chargeAttempt(state, reservation, settings.pricing, target.adapter.model, makeUsage(inputTokens, delivered, 0));
  } else {
    reservation?.release();
  }
  const retryable = isWardenError(error) ? error.retryable : false;
  if (bus?.wants('llm.attempt_failed')) {
    bus.emit({ type: 'llm.attempt_failed', ...base, error: describeError(error), retryable, durationMs: settings.clock.now() - started });
  }
  if (acc === undefined || !acc.hasOutput) return;
  settlePartialOutput(settings, state, target, base, error, acc, retryable, resumeText);
}
