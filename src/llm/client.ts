/**
 * The resilient model client: one {@link ModelClient} over an ordered list of models (adapters),
 * each behind retry ∘ circuit breaker ∘ timeout, with budgets, usage and cost metering, the
 * degradation ladder and events. This file is the thin client: it builds the parts once and
 * sends each call down the ladder; the doc below is the contract of the whole.
 *
 * A call goes down the ladder: the first model (level `primary`), then each other model in
 * order (`fallback`), then the cache, a static answer and the queue when configured. On each
 * model, every attempt is one HTTP call: the budget reserves its estimate first (input tokens
 * estimated from the prompt's characters, output tokens = the request's output cap, USD from the
 * pricing table), so an over-budget call is refused with `BudgetExceededError` before anything
 * is sent; after the attempt the actual usage is committed (a failed attempt that produced
 * nothing releases its reservation; a stream cut midway commits its input estimate and the
 * output it delivered). A budget refusal, a bad request (`INVALID_SPEC`) and the caller's abort
 * stop the call; other failures move down the ladder once the model's retries are spent.
 *
 * Streams and failure midway (`streamFailure`):
 * - `'discard'` (default): when an attempt fails after delivering output, a `reset` delta is
 *   sent: everything since the last `start` is void. The next attempt (retry or fallback) begins
 *   with a new `start` and its output alone makes the answer. Nothing is spliced.
 * - `'resume'`: when an attempt fails after delivering text (and no tool-call fragment), and the
 *   same model is tried again on an endpoint that continues a trailing assistant message
 *   (`supportsPrefill`: Anthropic, vLLM, Ollama, the simulated server), the text received so far
 *   is kept: the retry sends the original messages plus that text as a trailing assistant
 *   message, announces itself with `start { resumed: true }`, and its text is appended. The
 *   answer's `resumedFrom` lists what was kept from which attempt. In every other case (tool
 *   calls in the partial output, no prefill support, or the call moving to another model) the
 *   partial output is discarded as above: text from two models is never joined.
 *
 * A single model with no other level rethrows its own error; with several levels, a call that
 * fails everywhere throws `FallbackExhaustedError` listing each level's error.
 *
 * Nothing here re-implements a policy: retry, breaker, timeout, budget, limiter and ladder are the
 * resilience layer's. What the model layer adds is the book-keeping around them, which no
 * library does, one concern per file:
 * - `client-options.ts`: the options, their defaults and checks, resolved once;
 * - `model-targets.ts`: each model behind its policies (the policy assembly);
 * - `call-ladder.ts`: what each level of the ladder does for a call, and what stops it;
 * - `attempt.ts`: one attempt, from its budget hold to its metered answer;
 * - `attempt-budget.ts`: which scopes a call reserves in, and what each attempt holds and commits;
 * - `stream-attempt.ts`: a streamed attempt's deltas and idle timeout;
 * - `partial-output.ts`: which delivered deltas to void or keep when a stream fails midway;
 * - `call-state.ts`: what one call carries through all of these.
 */
import type { Clock } from '../runtime/index.ts';
import { FallbackExhaustedError, type CircuitBreaker, type DegradationLadder } from '../resilience/index.ts';
import { budgetsOf, checkCallBudget } from './attempt-budget.ts';
import { buildCallLadder } from './call-ladder.ts';
import { newCallState, type CallState } from './call-state.ts';
import { resolveClientOptions, type ClientSettings, type ModelClientOptions } from './client-options.ts';
import { createModelStream, type Push } from './model-stream.ts';
import { buildTargets, type ModelTarget } from './model-targets.ts';
import { replayAnswer, voidPartial } from './partial-output.ts';
import { describeError } from './redact.ts';
import type { ModelCallOptions, ModelClient, ModelRequest, ModelResponse, ModelResult, ModelStream, QueuedResult } from './types.ts';
import './events.ts';

export class ResilientModelClient<Q = never> implements ModelClient<Q> {
  readonly name: string;
  readonly clock: Clock;
  /** The models with their breakers, in order (for inspection: `client.breakers[0].state`). */
  readonly breakers: readonly (CircuitBreaker | undefined)[];
  private readonly settings: ClientSettings;
  private readonly targets: readonly ModelTarget[];
  /** Whether the call can end anywhere but its one model (a lone model's error is rethrown as is). */
  private readonly hasOtherLevels: boolean;
  private readonly ladder: DegradationLadder<CallState, ModelResponse, Q>;
  private seq = 0;

  constructor(options: ModelClientOptions<Q>) {
    const settings = resolveClientOptions(options);
    this.settings = settings;
    this.name = settings.name;
    this.clock = settings.clock;
    const { targets, breakers } = buildTargets(settings, options);
    this.targets = targets;
    this.breakers = breakers;
    this.hasOtherLevels = targets.length > 1 || options.cache !== undefined || options.staticAnswer !== undefined || options.queue !== undefined;
    this.ladder = buildCallLadder(settings, targets, options);
  }

  async complete(request: ModelRequest, options: ModelCallOptions = {}): Promise<ModelResult<Q>> {
    const state = this.newState(request, false, undefined, options);
    return this.run(state, options.signal);
  }

  stream(request: ModelRequest, options: ModelCallOptions = {}): ModelStream<Q> {
    return createModelStream<Q>((push, signal) => this.run(this.newState(request, true, push, options), signal), options.signal);
  }

  private newState(request: ModelRequest, stream: boolean, push: Push | undefined, options: ModelCallOptions): CallState {
    const settings = this.settings;
    const { budget, runId } = options;
    checkCallBudget(this.name, budget, settings.pricing);
    const ids = { client: this.name, callId: `${this.name}#${++this.seq}`, ...(runId === undefined ? {} : { runId }) };
    return newCallState(ids, request, budgetsOf(budget, settings.budget), stream, push, settings.pricing !== undefined);
  }

  /** The call down the ladder, and its answer as the level that gave it. */
  private async run(state: CallState, signal: AbortSignal | undefined): Promise<ModelResult<Q>> {
    // Validate before anything is sent or reserved: a bad request is the caller's bug.
    state.prepared = (this.targets[0] as ModelTarget).adapter.prepare(state.request);
    const bus = this.settings.bus;
    let outcome;
    try {
      outcome = await this.ladder.execute(state, signal);
    } catch (error) {
      voidPartial(state, error);
      const thrown = error instanceof FallbackExhaustedError && !this.hasOtherLevels && error.failures.length === 1 ? error.failures[0]?.error : error;
      if (bus?.wants('llm.failed')) bus.emit({ type: 'llm.failed', ...state.ids, attempts: state.attempts, error: describeError(thrown) });
      throw thrown;
    }
    let result: ModelResponse | QueuedResult<Q>;
    switch (outcome.level) {
      case 'primary':
      case 'fallback':
      case 'static':
        result = { ...outcome.value, level: outcome.level };
        break;
      case 'cache':
        result = { ...outcome.value, level: 'cache', attempts: state.attempts, totalUsage: state.totalUsage, costUsd: state.costUsd };
        if (state.push !== undefined) replayAnswer(state, result);
        break;
      case 'queued':
        result = { level: 'queued', ticket: outcome.ticket, attempts: state.attempts };
        break;
    }
    if (bus?.wants('llm.completed')) {
      bus.emit({
        type: 'llm.completed',
        ...state.ids,
        level: result.level,
        attempts: state.attempts,
        totalUsage: state.totalUsage,
        costUsd: state.costUsd,
      });
    }
    return result as ModelResult<Q>;
  }
}

/**
 * A model client with retry, breakers, timeouts, fallback across models, budgets, metering and
 * events.
 *
 * @example
 * ```ts
 * const client = createModelClient({
 *   models: [openaiChat({ model: 'gpt-4o-mini' }), anthropicMessages({ model: 'claude-3-5-haiku-latest' })],
 *   budget: new Budget({ scope: 'run', limits: { usd: 0.5 } }),
 *   pricing: { 'gpt-4o-mini': { inputPerMTok: 0.15, outputPerMTok: 0.6 }, 'claude-3-5-haiku-latest': { inputPerMTok: 0.8, outputPerMTok: 4 } },
 * });
 * const answer = await client.complete({ messages: [{ role: 'user', content: 'Summarise OTP in one line.' }] });
 * console.log(answer.text, answer.level, answer.costUsd);
 * ```
 */
export function createModelClient<Q = never>(options: ModelClientOptions<Q>): ResilientModelClient<Q> {
  return new ResilientModelClient(options);
}
