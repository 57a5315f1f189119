/**
 * What every provider adapter shares. An adapter is bound to one model on one endpoint and makes
 * exactly one HTTP call per `send`/`open` (its SDK's own retries are off: `maxRetries: 0`), so
 * Warden's policies alone decide about retrying. It is also a bare {@link ModelClient}: no
 * retry, no fallback, `level: 'primary'`, `attempts: 1`.
 *
 * Guarantees of `open` (one streamed attempt): it yields output deltas and then, last, the usage
 * (when the provider sent it) and the finish reason; a stream that ends or breaks before the
 * provider's final event throws {@link StreamInterruptedError} (an SDK that silently stops
 * iterating on a cut connection is not taken for a finished answer); an error event inside the
 * stream throws a {@link ModelCallError}.
 */
import { InvalidSpecError, realClock, type Clock } from '../runtime/index.ts';
import { costUsd, type PricingTable } from '../resilience/index.ts';
import { StreamAccumulator, makeUsage, type OutputDelta } from './accumulate.ts';
import { MalformedResponseError, MissingApiKeyError, ModelCallError, StreamInterruptedError, StructuredOutputError } from './errors.ts';
import { createModelStream } from './model-stream.ts';
import { toModelError } from './provider-error.ts';
import { registerSecret } from './redact.ts';
import { prepareRequest, type PreparedRequest } from './request.ts';
import type { ModelCallOptions, FinishReason, ModelClient, ModelRequest, ModelResponse, ModelStream, ToolCall, Usage } from './types.ts';

/** Default cap on output tokens when a request does not set `maxOutputTokens`. */
export const DEFAULT_MAX_OUTPUT_TOKENS = 4096;

/** One attempt's answer, before metering. */
export interface AttemptResult {
  readonly id: string;
  readonly model: string;
  readonly text: string;
  readonly toolCalls: readonly ToolCall[];
  readonly finishReason: FinishReason;
  /** Reported by the provider, or estimated when a stream carried none (`usageEstimated`). */
  readonly usage: Usage;
  readonly usageEstimated: boolean;
}

/** Filled in by `open` as the stream reveals it. */
export interface StreamMeta {
  id: string;
  model: string;
  /** Called on every event the stream receives, output or not (pings, block starts): liveness for the idle timeout. */
  touch?: () => void;
}

/** Options every adapter takes. */
export interface AdapterOptions {
  /** The model to call. */
  readonly model: string;
  /** Provider name in events, errors and results. @default 'openai' / 'anthropic' */
  readonly name?: string;
  /** API key. @default the provider's environment variable */
  readonly apiKey?: string;
  /** Endpoint. @default the provider's environment variable, else the SDK's default */
  readonly baseURL?: string;
  /** Output-token cap for requests that set none. @default 4096 */
  readonly maxOutputTokens?: number;
  /** Prices for `costUsd` on results of bare calls. @default none (costUsd undefined) */
  readonly pricing?: PricingTable;
  /** The SDK's own per-request timeout, ms (Warden's `Timeout` policy is the one to tune). @default 600_000 */
  readonly sdkTimeoutMs?: number;
  /** The SDK's own console logging; Warden reports through events instead. @default 'off' */
  readonly sdkLogLevel?: 'off' | 'error' | 'warn' | 'info' | 'debug';
  /** Where `OPENAI_API_KEY` and friends are read from. @default process.env */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** For response timestamps and Retry-After dates. @default realClock */
  readonly clock?: Clock;
}

/** Rough token count of text: about 4 characters per token. Used only for estimates. */
export function estimateTokens(chars: number): number {
  return Math.ceil(chars / 4);
}

export abstract class ProviderAdapter<Client = unknown> implements ModelClient {
  /** The provider name (`'openai'`), as in results and events. */
  readonly name: string;
  readonly model: string;
  readonly maxOutputTokens: number;
  readonly clock: Clock;
  /** True if the endpoint continues a trailing assistant message (needed to resume a cut stream). */
  abstract readonly supportsPrefill: boolean;
  /** The endpoint in use (never includes a key). */
  abstract readonly baseURL: string;
  protected readonly pricing: PricingTable | undefined;
  /** The SDK client, created on the first call: a provider SDK takes most of a second to load. */
  private client: Promise<Client> | undefined;

  constructor(defaultName: string, options: AdapterOptions) {
    const subject = `${defaultName} adapter`;
    if (typeof options.model !== 'string' || options.model === '') throw new InvalidSpecError(subject, 'model', options.model, 'must be a non-empty string');
    if (options.name !== undefined && (typeof options.name !== 'string' || options.name === '')) {
      throw new InvalidSpecError(subject, 'name', options.name, 'must be a non-empty string');
    }
    const max = options.maxOutputTokens ?? DEFAULT_MAX_OUTPUT_TOKENS;
    if (!Number.isInteger(max) || max < 1) throw new InvalidSpecError(subject, 'maxOutputTokens', max, 'must be an integer >= 1');
    this.name = options.name ?? defaultName;
    this.model = options.model;
    this.maxOutputTokens = max;
    this.pricing = options.pricing;
    this.clock = options.clock ?? realClock;
  }

  /**
   * Load what the first call would load (a provider SDK takes a good part of a second), so that
   * a run on a virtual clock does not see that first call take real time. Optional: every call
   * loads it when needed.
   */
  async loadSdk(): Promise<void> {
    await this.sdk();
  }

  /**
   * The API key (from the options, else the environment variable `keyVar`; registered as a secret
   * so it is redacted) and the endpoint (from the options, else `urlVar`, else `defaultURL`).
   * Throws {@link MissingApiKeyError} if there is no key.
   */
  protected endpoint(options: AdapterOptions, keyVar: string, urlVar: string, defaultURL: string): { apiKey: string; baseURL: string } {
    const env = options.env ?? process.env;
    const apiKey = readKey(options.apiKey, env, keyVar);
    if (apiKey === undefined) throw new MissingApiKeyError(this.name, keyVar);
    registerSecret(apiKey);
    return { apiKey, baseURL: options.baseURL ?? readKey(undefined, env, urlVar) ?? defaultURL };
  }

  /** Import the provider SDK and make its client (called once, on the first call); none by default. */
  protected createClient(): Promise<Client> {
    return Promise.resolve(undefined as Client);
  }

  /** The SDK client, made on first use. */
  protected sdk(): Promise<Client> {
    this.client ??= this.createClient();
    return this.client;
  }

  /** `fn` with the SDK client; whatever it throws (or loading the SDK throws) as a model error. */
  protected async withClient<T>(signal: AbortSignal, fn: (client: Client) => Promise<T>): Promise<T> {
    try {
      return await fn(await this.sdk());
    } catch (error) {
      throw toModelError(error, this.name, this.model, signal, this.clock);
    }
  }

  /**
   * What to throw for `error`, thrown while reading an opened stream after `events` events and
   * `chars` characters: a provider's error as it is, a cut connection or a malformed event as a
   * {@link StreamInterruptedError} (or the abort reason, if the call was aborted).
   */
  protected streamFailure(error: unknown, signal: AbortSignal, events: number, chars: number): unknown {
    const mapped = toModelError(error, this.name, this.model, signal, this.clock);
    if (mapped instanceof ModelCallError && mapped.code !== 'MODEL_CONNECTION') return mapped;
    if (mapped !== error || error instanceof MalformedResponseError) {
      if (signal.aborted) return signal.reason;
      return new StreamInterruptedError(this.name, this.model, events, chars, (mapped as Error).message, { cause: mapped });
    }
    return mapped;
  }

  /** One non-streamed HTTP call. */
  abstract send(request: PreparedRequest, signal: AbortSignal): Promise<AttemptResult>;

  /** One streamed HTTP call (see the module doc for its guarantees). */
  abstract open(request: PreparedRequest, signal: AbortSignal, meta: StreamMeta): AsyncIterable<OutputDelta>;

  /** Validate and convert a request, filling this adapter's output cap. */
  prepare(request: ModelRequest): PreparedRequest {
    return prepareRequest(request, this.maxOutputTokens);
  }

  async complete(request: ModelRequest, options: ModelCallOptions = {}): Promise<ModelResponse> {
    const prepared = this.prepare(request);
    const signal = options.signal ?? new AbortController().signal;
    const result = await this.send(prepared, signal);
    return this.toResponse(prepared, result);
  }

  stream(request: ModelRequest, options: ModelCallOptions = {}): ModelStream {
    return createModelStream(async (push, signal) => {
      const prepared = this.prepare(request);
      push({ type: 'start', provider: this.name, model: this.model, level: 'primary', attempt: 1, resumed: false });
      const meta: StreamMeta = { id: '', model: this.model };
      const acc = new StreamAccumulator();
      for await (const delta of this.open(prepared, signal, meta)) {
        acc.add(delta);
        push(delta);
      }
      return this.toResponse(prepared, resultFromStream(acc, meta, prepared));
    }, options.signal);
  }

  private toResponse(prepared: PreparedRequest, result: AttemptResult): ModelResponse {
    const cost = this.pricing === undefined ? undefined : costUsd(this.pricing, { model: this.model, ...result.usage });
    return {
      id: result.id,
      provider: this.name,
      model: result.model,
      text: result.text,
      toolCalls: result.toolCalls,
      ...structuredOutput(this.name, result.model, prepared, result.text, result.toolCalls.length > 0),
      finishReason: result.finishReason,
      usage: result.usage,
      totalUsage: result.usage,
      costUsd: cost,
      level: 'primary',
      attempts: 1,
    };
  }
}

/** An attempt's result from a finished stream's accumulator (usage estimated if none came). */
export function resultFromStream(acc: StreamAccumulator, meta: StreamMeta, prepared: PreparedRequest): AttemptResult {
  const calls = acc.toolCalls();
  const estimated = acc.usage === undefined;
  const usage =
    acc.usage ??
    makeUsage(
      estimateTokens(prepared.messages.reduce((n, m) => n + m.content.length, 0)),
      estimateTokens(acc.text.length + calls.reduce((n, c) => n + c.argumentsText.length, 0)),
      0,
    );
  return {
    id: meta.id,
    model: meta.model,
    text: acc.text,
    toolCalls: calls,
    finishReason: acc.finishReason ?? 'other',
    usage,
    usageEstimated: estimated,
  };
}

/**
 * `{ output }` when the request asked for JSON: the text parsed and, for a zod schema, validated;
 * {@link StructuredOutputError} when it is not. `{}` otherwise, and for an answer that calls
 * tools (a request may offer tools and ask for JSON: a turn that calls tools is not the final
 * answer yet, so there is nothing to check).
 */
export function structuredOutput(provider: string, model: string, prepared: PreparedRequest, text: string, callsTools = false): { output?: unknown } {
  const rf = prepared.responseFormat;
  if (rf === undefined || callsTools) return {};
  let value: unknown;
  try {
    value = JSON.parse(text) as unknown;
  } catch (e) {
    throw new StructuredOutputError(provider, model, text, `not valid JSON (${(e as Error).message})`);
  }
  const problem = rf.validate?.(value);
  if (problem !== undefined) throw new StructuredOutputError(provider, model, text, problem);
  return { output: value };
}

/** Read an API key from the options or the environment. */
export function readKey(explicit: string | undefined, env: Readonly<Record<string, string | undefined>>, name: string): string | undefined {
  if (explicit !== undefined) return explicit;
  const v = env[name];
  return v === undefined || v === '' ? undefined : v;
}
