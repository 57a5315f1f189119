/**
 * Any Vercel AI SDK language model as a Warden provider: `aiSdkModel(openai('gpt-4o-mini'))`,
 * `aiSdkModel(google('gemini-2.0-flash'))`, `aiSdkModel(mistral(...))`, an Ollama provider's
 * model. It takes the provider specification of `@ai-sdk/provider` (`LanguageModelV4`, which
 * `ai`@7 and `@ai-sdk/*`@4 providers implement, and the earlier `LanguageModelV3` and `V2`) and
 * calls its `doGenerate` / `doStream` once per attempt, so the model gets the same retry,
 * breaker, timeout, budget, metering, fallback and stream-resume behaviour as the built-in
 * adapters. Nothing of `ai` is needed at run time; `@ai-sdk/provider` is used for its types only.
 *
 * Give the model with its own retries off: the AI SDK's provider models make one HTTP call per
 * `doGenerate`/`doStream` (the retrying is `generateText`'s, which this does not use), so
 * Warden's policies alone decide. Errors are mapped by `ai-sdk-error.ts` to the same typed errors
 * (`MODEL_RATE_LIMITED` with `retryAfterMs`, `MODEL_OVERLOADED`, `MODEL_UNAVAILABLE`,
 * `MODEL_BAD_REQUEST`, ...).
 *
 * Mapping: messages to the specification's prompt (`system` as is, `user` and assistant text as
 * text parts, an assistant's tool calls as `tool-call` parts with their parsed input, a `tool`
 * message as a `tool-result` part with a `text` or `error-text` output); tools as `function`
 * tools with their JSON Schema; `toolChoice`, `responseFormat` (`json` with its schema and name),
 * `maxOutputTokens`, `temperature` and `stopSequences` one to one; `providerOptions` and
 * `headers` from the options on every call. Results: the text parts joined, client-executed
 * `tool-call` parts as tool calls (provider-executed ones are left out: they are not Warden's to
 * run), the unified finish reason (`tool-calls` as `tool_calls`, `content-filter` as
 * `content_filter`, `error` and `other` as `other`), usage with cached input apart (`noCache`, or
 * the total minus `cacheRead`; cache writes counted as input, as for Anthropic). A usage whose
 * totals the provider left out is estimated (`usageEstimated`).
 *
 * Streams: `text-delta` as text, `tool-input-start`/`tool-input-delta` (or a whole `tool-call`
 * part) as tool-call fragments, `response-metadata` for the id and model, `finish` last; every
 * part counts as liveness for the idle timeout. An `error` part throws its mapped error; a stream
 * that ends without `finish`, or finishes `interrupted` (the provider's stream ended with no
 * completion signal), is a {@link StreamInterruptedError}, so a cut stream is retried or resumed
 * and never taken for a whole answer.
 */
import type {
  LanguageModelV2,
  LanguageModelV3,
  LanguageModelV4,
  LanguageModelV4CallOptions,
  LanguageModelV4FunctionTool,
  LanguageModelV4Message,
  LanguageModelV4StreamPart,
  SharedV4ProviderOptions,
} from '@ai-sdk/provider';
import { InvalidSpecError } from '../runtime/index.ts';
import { assertNever } from '../runtime/internal.ts';
import type { PricingTable } from '../resilience/index.ts';
import type { Clock } from '../runtime/index.ts';
import { makeUsage, type OutputDelta } from './accumulate.ts';
import { ProviderAdapter, estimateTokens, type AttemptResult, type StreamMeta } from './adapter.ts';
import { toModelErrorFromAiSdk } from './ai-sdk-error.ts';
import { MalformedResponseError, ModelCallError, StreamInterruptedError } from './errors.ts';
import { parseArguments, promptChars, type PreparedRequest } from './request.ts';
import type { FinishReason, ToolCall, Usage } from './types.ts';

/** A language model of the AI SDK's provider specification, v2 to v4. */
export type AiSdkLanguageModel = LanguageModelV4 | LanguageModelV3 | LanguageModelV2;

export interface AiSdkAdapterOptions {
  /** Provider name in events, errors, results and `limiters`. @default the model's `provider` (`'openai.chat'`) */
  readonly name?: string;
  /** Output-token cap for requests that set none. @default 4096 */
  readonly maxOutputTokens?: number;
  /** Prices for `costUsd` on results of bare calls. @default none */
  readonly pricing?: PricingTable;
  /**
   * The endpoint continues a trailing assistant message (an Ollama or vLLM model, the simulated
   * server): needed for the `resume` stream policy. @default false
   */
  readonly supportsPrefill?: boolean;
  /** Sent as `providerOptions` on every call (`{ openai: { parallelToolCalls: false } }`). @default none */
  readonly providerOptions?: SharedV4ProviderOptions;
  /** Extra HTTP headers on every call. @default none */
  readonly headers?: Readonly<Record<string, string>>;
  /** For Retry-After dates. @default realClock */
  readonly clock?: Clock;
}

/** The finish reason of any specification version: v3/v4 `{ unified }`, v2 a string. */
type AnyFinish = { unified?: string } | string | undefined;

/** The usage of any specification version: v3/v4 nested totals, v2 flat numbers. */
interface AnyUsage {
  inputTokens?: number | { total?: number; noCache?: number; cacheRead?: number; cacheWrite?: number } | undefined;
  outputTokens?: number | { total?: number } | undefined;
  cachedInputTokens?: number | undefined;
}

function unified(finish: AnyFinish): string | undefined {
  return typeof finish === 'string' ? finish : finish?.unified;
}

function finishReason(finish: AnyFinish): FinishReason {
  switch (unified(finish)) {
    case 'stop':
      return 'stop';
    case 'length':
      return 'length';
    case 'tool-calls':
      return 'tool_calls';
    case 'content-filter':
      return 'content_filter';
    default:
      return 'other';
  }
}

/** Warden's usage from the provider's, or `undefined` when it left the totals out. */
function usageOf(u: AnyUsage | undefined): Usage | undefined {
  if (u === undefined) return undefined;
  const input = u.inputTokens;
  const output = u.outputTokens;
  if (typeof input === 'number' || typeof output === 'number' || (input === undefined && output === undefined)) {
    // v2: `inputTokens` includes `cachedInputTokens`.
    if (typeof input !== 'number' || typeof output !== 'number') return undefined;
    const cached = Math.min(input, u.cachedInputTokens ?? 0);
    return makeUsage(input - cached, output, cached);
  }
  const total = input?.total;
  const out = output?.total;
  if (total === undefined || out === undefined) return undefined;
  const cached = Math.min(total, input?.cacheRead ?? 0);
  return makeUsage(input?.noCache ?? total - cached, out, cached);
}

export class AiSdkAdapter extends ProviderAdapter<AiSdkLanguageModel> {
  readonly supportsPrefill: boolean;
  readonly baseURL: string;
  /** The AI SDK model this adapter calls. */
  readonly languageModel: AiSdkLanguageModel;
  private readonly providerOptions: SharedV4ProviderOptions | undefined;
  private readonly headers: Readonly<Record<string, string>> | undefined;

  constructor(model: AiSdkLanguageModel, options: AiSdkAdapterOptions = {}) {
    const version = (model as { specificationVersion?: unknown } | null)?.specificationVersion;
    if (typeof model !== 'object' || model === null || typeof model.doGenerate !== 'function' || typeof model.doStream !== 'function') {
      throw new InvalidSpecError('ai-sdk adapter', 'model', model, 'must be an AI SDK language model (with doGenerate and doStream)');
    }
    if (version !== 'v2' && version !== 'v3' && version !== 'v4') {
      throw new InvalidSpecError('ai-sdk adapter', 'model.specificationVersion', version, "must be 'v2', 'v3' or 'v4'");
    }
    super(options.name ?? model.provider, {
      model: model.modelId,
      ...(options.name === undefined ? {} : { name: options.name }),
      ...(options.maxOutputTokens === undefined ? {} : { maxOutputTokens: options.maxOutputTokens }),
      ...(options.pricing === undefined ? {} : { pricing: options.pricing }),
      ...(options.clock === undefined ? {} : { clock: options.clock }),
    });
    this.languageModel = model;
    this.supportsPrefill = options.supportsPrefill ?? false;
    this.baseURL = `ai-sdk:${model.provider}`;
    this.providerOptions = options.providerOptions;
    this.headers = options.headers;
  }

  protected override createClient(): Promise<AiSdkLanguageModel> {
    return Promise.resolve(this.languageModel);
  }

  /** The call options of the specification for `request`. */
  callOptions(request: PreparedRequest, signal: AbortSignal): LanguageModelV4CallOptions {
    const names = new Map<string, string>();
    const prompt: LanguageModelV4Message[] = [];
    for (const m of request.messages) {
      switch (m.role) {
        case 'system':
          prompt.push({ role: 'system', content: m.content });
          break;
        case 'user':
          prompt.push({ role: 'user', content: [{ type: 'text', text: m.content }] });
          break;
        case 'assistant': {
          const calls = m.toolCalls ?? [];
          for (const c of calls) names.set(c.id, c.name);
          prompt.push({
            role: 'assistant',
            content: [
              ...(m.content === '' ? [] : [{ type: 'text' as const, text: m.content }]),
              ...calls.map((c) => ({ type: 'tool-call' as const, toolCallId: c.id, toolName: c.name, input: c.arguments ?? c.argumentsText })),
            ],
          });
          break;
        }
        case 'tool':
          prompt.push({
            role: 'tool',
            content: [
              {
                type: 'tool-result',
                toolCallId: m.toolCallId,
                toolName: names.get(m.toolCallId) ?? '',
                output: m.isError === true ? { type: 'error-text', value: m.content } : { type: 'text', value: m.content },
              },
            ],
          });
          break;
        default:
          assertNever(m);
      }
    }
    const choice = request.toolChoice;
    const rf = request.responseFormat;
    return {
      prompt,
      maxOutputTokens: request.maxOutputTokens,
      abortSignal: signal,
      ...(request.tools.length === 0
        ? {}
        : {
            tools: request.tools.map((t) => ({
              type: 'function' as const,
              name: t.name,
              ...(t.description === undefined ? {} : { description: t.description }),
              inputSchema: t.parameters as LanguageModelV4FunctionTool['inputSchema'],
            })),
          }),
      ...(choice === undefined ? {} : { toolChoice: typeof choice === 'string' ? { type: choice } : { type: 'tool', toolName: choice.name } }),
      ...(rf === undefined
        ? {}
        : {
            responseFormat: {
              type: 'json',
              name: rf.name,
              ...(rf.schema === undefined ? {} : { schema: rf.schema as LanguageModelV4FunctionTool['inputSchema'] }),
            },
          }),
      ...(request.temperature === undefined ? {} : { temperature: request.temperature }),
      ...(request.stopSequences === undefined ? {} : { stopSequences: [...request.stopSequences] }),
      ...(this.providerOptions === undefined ? {} : { providerOptions: this.providerOptions }),
      ...(this.headers === undefined ? {} : { headers: { ...this.headers } }),
    };
  }

  /** The model's call, whatever it throws as a model error. */
  private async call<T>(signal: AbortSignal, fn: (model: LanguageModelV4) => PromiseLike<T>): Promise<T> {
    try {
      // The versions differ only in result fields read through the `Any*` shapes below.
      return await fn((await this.sdk()) as LanguageModelV4);
    } catch (error) {
      throw toModelErrorFromAiSdk(error, this.name, this.model, signal, this.clock);
    }
  }

  /**
   * What to throw for `error`, met while reading a stream after `events` parts and `chars`
   * characters: a cut connection or a malformed part as a {@link StreamInterruptedError}, a
   * provider's error as its typed error, the abort reason if the call was aborted.
   */
  private broken(error: unknown, signal: AbortSignal, events: number, chars: number): unknown {
    const mapped = toModelErrorFromAiSdk(error, this.name, this.model, signal, this.clock);
    if (signal.aborted) return signal.reason;
    if ((mapped instanceof ModelCallError && mapped.code === 'MODEL_CONNECTION') || mapped instanceof MalformedResponseError) {
      return new StreamInterruptedError(this.name, this.model, events, chars, mapped.message, { cause: mapped });
    }
    return mapped;
  }

  async send(request: PreparedRequest, signal: AbortSignal): Promise<AttemptResult> {
    const options = this.callOptions(request, signal);
    const result = await this.call(signal, (m) => m.doGenerate(options));
    let text = '';
    const calls: ToolCall[] = [];
    for (const part of result.content) {
      if (part.type === 'text') text += part.text;
      else if (part.type === 'tool-call' && part.providerExecuted !== true) {
        calls.push({ id: part.toolCallId, name: part.toolName, argumentsText: part.input, arguments: parseArguments(part.input) });
      }
    }
    const usage = usageOf(result.usage as AnyUsage);
    return {
      id: result.response?.id ?? '',
      model: result.response?.modelId ?? this.model,
      text,
      toolCalls: calls,
      finishReason: finishReason(result.finishReason as AnyFinish),
      usage: usage ?? makeUsage(estimateTokens(promptChars(request)), estimateTokens(text.length), 0),
      usageEstimated: usage === undefined,
    };
  }

  async *open(request: PreparedRequest, signal: AbortSignal, meta: StreamMeta): AsyncIterable<OutputDelta> {
    const options = this.callOptions(request, signal);
    const { stream } = await this.call(signal, (m) => m.doStream(options));
    const reader = (stream as ReadableStream<LanguageModelV4StreamPart>).getReader();
    /** Tool-call index by the id of its `tool-input-*` parts. */
    const callIndex = new Map<string, number>();
    let finish: { reason: AnyFinish; usage: AnyUsage | undefined } | undefined;
    let events = 0;
    let chars = 0;
    let done = false;
    try {
      while (true) {
        let next: Awaited<ReturnType<typeof reader.read>>;
        try {
          next = await reader.read();
        } catch (error) {
          throw this.broken(error, signal, events, chars);
        }
        if (next.done) break;
        const part = next.value;
        events++;
        meta.touch?.();
        switch (part.type) {
          case 'response-metadata':
            if (typeof part.id === 'string' && meta.id === '') meta.id = part.id;
            if (typeof part.modelId === 'string' && part.modelId !== '') meta.model = part.modelId;
            break;
          case 'text-delta':
            if (part.delta !== '') {
              chars += part.delta.length;
              yield { type: 'text', text: part.delta };
            }
            break;
          case 'tool-input-start': {
            if (part.providerExecuted === true) break;
            const index = callIndex.size;
            callIndex.set(part.id, index);
            yield { type: 'tool_call', index, id: part.id, name: part.toolName, argumentsDelta: '' };
            break;
          }
          case 'tool-input-delta': {
            const index = callIndex.get(part.id);
            if (index !== undefined) yield { type: 'tool_call', index, argumentsDelta: part.delta };
            break;
          }
          case 'tool-call': {
            // Whole calls from providers that do not stream the input; streamed ones were sent already.
            if (part.providerExecuted === true || callIndex.has(part.toolCallId)) break;
            const index = callIndex.size;
            callIndex.set(part.toolCallId, index);
            yield { type: 'tool_call', index, id: part.toolCallId, name: part.toolName, argumentsDelta: part.input };
            break;
          }
          case 'error':
            throw this.broken(part.error, signal, events, chars);
          case 'finish':
            finish = { reason: part.finishReason as AnyFinish, usage: part.usage as AnyUsage };
            break;
          default:
            break;
        }
      }
      done = true;
    } finally {
      if (!done) reader.cancel().catch(() => undefined);
      reader.releaseLock();
    }
    if (signal.aborted) throw signal.reason;
    if (finish === undefined || unified(finish.reason) === 'interrupted') {
      throw new StreamInterruptedError(
        this.name,
        this.model,
        events,
        chars,
        `the stream ended without ${finish === undefined ? 'a finish part' : 'a completion signal'}`,
      );
    }
    if (unified(finish.reason) === 'error') {
      throw new ModelCallError({
        code: 'MODEL_UNAVAILABLE',
        retryable: true,
        provider: this.name,
        model: this.model,
        detail: 'the stream finished with an error',
      });
    }
    const usage = usageOf(finish.usage);
    if (usage !== undefined) yield { type: 'usage', usage };
    yield { type: 'finish', finishReason: finishReason(finish.reason) };
  }
}

/**
 * A Warden provider for a Vercel AI SDK language model.
 *
 * @example
 * ```ts
 * import { createOpenAI } from '@ai-sdk/openai';
 * import { aiSdkModel, createModelClient, openaiChat } from 'warden/llm';
 *
 * const openai = createOpenAI(); // reads OPENAI_API_KEY
 * const client = createModelClient({
 *   models: [aiSdkModel(openai.responses('gpt-4o-mini')), openaiChat({ model: 'gpt-4o-mini' })],
 * });
 * ```
 */
export function aiSdkModel(model: AiSdkLanguageModel, options: AiSdkAdapterOptions = {}): AiSdkAdapter {
  return new AiSdkAdapter(model, options);
}
