/**
 * The model-client interface: messages, tools, tool calls, structured output, streaming deltas
 * and usage, the same for every provider. Adapters translate it to a provider's wire format
 * (OpenAI Chat Completions, Anthropic Messages); the resilient client adds retry, fallback,
 * budgets and metering and implements the same interface, so code written against
 * {@link ModelClient} runs unchanged on a bare adapter or the full stack.
 */
import type { Budget, DegradationLevel } from '../resilience/index.ts';

/** A JSON Schema object (as `z.toJSONSchema` produces, or written by hand). */
export type JsonSchema = { readonly [key: string]: unknown };

/**
 * Something that converts to JSON Schema: a plain schema object, or a zod 4 schema (converted
 * with `z.toJSONSchema`).
 */
export type SchemaInput = JsonSchema | { readonly _zod: unknown };

/** One turn of the conversation. */
export type Message =
  | { readonly role: 'system'; readonly content: string }
  | { readonly role: 'user'; readonly content: string }
  | {
      readonly role: 'assistant';
      readonly content: string;
      /** Tools the assistant called in this turn. @default [] */
      readonly toolCalls?: readonly ToolCall[];
    }
  | {
      readonly role: 'tool';
      /** The `id` of the tool call this answers. */
      readonly toolCallId: string;
      readonly content: string;
      /** The tool failed; `content` says how. @default false */
      readonly isError?: boolean;
    };

export type Role = Message['role'];

/** A tool the model may call. */
export interface ToolDefinition {
  /** `^[A-Za-z0-9_-]{1,64}$`, as both providers require. */
  readonly name: string;
  readonly description?: string;
  /** The arguments: an object schema (JSON Schema or zod). */
  readonly parameters: SchemaInput;
}

/** A call of a tool by the model. */
export interface ToolCall {
  /** Provider-assigned id; a `tool` message answers it with `toolCallId`. */
  readonly id: string;
  readonly name: string;
  /** The arguments as the model wrote them (JSON text). */
  readonly argumentsText: string;
  /** `argumentsText` parsed, or `undefined` when it is not valid JSON (a model error to re-ask about). */
  readonly arguments: unknown;
}

export type ToolChoice = 'auto' | 'none' | 'required' | { readonly name: string };

/** Ask for a JSON answer, optionally matching a schema. */
export interface ResponseFormat {
  readonly type: 'json';
  /** The answer's schema (JSON Schema or zod; a zod schema also validates the answer). */
  readonly schema?: SchemaInput;
  /** Schema name sent to the provider. @default 'output' */
  readonly name?: string;
}

/** What to ask the model. */
export interface ModelRequest {
  readonly messages: readonly Message[];
  readonly tools?: readonly ToolDefinition[];
  /** @default 'auto' when tools are given */
  readonly toolChoice?: ToolChoice;
  readonly responseFormat?: ResponseFormat;
  /** Cap on output tokens; also the output part of the budget estimate. @default the client's `maxOutputTokens` */
  readonly maxOutputTokens?: number;
  readonly temperature?: number;
  readonly stopSequences?: readonly string[];
}

/** Why the model stopped. */
export type FinishReason = 'stop' | 'length' | 'tool_calls' | 'content_filter' | 'other';

/**
 * Token usage, normalised: `inputTokens` excludes cached input (OpenAI's `prompt_tokens` includes
 * `cached_tokens`; Anthropic's `input_tokens` excludes cache reads, and its cache writes are
 * counted here as input). The one shape of usage: an attempt's (`usage`), a call's across its
 * attempts (`totalUsage`), an agent run's (`AgentResult.usage`); sum them with `addUsage`.
 */
export interface Usage {
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly cachedInputTokens: number;
  readonly totalTokens: number;
}

/** A model's answer. */
export interface ModelResponse {
  /** Provider's response id. */
  readonly id: string;
  /** Provider name (`'openai'`, `'anthropic'`, or the adapter's `name`). */
  readonly provider: string;
  /** Model that answered, as the provider reported it. */
  readonly model: string;
  readonly text: string;
  readonly toolCalls: readonly ToolCall[];
  /** The parsed JSON answer when `responseFormat` was asked for. */
  readonly output?: unknown;
  readonly finishReason: FinishReason;
  /** Usage of the answering attempt. */
  readonly usage: Usage;
  /**
   * Usage of every attempt of this call that reached the provider (failed and resumed ones
   * included): what the call cost in all.
   */
  readonly totalUsage: Usage;
  /** USD of `totalUsage`, from the pricing table; `undefined` without one. */
  readonly costUsd: number | undefined;
  /** Degradation level the answer came from; a bare adapter answers `'primary'`. */
  readonly level: Exclude<DegradationLevel, 'queued'>;
  /** Attempts made for this call, across models (1 = first try). */
  readonly attempts: number;
  /**
   * Present when a streamed answer was resumed after a cut: the text that was kept from each
   * interrupted attempt, in order (see the streaming failure policy).
   */
  readonly resumedFrom?: readonly { readonly attempt: number; readonly keptText: string }[];
}

/** The degradation ladder parked the request for later instead of answering. */
export interface QueuedResult<Q> {
  readonly level: 'queued';
  readonly ticket: Q;
  readonly attempts: number;
}

/** What a call returns: an answer, or (only when a queue level is configured) a ticket. */
export type ModelResult<Q = never> = [Q] extends [never] ? ModelResponse : ModelResponse | QueuedResult<Q>;

/**
 * One piece of a streamed answer.
 *
 * - `start`: an attempt began (on `provider`/`model`, at `level`). Every stream begins with one;
 *   a later one follows a `reset` (discarded attempt) or, with `resumed: true`, continues the
 *   text received so far.
 * - `text`, `tool_call`: output. Tool-call fragments carry the call's `index` within the answer;
 *   the first fragment of a call has its `id` and `name`, later ones only `argumentsDelta`.
 * - `usage`, `finish`: the attempt's usage and why it stopped (the last deltas of a good stream).
 * - `reset`: the attempt failed midway; everything received since the last `start` is void.
 */
export type StreamDelta =
  | {
      readonly type: 'start';
      readonly provider: string;
      readonly model: string;
      readonly level: Exclude<DegradationLevel, 'queued'>;
      readonly attempt: number;
      /** This attempt continues the text received before a cut (resume policy). */
      readonly resumed: boolean;
    }
  | { readonly type: 'text'; readonly text: string }
  | {
      readonly type: 'tool_call';
      readonly index: number;
      readonly id?: string;
      readonly name?: string;
      readonly argumentsDelta: string;
    }
  | { readonly type: 'usage'; readonly usage: Usage }
  | { readonly type: 'finish'; readonly finishReason: FinishReason }
  | { readonly type: 'reset'; readonly attempt: number; readonly error: unknown };

/** A streamed call: iterate the deltas; `response` settles with the assembled answer. */
export interface ModelStream<Q = never> extends AsyncIterable<StreamDelta> {
  /** The final answer (after the last delta), or the call's error. */
  readonly response: Promise<ModelResult<Q>>;
  /** Stop the call; iteration ends and `response` rejects with the abort reason. */
  abort(reason?: unknown): void;
}

/** Per-call options. */
export interface ModelCallOptions {
  readonly signal?: AbortSignal;
  /**
   * A budget scope for this call alone (a run's or an agent's), reserved before every attempt and
   * committed after it, as the client's own `budget` is. Counted in the client's budget too unless
   * that is this scope or one of its ancestors. Honoured by the resilient client; a bare adapter
   * ignores it. @default none
   */
  readonly budget?: Budget;
  /** The durable run this call is made for: its events carry it, so traces and metrics can attribute the call. @default none */
  readonly runId?: string;
}

/** The one model-client interface, implemented by every adapter and by the resilient client. */
export interface ModelClient<Q = never> {
  /** Provider (adapters) or client (resilient stack) name, for events and errors. */
  readonly name: string;
  complete(request: ModelRequest, options?: ModelCallOptions): Promise<ModelResult<Q>>;
  stream(request: ModelRequest, options?: ModelCallOptions): ModelStream<Q>;
}
