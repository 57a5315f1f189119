/**
 * The resilient model client: one {@link ModelClient} over an ordered list of models (adapters),
 * each behind retry ∘ circuit breaker ∘ timeout, with budgets, usage and cost metering, the
 * degradation ladder and events. It is built from the resilience layer's policies; this file
 * only wires them around model calls.
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
 * resilience layer's. What is this file's own is the model-call book-keeping around them (what
 * to reserve and commit, which deltas to void or keep), which no library does.
 */
import { z } from 'zod';
import { InvalidSpecError, isWardenError, realClock, systemRandom, type Clock, type EventBus, type Random } from '../runtime/index.ts';
import {
  Budget,
  CircuitBreaker,
  DegradationLadder,
  FallbackExhaustedError,
  ProviderLimiter,
  Retry,
  Timeout,
  costUsd,
  parseWith,
  stableHash,
  wrap,
  type BreakerOptions,
  type Candidate,
  type PricingTable,
  type Policy,
  type Reservation,
  type Spend,
  type ResultCache,
  type RetryTunables,
} from '../resilience/index.ts';
import { ProviderAdapter, estimateTokens, resultFromStream, structuredOutput, type AttemptResult, type StreamMeta } from './adapter.ts';
import { StreamAccumulator, ZERO_USAGE, addUsage, makeUsage } from './accumulate.ts';
import { StreamStalledError } from './errors.ts';
import type { ErrorSummary } from './events.ts';
import { createModelStream, type Push } from './model-stream.ts';
import { describeError } from './redact.ts';
import { promptChars, type PreparedRequest } from './request.ts';
import type { ModelCallOptions, ModelClient, ModelRequest, ModelResponse, ModelResult, ModelStream, QueuedResult, Usage } from './types.ts';
import './events.ts';

export type StreamFailurePolicy = 'discard' | 'resume';

export interface ModelClientOptions<Q = never> {
  /** Name in events and errors. @default 'model' */
  readonly name?: string;
  /** Models in order of preference: the first is `primary`, the others are fallbacks. */
  readonly models: readonly ProviderAdapter[];
  /** Retry options for every model, or `false` for one attempt per model. @default { maxAttempts: 3 } */
  readonly retry?: Partial<Omit<RetryTunables, 'name'>> | false;
  /** Breaker options (one breaker per model, named `provider:model`), or `false`. @default consecutive 5 failures, open 30 s */
  readonly breaker?: Omit<BreakerOptions, 'name' | 'clock' | 'bus'> | false;
  /** Deadline of each attempt (a stream's whole attempt included), ms. @default 120_000 */
  readonly timeoutMs?: number;
  /** Longest gap between two stream events, ms. @default 30_000 */
  readonly streamIdleTimeoutMs?: number;
  /** What happens to a stream's partial output when it fails midway (see the module doc). @default 'discard' */
  readonly streamFailure?: StreamFailurePolicy;
  /** Budget scope every attempt reserves from and commits to. @default none */
  readonly budget?: Budget;
  /** Prices for cost metering (required when the budget caps USD). @default none (costUsd undefined) */
  readonly pricing?: PricingTable;
  /** Rate limiters by provider name (an adapter's `name`). @default none */
  readonly limiters?: Readonly<Record<string, ProviderLimiter>>;
  /** Ladder level: serve a stored good answer for the same request. @default none */
  readonly cache?: ResultCache<ModelResponse>;
  /** Ladder level: a fixed answer text. @default none */
  readonly staticAnswer?: (request: ModelRequest, failures: readonly { readonly source: string; readonly error: unknown }[]) => string;
  /** Ladder level: park the request and return a ticket. @default none */
  readonly queue?: (request: ModelRequest, failures: readonly { readonly source: string; readonly error: unknown }[]) => PromiseLike<Q> | Q;
  readonly clock?: Clock;
  readonly random?: Random;
  readonly bus?: EventBus;
}

export const MODEL_CLIENT_DEFAULTS = Object.freeze({
  name: 'model',
  retry: Object.freeze({ maxAttempts: 3 }),
  breaker: Object.freeze({ trip: Object.freeze({ kind: 'consecutive', failures: 5 }), openMs: 30_000 }),
  timeoutMs: 120_000,
  streamIdleTimeoutMs: 30_000,
  streamFailure: 'discard' as StreamFailurePolicy,
});

const optionsSchema = z.strictObject({
  name: z.string().min(1).optional(),
  models: z.array(z.custom<ProviderAdapter>((v) => v instanceof ProviderAdapter, { message: 'must be a model adapter (openaiChat, anthropicMessages)' })).min(1),
  retry: z.union([z.literal(false), z.record(z.string(), z.unknown())]).optional(),
  breaker: z.union([z.literal(false), z.record(z.string(), z.unknown())]).optional(),
  timeoutMs: z.number().gt(0).optional(),
  streamIdleTimeoutMs: z.number().gt(0).optional(),
  streamFailure: z.enum(['discard', 'resume']).optional(),
  budget: z.custom<Budget>((v) => v instanceof Budget, { message: 'must be a Budget' }).optional(),
  pricing: z.record(z.string(), z.unknown()).optional(),
  limiters: z.record(z.string(), z.custom<ProviderLimiter>((v) => v instanceof ProviderLimiter, { message: 'must be a ProviderLimiter' })).optional(),
  cache: z.custom<ResultCache<ModelResponse>>((v) => typeof v === 'object' && v !== null && typeof (v as { get?: unknown }).get === 'function', { message: 'must be a cache (get, set)' }).optional(),
  staticAnswer: z.custom<(...a: never[]) => unknown>((v) => typeof v === 'function', { message: 'must be a function' }).optional(),
  queue: z.custom<(...a: never[]) => unknown>((v) => typeof v === 'function', { message: 'must be a function' }).optional(),
  clock: z.custom<Clock>((v) => typeof (v as Clock | undefined)?.now === 'function', { message: 'must be a Clock' }).optional(),
  random: z.custom<Random>((v) => typeof v === 'function', { message: 'must be a function' }).optional(),
  bus: z.custom<EventBus>((v) => typeof (v as EventBus | undefined)?.emit === 'function', { message: 'must be an EventBus' }).optional(),
});

/** One model in the client: its adapter and policies. */
interface Target {
  readonly adapter: ProviderAdapter;
  readonly label: string;
  readonly policy: Policy;
  readonly limiter: ProviderLimiter | undefined;
}

/** What one call carries through the ladder and its attempts. */
interface CallState {
  readonly callId: string;
  readonly request: ModelRequest;
  /** The budget scopes every attempt reserves in: the call's own and/or the client's. */
  readonly budgets: readonly Budget[];
  /** The request validated and converted for the first model (reused when another model's output cap is the same). */
  prepared: PreparedRequest | undefined;
  readonly stream: boolean;
  readonly push: Push | undefined;
  attempts: number;
  totalUsage: Usage;
  costUsd: number | undefined;
  /** Text kept from a cut stream, waiting for a resumed attempt on `resumeTarget`. */
  resumeText: string;
  resumeTarget: Target | undefined;
  resumedFrom: { attempt: number; keptText: string }[];
  /** The target tried last and the last error (for retry/fallback events). */
  lastTarget: Target | undefined;
  lastError: unknown;
  /** Output deltas pushed since the last `start`, not yet voided. */
  dirty: boolean;
  /** The call's one budget step has been committed (by the first attempt that spent anything). */
  stepCounted: boolean;
}

/** Errors that must stop the call rather than move down the ladder. */
const STOPPERS = new Set(['BUDGET_EXCEEDED', 'BUDGET_NO_PRICING', 'INVALID_SPEC', 'UNPRICED_MODEL']);

function summary(error: unknown): ErrorSummary {
  return describeError(error);
}

/** The cache key of a call: its validated request as plain data (schemas as JSON Schema). */
function cacheKeyOf(state: CallState): string {
  const p = state.prepared;
  if (p === undefined) return stableHash({ messages: state.request.messages });
  return stableHash({ ...p, responseFormat: p.responseFormat === undefined ? undefined : { ...p.responseFormat, validate: undefined } });
}

function budgetCapsUsd(budget: Budget | undefined): boolean {
  for (let b = budget; b !== undefined; b = b.parent) if (b.config.limits.usd !== undefined) return true;
  return false;
}

/** The scopes a call reserves in: its own and the client's, the client's only once when it is the call's scope or above it. */
function budgetsOf(call: Budget | undefined, client: Budget | undefined): readonly Budget[] {
  if (call === undefined) return client === undefined ? [] : [client];
  if (client === undefined) return [call];
  for (let b: Budget | undefined = call; b !== undefined; b = b.parent) if (b === client) return [call];
  return [call, client];
}

/** Reservations of one attempt in every scope of the call; all or none. */
interface Hold {
  commit(spend: Spend): void;
  release(): void;
}

function hold(budgets: readonly Budget[], estimate: Spend): Hold | undefined {
  if (budgets.length === 0) return undefined;
  const held: Reservation[] = [];
  try {
    for (const b of budgets) held.push(b.reserve(estimate));
  } catch (e) {
    for (const r of held) r.release();
    throw e;
  }
  return {
    commit: (spend) => held.forEach((r) => r.commit(spend)),
    release: () => held.forEach((r) => r.release()),
  };
}

export class ResilientModelClient<Q = never> implements ModelClient<Q> {
  readonly name: string;
  readonly clock: Clock;
  /** The models with their breakers, in order (for inspection: `client.breakers[0].state`). */
  readonly breakers: readonly (CircuitBreaker | undefined)[];
  private readonly targets: readonly Target[];
  private readonly bus: EventBus | undefined;
  private readonly budget: Budget | undefined;
  private readonly pricing: PricingTable | undefined;
  private readonly idleMs: number;
  private readonly streamFailure: StreamFailurePolicy;
  private readonly o: ModelClientOptions<Q>;
  private readonly hasOtherLevels: boolean;
  private readonly ladder: DegradationLadder<CallState, ModelResponse, Q>;
  private seq = 0;

  constructor(options: ModelClientOptions<Q>) {
    const subject = typeof options.name === 'string' ? `model client "${options.name}"` : 'model client';
    const o = parseWith(subject, optionsSchema, options);
    this.o = options;
    this.name = o.name ?? MODEL_CLIENT_DEFAULTS.name;
    this.clock = o.clock ?? realClock;
    this.bus = o.bus;
    this.budget = o.budget;
    this.pricing = o.pricing as PricingTable | undefined;
    this.idleMs = o.streamIdleTimeoutMs ?? MODEL_CLIENT_DEFAULTS.streamIdleTimeoutMs;
    this.streamFailure = o.streamFailure ?? MODEL_CLIENT_DEFAULTS.streamFailure;
    if (budgetCapsUsd(this.budget) && this.pricing === undefined) {
      throw new InvalidSpecError(subject, 'pricing', undefined, 'is required when the budget caps usd (costs could not be counted)');
    }
    if (this.pricing !== undefined) {
      options.models.forEach((m, i) => {
        if (this.pricing?.[m.model] === undefined && this.pricing?.['*'] === undefined) {
          throw new InvalidSpecError(subject, `models[${i}]`, m.model, "has no price in `pricing` (add it or a '*' entry)");
        }
      });
    }
    const random: Random = o.random ?? systemRandom;
    const seen = new Set<string>();
    const breakers: (CircuitBreaker | undefined)[] = [];
    this.targets = options.models.map((adapter, i) => {
      const label = `${adapter.name}:${adapter.model}`;
      if (seen.has(label)) throw new InvalidSpecError(subject, `models[${i}]`, label, 'must not repeat a provider and model already listed');
      seen.add(label);
      const wiring = { clock: this.clock, ...(this.bus === undefined ? {} : { bus: this.bus }) };
      const parts: Policy[] = [];
      if (options.retry !== false) parts.push(new Retry({ ...MODEL_CLIENT_DEFAULTS.retry, ...(options.retry ?? {}), name: `${this.name}:${label}`, random, ...wiring }));
      const breaker = options.breaker === false ? undefined : new CircuitBreaker({ ...MODEL_CLIENT_DEFAULTS.breaker, ...(options.breaker ?? {}), name: label, ...wiring });
      breakers.push(breaker);
      if (breaker !== undefined) parts.push(breaker);
      parts.push(new Timeout({ timeoutMs: o.timeoutMs ?? MODEL_CLIENT_DEFAULTS.timeoutMs, name: `${this.name}:${label}`, ...wiring }));
      return { adapter, label, policy: wrap(...parts), limiter: options.limiters?.[adapter.name] };
    });
    this.breakers = breakers;
    this.hasOtherLevels = this.targets.length > 1 || options.cache !== undefined || options.staticAnswer !== undefined || options.queue !== undefined;
    const first = this.targets[0] as Target;
    this.ladder = new DegradationLadder<CallState, ModelResponse, Q>({
      name: this.name,
      primary: (s, ctx) => this.runTarget(s, first, 0, ctx.signal),
      fallbacks: this.targets.slice(1).map(
        (t, i): Candidate<CallState, ModelResponse> => ({ name: t.label, run: (s, ctx) => this.runTarget(s, t, i + 1, ctx.signal) }),
      ),
      ...(options.cache === undefined ? {} : { cache: options.cache, cacheKey: (s: CallState) => cacheKeyOf(s) }),
      ...(options.staticAnswer === undefined
        ? {}
        : { staticAnswer: (s: CallState, failures: readonly { source: string; error: unknown }[]) => this.staticResponse(s, failures) }),
      ...(options.queue === undefined ? {} : { queue: (s: CallState, failures: readonly { source: string; error: unknown }[]) => (options.queue as NonNullable<ModelClientOptions<Q>['queue']>)(s.request, failures) }),
      shouldDegrade: (error) => !(isWardenError(error) && STOPPERS.has(error.code)),
      ...(this.bus === undefined ? {} : { bus: this.bus }),
    });
  }

  async complete(request: ModelRequest, options: ModelCallOptions = {}): Promise<ModelResult<Q>> {
    const state = this.newState(request, false, undefined, options.budget);
    return this.run(state, options.signal);
  }

  stream(request: ModelRequest, options: ModelCallOptions = {}): ModelStream<Q> {
    return createModelStream<Q>((push, signal) => this.run(this.newState(request, true, push, options.budget), signal), options.signal);
  }

  private newState(request: ModelRequest, stream: boolean, push: Push | undefined, budget: Budget | undefined): CallState {
    if (budget !== undefined && !(budget instanceof Budget)) {
      throw new InvalidSpecError(`model client "${this.name}"`, 'options.budget', budget, 'must be a Budget');
    }
    if (budget !== undefined && this.pricing === undefined && budgetCapsUsd(budget)) {
      throw new InvalidSpecError(`model client "${this.name}"`, 'options.budget', budget.scope, 'caps usd, but the client has no `pricing` to count costs with');
    }
    return {
      callId: `${this.name}#${++this.seq}`,
      request,
      budgets: budgetsOf(budget, this.budget),
      prepared: undefined,
      stream,
      push,
      attempts: 0,
      totalUsage: ZERO_USAGE,
      costUsd: this.pricing === undefined ? undefined : 0,
      resumeText: '',
      resumeTarget: undefined,
      resumedFrom: [],
      lastTarget: undefined,
      lastError: undefined,
      dirty: false,
      stepCounted: false,
    };
  }

  private async run(state: CallState, signal: AbortSignal | undefined): Promise<ModelResult<Q>> {
    // Validate before anything is sent or reserved: a bad request is the caller's bug.
    state.prepared = (this.targets[0] as Target).adapter.prepare(state.request);
    const ladder = this.ladder;
    let outcome;
    try {
      outcome = await ladder.execute(state, signal);
    } catch (error) {
      this.voidPartial(state, error);
      const thrown = error instanceof FallbackExhaustedError && !this.hasOtherLevels && error.failures.length === 1 ? error.failures[0]?.error : error;
      if (this.bus?.wants('llm.failed')) this.bus.emit({ type: 'llm.failed', client: this.name, callId: state.callId, attempts: state.attempts, error: summary(thrown) });
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
        if (state.push !== undefined) this.replay(state, result);
        break;
      case 'queued':
        result = { level: 'queued', ticket: outcome.ticket, attempts: state.attempts };
        break;
    }
    if (this.bus?.wants('llm.completed')) {
      this.bus.emit({ type: 'llm.completed', client: this.name, callId: state.callId, level: result.level, attempts: state.attempts, totalUsage: state.totalUsage, costUsd: state.costUsd });
    }
    return result as ModelResult<Q>;
  }

  /** A cached or static answer, delivered to a stream as one start, its text and a finish. */
  private replay(state: CallState, response: ModelResponse): void {
    const push = state.push;
    if (push === undefined) return;
    this.voidPartial(state, undefined);
    push({ type: 'start', provider: response.provider, model: response.model, level: response.level, attempt: state.attempts, resumed: false });
    if (response.text !== '') push({ type: 'text', text: response.text });
    push({ type: 'finish', finishReason: response.finishReason });
  }

  private staticResponse(state: CallState, _failures: readonly { source: string; error: unknown }[]): ModelResponse {
    const text = (this.o.staticAnswer as NonNullable<ModelClientOptions<Q>['staticAnswer']>)(state.request, _failures);
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
    this.replay(state, response);
    return response;
  }

  /** If output was delivered and not yet voided, send `reset` (the partial answer is void). */
  private voidPartial(state: CallState, error: unknown): void {
    if (state.push !== undefined && state.dirty) {
      state.push({ type: 'reset', attempt: state.attempts, error: summary(error) });
    }
    state.dirty = false;
    state.resumeText = '';
    state.resumeTarget = undefined;
  }

  /** All attempts on one model, under its policies. */
  private runTarget(state: CallState, target: Target, index: number, signal: AbortSignal): Promise<ModelResponse> {
    const previous = state.lastTarget;
    if (previous !== undefined && previous !== target) {
      // Moving to another model: a kept partial answer from the previous one is never continued here.
      this.voidPartial(state, state.lastError);
      if (this.bus?.wants('llm.fallback')) {
        this.bus.emit({
          type: 'llm.fallback',
          client: this.name,
          callId: state.callId,
          from: { provider: previous.adapter.name, model: previous.adapter.model },
          to: { provider: target.adapter.name, model: target.adapter.model },
          error: summary(state.lastError),
        });
      }
    }
    const level = index === 0 ? 'primary' : 'fallback';
    return target.policy.execute(({ signal: attemptSignal }) => this.attempt(state, target, level, attemptSignal), signal).catch((error: unknown) => {
      // A policy may refuse without an attempt (an open breaker): the next model still hears why.
      state.lastTarget = target;
      state.lastError = error;
      throw error;
    });
  }

  /** One HTTP call: reserve, send (or stream), meter, commit. */
  private async attempt(state: CallState, target: Target, level: 'primary' | 'fallback', signal: AbortSignal): Promise<ModelResponse> {
    const adapter = target.adapter;
    const attempt = ++state.attempts;
    const bus = this.bus;
    const base = { client: this.name, callId: state.callId, provider: adapter.name, model: adapter.model, attempt, stream: state.stream };
    if (state.lastTarget === target && bus?.wants('llm.retry')) bus.emit({ type: 'llm.retry', ...base, after: summary(state.lastError) });
    state.lastTarget = target;
    const resumeText = state.resumeTarget === target ? state.resumeText : '';
    if (resumeText === '' && state.dirty) this.voidPartial(state, state.lastError);
    const first = state.prepared;
    let prepared = first !== undefined && first.maxOutputTokens === (state.request.maxOutputTokens ?? adapter.maxOutputTokens) ? first : adapter.prepare(state.request);
    if (resumeText !== '') prepared = { ...prepared, messages: [...prepared.messages, { role: 'assistant', content: resumeText }] };
    const inputTokens = estimateTokens(promptChars(prepared));
    const outputTokens = prepared.maxOutputTokens;
    const estimateUsd = this.priceOf(adapter, makeUsage(inputTokens, outputTokens, 0));
    const reservation = hold(state.budgets, {
      ...(estimateUsd === undefined ? {} : { usd: estimateUsd }),
      tokens: inputTokens + outputTokens,
      // One step per call: held by every attempt until one of them spends (a refused 429 does not).
      steps: state.stepCounted ? 0 : 1,
    });
    if (bus?.wants('llm.request')) {
      bus.emit({ type: 'llm.request', ...base, level, estimate: { inputTokens, outputTokens, usd: estimateUsd }, resumed: resumeText !== '' });
    }
    const started = this.clock.now();
    const acc = state.stream ? new StreamAccumulator() : undefined;
    let result: AttemptResult;
    try {
      const send = async (sig: AbortSignal): Promise<AttemptResult> =>
        acc === undefined ? adapter.send(prepared, sig) : this.consume(state, target, level, prepared, sig, acc, attempt, resumeText);
      result =
        target.limiter === undefined
          ? await send(signal)
          : await target.limiter.run(async (ctx) => {
              const r = await send(ctx.signal);
              ctx.reportTokens(r.usage.totalTokens);
              return r;
            }, { tokens: inputTokens + outputTokens, signal });
    } catch (error) {
      this.failed(state, target, base, error, acc, inputTokens, reservation, started, resumeText);
      throw error;
    }
    // Metering: what the attempt cost is committed before the answer is checked.
    const cost = this.priceOf(adapter, result.usage);
    reservation?.commit({ ...(cost === undefined ? {} : { usd: cost }), tokens: result.usage.totalTokens, steps: state.stepCounted ? 0 : 1 });
    state.stepCounted = true;
    state.totalUsage = addUsage(state.totalUsage, result.usage);
    if (cost !== undefined) state.costUsd = (state.costUsd ?? 0) + cost;
    if (bus?.wants('llm.response')) {
      bus.emit({
        type: 'llm.response',
        ...base,
        level,
        usage: result.usage,
        usageEstimated: result.usageEstimated,
        costUsd: cost,
        finishReason: result.finishReason,
        durationMs: this.clock.now() - started,
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
  private failed(
    state: CallState,
    target: Target,
    base: { client: string; callId: string; provider: string; model: string; attempt: number; stream: boolean },
    error: unknown,
    acc: StreamAccumulator | undefined,
    inputTokens: number,
    reservation: Hold | undefined,
    started: number,
    resumeText: string,
  ): void {
    const bus = this.bus;
    state.lastError = error;
    const partial = acc !== undefined && acc.events > 0;
    if (partial && acc !== undefined) {
      // A stream cut midway was paid for: its input and the output it delivered.
      const usage = makeUsage(inputTokens, estimateTokens(acc.text.length + acc.calls.reduce((n, c) => n + (c?.args.length ?? 0), 0)), 0);
      const cost = this.priceOf(target.adapter, usage);
      reservation?.commit({ ...(cost === undefined ? {} : { usd: cost }), tokens: usage.totalTokens, steps: state.stepCounted ? 0 : 1 });
      state.stepCounted = true;
      state.totalUsage = addUsage(state.totalUsage, usage);
      if (cost !== undefined) state.costUsd = (state.costUsd ?? 0) + cost;
    } else {
      reservation?.release();
    }
    const retryable = isWardenError(error) ? error.retryable : false;
    if (bus?.wants('llm.attempt_failed')) {
      bus.emit({ type: 'llm.attempt_failed', ...base, error: summary(error), retryable, durationMs: this.clock.now() - started });
    }
    if (acc === undefined || !acc.hasOutput) return;
    const canResume =
      this.streamFailure === 'resume' && target.adapter.supportsPrefill && acc.calls.length === 0 && acc.text !== '' && retryable;
    if (bus?.wants('llm.stream_error')) {
      bus.emit({
        type: 'llm.stream_error',
        ...base,
        error: summary(error),
        eventsReceived: acc.events,
        partialTextChars: acc.text.length,
        action: canResume ? 'resume' : 'discard',
      });
    }
    if (canResume) {
      state.resumeText = resumeText + acc.text;
      state.resumeTarget = target;
    } else {
      this.voidPartial(state, error);
    }
  }

  /** Consume one streamed attempt, forwarding its deltas, with the idle timeout. */
  private async consume(
    state: CallState,
    target: Target,
    level: 'primary' | 'fallback',
    prepared: PreparedRequest,
    signal: AbortSignal,
    acc: StreamAccumulator,
    attempt: number,
    resumeText: string,
  ): Promise<AttemptResult> {
    const push = state.push as Push;
    const adapter = target.adapter;
    const controller = new AbortController();
    const onAbort = (): void => controller.abort(signal.reason);
    if (signal.aborted) controller.abort(signal.reason);
    else signal.addEventListener('abort', onAbort, { once: true });
    // One timer per idle period, not per event: it re-arms itself for what is left of the period
    // since the last event, and aborts the attempt once a whole period passed without one.
    let lastEventAt = this.clock.now();
    const idle = (): void => {
      const quietMs = this.clock.now() - lastEventAt;
      if (quietMs >= this.idleMs) controller.abort(new StreamStalledError(adapter.name, adapter.model, this.idleMs));
      else timer = this.clock.setTimer(this.idleMs - quietMs, idle);
    };
    let timer = this.clock.setTimer(this.idleMs, idle);
    const meta: StreamMeta = { id: '', model: adapter.model, touch: () => (lastEventAt = this.clock.now()) };
    push({ type: 'start', provider: adapter.name, model: adapter.model, level, attempt, resumed: resumeText !== '' });
    try {
      for await (const delta of adapter.open(prepared, controller.signal, meta)) {
        acc.add(delta);
        if (delta.type === 'text' || delta.type === 'tool_call') state.dirty = true;
        push(delta);
      }
    } finally {
      timer.cancel();
      signal.removeEventListener('abort', onAbort);
    }
    return resultFromStream(acc, meta, prepared);
  }

  private priceOf(adapter: ProviderAdapter, usage: Usage): number | undefined {
    return this.pricing === undefined ? undefined : costUsd(this.pricing, { model: adapter.model, ...usage });
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
