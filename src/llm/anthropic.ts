/**
 * The Anthropic Messages adapter, through the official `@anthropic-ai/sdk`.
 *
 * Configuration: `apiKey` (default `ANTHROPIC_API_KEY`), `baseURL` (default `ANTHROPIC_BASE_URL`,
 * else the SDK's `https://api.anthropic.com`). The SDK runs with `maxRetries: 0`; the key is
 * registered for redaction.
 *
 * Mapping: system messages are joined into `system`; a tool result becomes a `tool_result`
 * block in a user turn, and consecutive turns of one role are merged (the API wants them
 * alternating); an assistant's tool calls become `tool_use` blocks; `toolChoice` `'required'` is
 * `any`. `max_tokens` is required by the API: the request's `maxOutputTokens` or the adapter's.
 * A trailing assistant message is a prefill that the model continues (so `supportsPrefill`).
 *
 * Structured output (`responseFormat`) uses the API's tool mechanism: a tool named after the
 * format (`output` by default) with the schema as its input, which the model is made to call
 * (`tool_choice: { type: 'tool' }`, or `any` when the request has tools of its own). Its input
 * becomes the answer's text (JSON) and `output`; streamed, its `input_json_delta` fragments are
 * delivered as text deltas.
 *
 * Usage: `input_tokens` plus `cache_creation_input_tokens` count as input,
 * `cache_read_input_tokens` as cached input.
 */
import type Anthropic from '@anthropic-ai/sdk';
import { InvalidSpecError } from '../runtime/index.ts';
import { ProviderAdapter, estimateTokens, type AdapterOptions, type AttemptResult, type StreamMeta } from './adapter.ts';
import { makeUsage, type OutputDelta } from './accumulate.ts';
import { MalformedResponseError, StreamInterruptedError } from './errors.ts';
import { promptChars, type PreparedRequest } from './request.ts';
import type { FinishReason, ToolCall, Usage } from './types.ts';

export type AnthropicAdapterOptions = AdapterOptions;

type Body = Record<string, unknown>;
type Block = Record<string, unknown>;

function finishReason(raw: string | null | undefined): FinishReason {
  switch (raw) {
    case 'end_turn':
    case 'stop_sequence':
      return 'stop';
    case 'max_tokens':
    case 'model_context_window_exceeded':
      return 'length';
    case 'tool_use':
      return 'tool_calls';
    case 'refusal':
      return 'content_filter';
    default:
      return 'other';
  }
}

interface RawUsage {
  input_tokens?: number | null;
  output_tokens?: number | null;
  cache_read_input_tokens?: number | null;
  cache_creation_input_tokens?: number | null;
}

function usageOf(u: RawUsage): Usage {
  return makeUsage((u.input_tokens ?? 0) + (u.cache_creation_input_tokens ?? 0), u.output_tokens ?? 0, u.cache_read_input_tokens ?? 0);
}

export class AnthropicAdapter extends ProviderAdapter<Anthropic> {
  readonly supportsPrefill = true;
  readonly baseURL: string;
  private readonly clientOptions: ConstructorParameters<typeof Anthropic>[0];

  constructor(options: AnthropicAdapterOptions) {
    super('anthropic', options);
    const { apiKey, baseURL } = this.endpoint(options, 'ANTHROPIC_API_KEY', 'ANTHROPIC_BASE_URL', 'https://api.anthropic.com');
    this.baseURL = baseURL;
    this.clientOptions = { apiKey, authToken: null, baseURL, maxRetries: 0, timeout: options.sdkTimeoutMs ?? 600_000, logLevel: options.sdkLogLevel ?? 'off' };
  }

  protected override createClient(): Promise<Anthropic> {
    return import('@anthropic-ai/sdk').then(({ default: SDK }) => new SDK(this.clientOptions));
  }

  /** The name of the tool that carries structured output, if the request asks for JSON. */
  private outputTool(request: PreparedRequest): string | undefined {
    return request.responseFormat?.name;
  }

  /** The request body for `request`. */
  body(request: PreparedRequest): Body {
    const system: string[] = [];
    const turns: { role: 'user' | 'assistant'; content: Block[] }[] = [];
    const add = (role: 'user' | 'assistant', blocks: Block[]): void => {
      const last = turns.at(-1);
      if (last !== undefined && last.role === role) last.content.push(...blocks);
      else turns.push({ role, content: blocks });
    };
    for (const m of request.messages) {
      switch (m.role) {
        case 'system':
          system.push(m.content);
          break;
        case 'user':
          add('user', [{ type: 'text', text: m.content }]);
          break;
        case 'assistant': {
          const blocks: Block[] = m.content === '' ? [] : [{ type: 'text', text: m.content }];
          for (const c of m.toolCalls ?? []) {
            blocks.push({ type: 'tool_use', id: c.id, name: c.name, input: typeof c.arguments === 'object' && c.arguments !== null ? c.arguments : {} });
          }
          if (blocks.length > 0) add('assistant', blocks);
          break;
        }
        case 'tool':
          add('user', [{ type: 'tool_result', tool_use_id: m.toolCallId, content: m.content, ...(m.isError === true ? { is_error: true } : {}) }]);
          break;
      }
    }
    const messages = turns.map((t) =>
      t.content.length === 1 && t.content[0]?.type === 'text' && t.role === 'user' ? { role: t.role, content: t.content[0].text } : t,
    );
    const body: Body = { model: this.model, max_tokens: request.maxOutputTokens, messages };
    if (system.length > 0) body.system = system.join('\n\n');
    const tools: Block[] = request.tools.map((t) => ({
      name: t.name,
      ...(t.description === undefined ? {} : { description: t.description }),
      input_schema: t.parameters,
    }));
    const output = this.outputTool(request);
    const choice = request.toolChoice;
    if (output !== undefined) {
      if (request.tools.some((t) => t.name === output)) {
        throw new InvalidSpecError(
          'model request',
          'responseFormat.name',
          output,
          'must differ from every tool name (anthropic carries structured output as a tool)',
        );
      }
      tools.push({
        name: output,
        description: 'Give the final answer by calling this tool with it as the input.',
        input_schema: request.responseFormat?.schema ?? { type: 'object' },
      });
      body.tool_choice = request.tools.length === 0 || choice === 'none' ? { type: 'tool', name: output } : { type: 'any' };
    } else if (choice !== undefined) {
      body.tool_choice = typeof choice === 'object' ? { type: 'tool', name: choice.name } : choice === 'required' ? { type: 'any' } : { type: choice };
    }
    if (tools.length > 0) body.tools = tools;
    if (request.temperature !== undefined) body.temperature = Math.min(1, request.temperature);
    if (request.stopSequences !== undefined) body.stop_sequences = [...request.stopSequences];
    return body;
  }

  async send(request: PreparedRequest, signal: AbortSignal): Promise<AttemptResult> {
    const message = (await this.withClient(signal, (sdk) =>
      sdk.messages.create({ ...this.body(request), stream: false } as unknown as Anthropic.MessageCreateParamsNonStreaming, { signal }),
    )) as Anthropic.Message;
    if (typeof message !== 'object' || message === null || !Array.isArray(message.content)) {
      throw new MalformedResponseError(this.name, this.model, 'no content array in the message');
    }
    const output = this.outputTool(request);
    let text = '';
    const calls: ToolCall[] = [];
    for (const block of message.content) {
      if (block.type === 'text') text += block.text;
      else if (block.type === 'tool_use') {
        const argumentsText = JSON.stringify(block.input ?? {});
        if (block.name === output) text = argumentsText;
        else calls.push({ id: block.id, name: block.name, argumentsText, arguments: block.input ?? {} });
      }
    }
    const usage = message.usage as RawUsage | undefined;
    const structured = output !== undefined && calls.length === 0;
    return {
      id: message.id,
      model: message.model ?? this.model,
      text,
      toolCalls: calls,
      finishReason: structured && message.stop_reason === 'tool_use' ? 'stop' : finishReason(message.stop_reason),
      usage: usage === undefined ? makeUsage(estimateTokens(promptChars(request)), estimateTokens(text.length), 0) : usageOf(usage),
      usageEstimated: usage === undefined,
    };
  }

  async *open(request: PreparedRequest, signal: AbortSignal, meta: StreamMeta): AsyncIterable<OutputDelta> {
    const stream: AsyncIterable<Anthropic.RawMessageStreamEvent> = await this.withClient(signal, (sdk) =>
      sdk.messages.create({ ...this.body(request), stream: true } as unknown as Anthropic.MessageCreateParamsStreaming, { signal }),
    );
    const output = this.outputTool(request);
    /** Content-block index → what the block is: text, the output tool, or the n-th tool call. */
    const blocks = new Map<number, { kind: 'text' } | { kind: 'output' } | { kind: 'call'; index: number }>();
    let calls = 0;
    let raw: RawUsage = {};
    let stop: string | null | undefined;
    let stopped = false;
    let events = 0;
    let chars = 0;
    try {
      for await (const event of stream) {
        events++;
        meta.touch?.();
        switch (event.type) {
          case 'message_start':
            meta.id = event.message.id;
            if (typeof event.message.model === 'string') meta.model = event.message.model;
            raw = { ...(event.message.usage as RawUsage) };
            break;
          case 'content_block_start': {
            const b = event.content_block;
            if (b.type === 'tool_use' && b.name === output) blocks.set(event.index, { kind: 'output' });
            else if (b.type === 'tool_use') {
              const index = calls++;
              blocks.set(event.index, { kind: 'call', index });
              yield { type: 'tool_call', index, id: b.id, name: b.name, argumentsDelta: '' };
            } else if (b.type === 'text') {
              blocks.set(event.index, { kind: 'text' });
              if (b.text !== '') {
                chars += b.text.length;
                yield { type: 'text', text: b.text };
              }
            }
            break;
          }
          case 'content_block_delta': {
            const block = blocks.get(event.index);
            const d = event.delta;
            if (d.type === 'text_delta' && block?.kind === 'text') {
              chars += d.text.length;
              yield { type: 'text', text: d.text };
            } else if (d.type === 'input_json_delta' && block?.kind === 'output') {
              chars += d.partial_json.length;
              yield { type: 'text', text: d.partial_json };
            } else if (d.type === 'input_json_delta' && block?.kind === 'call') {
              yield { type: 'tool_call', index: block.index, argumentsDelta: d.partial_json };
            }
            break;
          }
          case 'message_delta': {
            stop = event.delta.stop_reason;
            const u = event.usage as RawUsage;
            raw = {
              input_tokens: u.input_tokens ?? raw.input_tokens ?? null,
              output_tokens: u.output_tokens ?? raw.output_tokens ?? null,
              cache_read_input_tokens: u.cache_read_input_tokens ?? raw.cache_read_input_tokens ?? null,
              cache_creation_input_tokens: u.cache_creation_input_tokens ?? raw.cache_creation_input_tokens ?? null,
            };
            break;
          }
          case 'message_stop':
            stopped = true;
            break;
          default:
            break;
        }
      }
    } catch (error) {
      throw this.streamFailure(error, signal, events, chars);
    }
    if (signal.aborted) throw signal.reason;
    if (!stopped) throw new StreamInterruptedError(this.name, this.model, events, chars, 'the stream ended without message_stop');
    yield { type: 'usage', usage: usageOf(raw) };
    const structured = output !== undefined && calls === 0;
    yield { type: 'finish', finishReason: structured && stop === 'tool_use' ? 'stop' : finishReason(stop) };
  }
}

/** An adapter for the Anthropic Messages API. */
export function anthropicMessages(options: AnthropicAdapterOptions): AnthropicAdapter {
  return new AnthropicAdapter(options);
}
