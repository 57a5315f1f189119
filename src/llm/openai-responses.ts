/**
 * The OpenAI Responses API adapter (`client.responses.create`), through the official `openai`
 * SDK, next to the Chat Completions one: the same client options, key handling and endpoint
 * (`apiKey` / `OPENAI_API_KEY`, `baseURL` / `OPENAI_BASE_URL`), the SDK loaded on the first call
 * with `maxRetries: 0`, and the same guarantees for streams (see `adapter.ts`).
 *
 * Mapping: `system` and `user` messages as input messages; an assistant's text as an assistant
 * message and its tool calls as `function_call` items; a `tool` message as a
 * `function_call_output` item; tools as `function` tools (`strict: false`, so any JSON Schema
 * goes); `toolChoice` as the API's forms; `responseFormat` as `text.format` (`json_schema` with a
 * schema, else `json_object`); the output cap as `max_output_tokens`. Each request is sent
 * whole with `store: false` (Warden keeps the conversation; nothing is left on the provider).
 * The API has no stop sequences: a request with `stopSequences` is refused with
 * `INVALID_SPEC` before anything is sent.
 *
 * Results: the text of the `output_text` parts of the message items, the `function_call` items
 * as tool calls; the finish reason is `tool_calls` when the output calls a function, `length`
 * for `incomplete` with `max_output_tokens`, `content_filter` for `incomplete` with
 * `content_filter`, else `stop`. Usage: `input_tokens` includes `cached_tokens`; Warden's
 * `inputTokens` excludes them. A stream is finished by `response.completed` or
 * `response.incomplete`; `response.failed` and an `error` event are provider errors
 * ({@link ModelCallError}, coded by the error's code), and a stream that ends without a final
 * event is a {@link StreamInterruptedError}.
 */
import type OpenAI from 'openai';
import { InvalidSpecError } from '../runtime/index.ts';
import { assertNever } from '../runtime/internal.ts';
import { makeUsage, type OutputDelta } from './accumulate.ts';
import { estimateTokens, type AttemptResult, type StreamMeta } from './adapter.ts';
import { MalformedResponseError, ModelCallError, StreamInterruptedError } from './errors.ts';
import { OpenAIAdapter, type OpenAIAdapterOptions } from './openai.ts';
import { codeForType } from './provider-error.ts';
import { parseArguments, promptChars, type PreparedRequest } from './request.ts';
import type { FinishReason, ToolCall, Usage } from './types.ts';

export interface OpenAIResponsesAdapterOptions extends Omit<OpenAIAdapterOptions, 'maxTokensParam'> {
  /** Ask OpenAI to store the response (for its dashboard; Warden never reads it back). @default false */
  readonly store?: boolean;
}

type Body = Record<string, unknown>;

interface RawUsage {
  input_tokens?: number;
  output_tokens?: number;
  input_tokens_details?: { cached_tokens?: number | null } | null;
}

interface RawItem {
  type?: string;
  id?: string;
  call_id?: string;
  name?: string;
  arguments?: string;
  content?: readonly { type?: string; text?: string }[];
}

interface RawResponse {
  id?: string;
  model?: string;
  status?: string;
  error?: { code?: string | null; message?: string } | null;
  incomplete_details?: { reason?: string } | null;
  output?: readonly RawItem[];
  usage?: RawUsage | null;
}

function usageOf(u: RawUsage): Usage {
  const input = u.input_tokens ?? 0;
  const cached = Math.min(input, u.input_tokens_details?.cached_tokens ?? 0);
  return makeUsage(input - cached, u.output_tokens ?? 0, cached);
}

function finishReason(response: RawResponse, callsTools: boolean): FinishReason {
  if (response.status === 'incomplete') {
    const reason = response.incomplete_details?.reason;
    return reason === 'max_output_tokens' ? 'length' : reason === 'content_filter' ? 'content_filter' : 'other';
  }
  return callsTools ? 'tool_calls' : 'stop';
}

export class OpenAIResponsesAdapter extends OpenAIAdapter {
  private readonly store: boolean;

  constructor(options: OpenAIResponsesAdapterOptions) {
    super(options);
    this.store = options.store ?? false;
  }

  /** The request body for `request` (the Responses API's `input` items and options). */
  override body(request: PreparedRequest): Body {
    if (request.stopSequences !== undefined && request.stopSequences.length > 0) {
      throw new InvalidSpecError('openai responses request', 'stopSequences', request.stopSequences, 'is not supported by the Responses API');
    }
    const input: Body[] = [];
    for (const m of request.messages) {
      switch (m.role) {
        case 'system':
        case 'user':
          input.push({ role: m.role, content: m.content });
          break;
        case 'assistant':
          if (m.content !== '' || (m.toolCalls ?? []).length === 0) input.push({ role: 'assistant', content: m.content });
          for (const c of m.toolCalls ?? []) input.push({ type: 'function_call', call_id: c.id, name: c.name, arguments: c.argumentsText });
          break;
        case 'tool':
          input.push({ type: 'function_call_output', call_id: m.toolCallId, output: m.content });
          break;
        default:
          assertNever(m);
      }
    }
    const body: Body = { ...this.extraBody, model: this.model, input, max_output_tokens: request.maxOutputTokens, store: this.store };
    if (request.tools.length > 0) {
      body.tools = request.tools.map((t) => ({
        type: 'function',
        name: t.name,
        ...(t.description === undefined ? {} : { description: t.description }),
        parameters: t.parameters,
        strict: false,
      }));
    }
    const choice = request.toolChoice;
    if (choice !== undefined) body.tool_choice = typeof choice === 'string' ? choice : { type: 'function', name: choice.name };
    const rf = request.responseFormat;
    if (rf !== undefined) {
      body.text = { format: rf.schema === undefined ? { type: 'json_object' } : { type: 'json_schema', name: rf.name, schema: rf.schema, strict: false } };
    }
    if (request.temperature !== undefined) body.temperature = request.temperature;
    return body;
  }

  override async send(request: PreparedRequest, signal: AbortSignal): Promise<AttemptResult> {
    const body = this.body(request);
    const response = (await this.withClient(signal, (sdk) =>
      sdk.responses.create({ ...body, stream: false } as unknown as OpenAI.Responses.ResponseCreateParamsNonStreaming, { signal }),
    )) as unknown as RawResponse;
    if (typeof response !== 'object' || response === null || !Array.isArray(response.output)) {
      throw new MalformedResponseError(this.name, this.model, 'no output list in the response');
    }
    if (response.status === 'failed') throw this.failed(response);
    let text = '';
    const calls: ToolCall[] = [];
    for (const item of response.output) {
      if (item.type === 'message') for (const p of item.content ?? []) if (p.type === 'output_text' && typeof p.text === 'string') text += p.text;
      if (item.type === 'function_call') {
        const args = item.arguments ?? '';
        calls.push({ id: item.call_id ?? item.id ?? '', name: item.name ?? '', argumentsText: args, arguments: parseArguments(args) });
      }
    }
    const usage = response.usage;
    return {
      id: response.id ?? '',
      model: response.model ?? this.model,
      text,
      toolCalls: calls,
      finishReason: finishReason(response, calls.length > 0),
      usage: usage === undefined || usage === null ? makeUsage(estimateTokens(promptChars(request)), estimateTokens(text.length), 0) : usageOf(usage),
      usageEstimated: usage === undefined || usage === null,
    };
  }

  override async *open(request: PreparedRequest, signal: AbortSignal, meta: StreamMeta): AsyncIterable<OutputDelta> {
    const body = this.body(request);
    const stream = (await this.withClient(signal, (sdk) =>
      sdk.responses.create({ ...body, stream: true } as unknown as OpenAI.Responses.ResponseCreateParamsStreaming, { signal }),
    )) as unknown as AsyncIterable<{ type?: string; [key: string]: unknown }>;
    /** Index of each function call by its item id, in the order the calls began. */
    const callIndex = new Map<string, number>();
    let final: RawResponse | undefined;
    let events = 0;
    let chars = 0;
    try {
      for await (const event of stream) {
        events++;
        meta.touch?.();
        if (typeof event !== 'object' || event === null) throw new MalformedResponseError(this.name, this.model, 'a stream event is not an object');
        switch (event.type) {
          case 'response.created': {
            const r = event.response as RawResponse | undefined;
            if (typeof r?.id === 'string') meta.id = r.id;
            if (typeof r?.model === 'string' && r.model !== '') meta.model = r.model;
            break;
          }
          case 'response.output_text.delta': {
            const delta = event.delta;
            if (typeof delta === 'string' && delta !== '') {
              chars += delta.length;
              yield { type: 'text', text: delta };
            }
            break;
          }
          case 'response.output_item.added': {
            const item = event.item as RawItem | undefined;
            if (item?.type !== 'function_call') break;
            const index = callIndex.size;
            callIndex.set(item.id ?? `call-${index}`, index);
            yield { type: 'tool_call', index, id: item.call_id ?? item.id ?? '', name: item.name ?? '', argumentsDelta: item.arguments ?? '' };
            break;
          }
          case 'response.function_call_arguments.delta': {
            const index = callIndex.get(String(event.item_id));
            if (index === undefined)
              throw new MalformedResponseError(this.name, this.model, `arguments for an unknown function call item ${String(event.item_id)}`);
            yield { type: 'tool_call', index, argumentsDelta: typeof event.delta === 'string' ? event.delta : '' };
            break;
          }
          case 'response.completed':
          case 'response.incomplete':
            final = event.response as RawResponse;
            break;
          case 'response.failed':
            throw this.failed(event.response as RawResponse);
          default:
            break;
        }
      }
    } catch (error) {
      throw this.streamFailure(error, signal, events, chars);
    }
    if (signal.aborted) throw signal.reason;
    if (final === undefined) {
      throw new StreamInterruptedError(this.name, this.model, events, chars, 'the stream ended without response.completed');
    }
    if (typeof final.model === 'string' && final.model !== '') meta.model = final.model;
    if (final.usage !== undefined && final.usage !== null) yield { type: 'usage', usage: usageOf(final.usage) };
    yield { type: 'finish', finishReason: finishReason(final, callIndex.size > 0) };
  }

  /** The error of a `failed` response, as a provider error coded by its code. */
  private failed(response: RawResponse | undefined): ModelCallError {
    const type = response?.error?.code ?? undefined;
    const code = codeForType(type);
    return new ModelCallError({
      code,
      retryable: code !== 'MODEL_BAD_REQUEST' && code !== 'MODEL_AUTH',
      provider: this.name,
      model: this.model,
      errorType: type,
      detail: response?.error?.message ?? 'the response failed',
    });
  }
}

/** An adapter for the OpenAI Responses API (`client.responses.create`) or a compatible endpoint. */
export function openaiResponses(options: OpenAIResponsesAdapterOptions): OpenAIResponsesAdapter {
  return new OpenAIResponsesAdapter(options);
}
