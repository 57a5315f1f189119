/**
 * The OpenAI Chat Completions adapter, through the official `openai` SDK: OpenAI itself and any
 * OpenAI-compatible endpoint (Ollama, vLLM, LM Studio, the simulated model server).
 *
 * Configuration: `apiKey` (default `OPENAI_API_KEY`), `baseURL` (default `OPENAI_BASE_URL`, else
 * the SDK's `https://api.openai.com/v1`). The SDK runs with `maxRetries: 0`; the key is
 * registered for redaction and never appears in an error or event.
 *
 * Mapping: `system`/`user`/`assistant`/`tool` messages one to one (an assistant's tool calls as
 * `tool_calls`); tools as `function` tools; `toolChoice` `'required'` and `{ name }` as the API's
 * forms; `responseFormat` as `json_schema` (with a schema) or `json_object`; the output cap as
 * `max_completion_tokens` (`maxTokensParam: 'max_tokens'` for servers that only know the old
 * name). Streams ask for `stream_options.include_usage`, so the last chunk carries the usage.
 * Usage: `prompt_tokens` includes `cached_tokens`; Warden's `inputTokens` excludes them.
 */
import type OpenAI from 'openai';
import { ProviderAdapter, estimateTokens, type AdapterOptions, type AttemptResult, type StreamMeta } from './adapter.ts';
import { makeUsage, type OutputDelta } from './accumulate.ts';
import { MalformedResponseError, StreamInterruptedError } from './errors.ts';
import { assertNever } from '../runtime/internal.ts';
import { parseArguments, promptChars, type PreparedRequest } from './request.ts';
import type { FinishReason, Usage } from './types.ts';

export interface OpenAIAdapterOptions extends AdapterOptions {
  /** Name of the output-cap field. @default 'max_completion_tokens' */
  readonly maxTokensParam?: 'max_completion_tokens' | 'max_tokens';
  /**
   * The endpoint continues a trailing assistant message instead of answering anew (vLLM with
   * `continue_final_message`, Ollama, the simulated server). Needed for the `resume` stream
   * policy; OpenAI's own API does not. @default false
   */
  readonly supportsPrefill?: boolean;
  /** Extra fields merged into every request body (e.g. vLLM's `continue_final_message`). @default {} */
  readonly extraBody?: Readonly<Record<string, unknown>>;
}

type Body = Record<string, unknown>;

function finishReason(raw: string | null | undefined): FinishReason {
  switch (raw) {
    case 'stop':
      return 'stop';
    case 'length':
      return 'length';
    case 'tool_calls':
    case 'function_call':
      return 'tool_calls';
    case 'content_filter':
      return 'content_filter';
    default:
      return 'other';
  }
}

interface RawUsage {
  prompt_tokens?: number;
  completion_tokens?: number;
  prompt_tokens_details?: { cached_tokens?: number | null } | null;
}

function usageOf(u: RawUsage): Usage {
  const prompt = u.prompt_tokens ?? 0;
  const cached = Math.min(prompt, u.prompt_tokens_details?.cached_tokens ?? 0);
  return makeUsage(prompt - cached, u.completion_tokens ?? 0, cached);
}

export class OpenAIAdapter extends ProviderAdapter<OpenAI> {
  readonly supportsPrefill: boolean;
  readonly baseURL: string;
  private readonly clientOptions: ConstructorParameters<typeof OpenAI>[0];
  private readonly maxTokensParam: 'max_completion_tokens' | 'max_tokens';
  protected readonly extraBody: Readonly<Record<string, unknown>>;

  constructor(options: OpenAIAdapterOptions) {
    super('openai', options);
    const { apiKey, baseURL } = this.endpoint(options, 'OPENAI_API_KEY', 'OPENAI_BASE_URL', 'https://api.openai.com/v1');
    this.baseURL = baseURL;
    this.supportsPrefill = options.supportsPrefill ?? false;
    this.maxTokensParam = options.maxTokensParam ?? 'max_completion_tokens';
    this.extraBody = options.extraBody ?? {};
    this.clientOptions = {
      apiKey,
      baseURL,
      maxRetries: 0,
      timeout: options.sdkTimeoutMs ?? 600_000,
      organization: null,
      project: null,
      logLevel: options.sdkLogLevel ?? 'off',
    };
  }

  protected override createClient(): Promise<OpenAI> {
    return import('openai').then(({ default: SDK }) => new SDK(this.clientOptions));
  }

  /** The request body for `request`. */
  body(request: PreparedRequest): Body {
    const messages = request.messages.map((m) => {
      switch (m.role) {
        case 'system':
        case 'user':
          return { role: m.role, content: m.content };
        case 'assistant': {
          const calls = m.toolCalls ?? [];
          return calls.length === 0
            ? { role: 'assistant', content: m.content }
            : {
                role: 'assistant',
                content: m.content === '' ? null : m.content,
                tool_calls: calls.map((c) => ({ id: c.id, type: 'function', function: { name: c.name, arguments: c.argumentsText } })),
              };
        }
        case 'tool':
          return { role: 'tool', tool_call_id: m.toolCallId, content: m.content };
        default:
          return assertNever(m);
      }
    });
    const body: Body = { ...this.extraBody, model: this.model, messages, [this.maxTokensParam]: request.maxOutputTokens };
    if (request.tools.length > 0) {
      body.tools = request.tools.map((t) => ({
        type: 'function',
        function: { name: t.name, ...(t.description === undefined ? {} : { description: t.description }), parameters: t.parameters },
      }));
    }
    const choice = request.toolChoice;
    if (choice !== undefined) body.tool_choice = typeof choice === 'string' ? choice : { type: 'function', function: { name: choice.name } };
    const rf = request.responseFormat;
    if (rf !== undefined) {
      body.response_format = rf.schema === undefined ? { type: 'json_object' } : { type: 'json_schema', json_schema: { name: rf.name, schema: rf.schema } };
    }
    if (request.temperature !== undefined) body.temperature = request.temperature;
    if (request.stopSequences !== undefined) body.stop = [...request.stopSequences];
    return body;
  }

  async send(request: PreparedRequest, signal: AbortSignal): Promise<AttemptResult> {
    const completion = (await this.withClient(signal, (sdk) =>
      sdk.chat.completions.create({ ...this.body(request), stream: false } as unknown as OpenAI.Chat.Completions.ChatCompletionCreateParamsNonStreaming, {
        signal,
      }),
    )) as OpenAI.Chat.Completions.ChatCompletion;
    const choice = completion?.choices?.[0];
    if (choice === undefined || typeof choice.message !== 'object' || choice.message === null) {
      throw new MalformedResponseError(this.name, this.model, 'no choices[0].message in the completion');
    }
    const calls = (choice.message.tool_calls ?? []).flatMap((c) =>
      c.type === 'function' ? [{ id: c.id, name: c.function.name, argumentsText: c.function.arguments, arguments: parseArguments(c.function.arguments) }] : [],
    );
    const text = choice.message.content ?? '';
    const usage = completion.usage;
    return {
      id: completion.id,
      model: completion.model ?? this.model,
      text,
      toolCalls: calls,
      finishReason: finishReason(choice.finish_reason),
      usage: usage === undefined || usage === null ? makeUsage(estimateTokens(promptChars(request)), estimateTokens(text.length), 0) : usageOf(usage),
      usageEstimated: usage === undefined || usage === null,
    };
  }

  async *open(request: PreparedRequest, signal: AbortSignal, meta: StreamMeta): AsyncIterable<OutputDelta> {
    const stream: AsyncIterable<OpenAI.Chat.Completions.ChatCompletionChunk> = await this.withClient(signal, (sdk) =>
      sdk.chat.completions.create(
        {
          ...this.body(request),
          stream: true,
          stream_options: { include_usage: true },
        } as unknown as OpenAI.Chat.Completions.ChatCompletionCreateParamsStreaming,
        { signal },
      ),
    );
    let finish: FinishReason | undefined;
    let usage: Usage | undefined;
    let events = 0;
    let chars = 0;
    try {
      for await (const chunk of stream) {
        events++;
        meta.touch?.();
        if (typeof chunk !== 'object' || chunk === null) throw new MalformedResponseError(this.name, this.model, 'a stream chunk is not an object');
        if (typeof chunk.id === 'string' && meta.id === '') meta.id = chunk.id;
        if (typeof chunk.model === 'string' && chunk.model !== '') meta.model = chunk.model;
        if (chunk.usage !== undefined && chunk.usage !== null) usage = usageOf(chunk.usage);
        const choice = chunk.choices?.[0];
        if (choice === undefined) continue;
        const delta = choice.delta ?? {};
        if (typeof delta.content === 'string' && delta.content !== '') {
          chars += delta.content.length;
          yield { type: 'text', text: delta.content };
        }
        for (const tc of delta.tool_calls ?? []) {
          yield {
            type: 'tool_call',
            index: tc.index,
            ...(tc.id === undefined ? {} : { id: tc.id }),
            ...(tc.function?.name === undefined ? {} : { name: tc.function.name }),
            argumentsDelta: tc.function?.arguments ?? '',
          };
        }
        if (choice.finish_reason !== null && choice.finish_reason !== undefined) finish = finishReason(choice.finish_reason);
      }
    } catch (error) {
      throw this.streamFailure(error, signal, events, chars);
    }
    if (signal.aborted) throw signal.reason;
    if (finish === undefined) {
      throw new StreamInterruptedError(this.name, this.model, events, chars, 'the stream ended without a finish_reason');
    }
    if (usage !== undefined) yield { type: 'usage', usage };
    yield { type: 'finish', finishReason: finish };
  }
}

/** An adapter for OpenAI Chat Completions or any compatible endpoint. */
export function openaiChat(options: OpenAIAdapterOptions): OpenAIAdapter {
  return new OpenAIAdapter(options);
}
