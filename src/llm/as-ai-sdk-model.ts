/**
 * A Warden model client as a Vercel AI SDK language model (`LanguageModelV4`), so an existing
 * `generateText` / `streamText` call (tool loops included) keeps its code and gets Warden's
 * policies: `generateText({ model: asAiSdkModel(client), ... })` sends each of its model calls
 * through the resilient client's retry, breakers, timeouts, fallback across providers, budgets,
 * metering and events. Give the AI SDK call `maxRetries: 0`: the retrying is Warden's.
 *
 * Mapping: the AI SDK prompt to Warden messages (system; user and assistant text parts; an
 * assistant's `tool-call` parts as its tool calls; `tool-result` parts as `tool` messages, their
 * output as text, JSON written out, `error-*` outputs as `isError`), function tools, tool
 * choice, JSON response format, output cap, temperature and stop sequences. Files, images and
 * provider-defined tools have no Warden form and are refused with the AI SDK's
 * `UnsupportedFunctionalityError` shape (`AI_UnsupportedFunctionalityError`, not retried); the
 * reasoning parts of earlier assistant turns are left out (Warden's messages carry none).
 * Settings Warden does not send (`topP`, `topK`, `seed`, penalties) come back as warnings.
 *
 * Results: text and tool calls as content, the finish reason, usage with cached input as
 * `cacheRead`, and `providerMetadata.warden` with the provider, model, degradation `level`,
 * `attempts` and `costUsd` of the call. A call that the degradation ladder queued has no answer
 * to give the AI SDK and is refused.
 *
 * Streams: Warden's deltas as stream parts (`text-start`/`text-delta`/`text-end`,
 * `tool-input-start`/`tool-input-delta`/`tool-input-end` then the whole `tool-call`, `finish`).
 * An attempt that fails before it delivered output is retried or falls back unseen. One that
 * fails after output was delivered is voided by Warden (a `reset`), but the AI SDK has no way to
 * take back text it has already passed on; rather than splice two attempts into one answer, the
 * stream then ends with an `error` part carrying the failure. Use `streamFailure: 'resume'` on an
 * endpoint that continues a message, where a cut stream is continued instead, or `generateText`.
 */
import type {
  JSONValue,
  LanguageModelV4,
  LanguageModelV4CallOptions,
  LanguageModelV4Content,
  LanguageModelV4FinishReason,
  LanguageModelV4GenerateResult,
  LanguageModelV4StreamPart,
  LanguageModelV4Usage,
  SharedV4Warning,
} from '@ai-sdk/provider';
import { InvalidSpecError } from '../runtime/index.ts';
import type { FinishReason, Message, ModelClient, ModelRequest, ModelResponse, ToolCall, ToolDefinition, Usage } from './types.ts';

export interface AsAiSdkModelOptions {
  /** `provider` the AI SDK reports. @default 'warden' */
  readonly provider?: string;
  /** `modelId` the AI SDK reports. @default the client's name */
  readonly modelId?: string;
}

/** The AI SDK's error for a feature a model does not have (same name and shape, so the AI SDK recognises it). */
class UnsupportedFeatureError extends Error {
  override readonly name = 'AI_UnsupportedFunctionalityError';
  readonly functionality: string;
  constructor(functionality: string) {
    super(`'${functionality}' functionality not supported by a Warden model client.`);
    this.functionality = functionality;
  }
}

function outputText(output: unknown): { text: string; isError: boolean } {
  const o = output as { type?: string; value?: unknown; reason?: string };
  switch (o?.type) {
    case 'text':
      return { text: String(o.value), isError: false };
    case 'error-text':
      return { text: String(o.value), isError: true };
    case 'json':
      return { text: JSON.stringify(o.value), isError: false };
    case 'error-json':
      return { text: JSON.stringify(o.value), isError: true };
    case 'execution-denied':
      return { text: `Tool execution denied${o.reason === undefined ? '' : `: ${o.reason}`}`, isError: true };
    default:
      throw new UnsupportedFeatureError(`tool result output of type ${String(o?.type)}`);
  }
}

/** A Warden request from the AI SDK's call options, and the settings it could not carry. */
export function requestFromCallOptions(options: LanguageModelV4CallOptions): { request: ModelRequest; warnings: SharedV4Warning[] } {
  const messages: Message[] = [];
  for (const m of options.prompt) {
    switch (m.role) {
      case 'system':
        messages.push({ role: 'system', content: m.content });
        break;
      case 'user': {
        let text = '';
        for (const p of m.content) {
          if (p.type !== 'text') throw new UnsupportedFeatureError(`user message part of type ${p.type}`);
          text += p.text;
        }
        messages.push({ role: 'user', content: text });
        break;
      }
      case 'assistant': {
        let text = '';
        const calls: ToolCall[] = [];
        for (const p of m.content) {
          if (p.type === 'text') text += p.text;
          else if (p.type === 'tool-call') {
            const argumentsText = typeof p.input === 'string' ? p.input : JSON.stringify(p.input ?? {});
            calls.push({ id: p.toolCallId, name: p.toolName, argumentsText, arguments: typeof p.input === 'string' ? undefined : p.input });
          } else if (p.type !== 'reasoning') throw new UnsupportedFeatureError(`assistant message part of type ${p.type}`);
        }
        messages.push({ role: 'assistant', content: text, ...(calls.length === 0 ? {} : { toolCalls: calls }) });
        break;
      }
      case 'tool':
        for (const p of m.content) {
          if (p.type !== 'tool-result') continue;
          const { text, isError } = outputText(p.output);
          messages.push({ role: 'tool', toolCallId: p.toolCallId, content: text, ...(isError ? { isError } : {}) });
        }
        break;
      default:
        throw new UnsupportedFeatureError(`message role ${String((m as { role: unknown }).role)}`);
    }
  }
  const tools: ToolDefinition[] = (options.tools ?? []).map((t) => {
    if (t.type !== 'function') throw new UnsupportedFeatureError(`provider tool ${t.id}`);
    return { name: t.name, ...(t.description === undefined ? {} : { description: t.description }), parameters: t.inputSchema as ToolDefinition['parameters'] };
  });
  const warnings: SharedV4Warning[] = [];
  for (const setting of ['topP', 'topK', 'presencePenalty', 'frequencyPenalty', 'seed'] as const) {
    if (options[setting] !== undefined) warnings.push({ type: 'unsupported', feature: setting });
  }
  const choice = options.toolChoice;
  const rf = options.responseFormat;
  const request: ModelRequest = {
    messages,
    ...(tools.length === 0 ? {} : { tools }),
    ...(choice === undefined || tools.length === 0 ? {} : { toolChoice: choice.type === 'tool' ? { name: choice.toolName } : choice.type }),
    ...(rf?.type === 'json'
      ? {
          responseFormat: {
            type: 'json' as const,
            ...(rf.schema === undefined ? {} : { schema: rf.schema as ToolDefinition['parameters'] }),
            ...(rf.name === undefined ? {} : { name: rf.name }),
          },
        }
      : {}),
    ...(options.maxOutputTokens === undefined ? {} : { maxOutputTokens: options.maxOutputTokens }),
    ...(options.temperature === undefined ? {} : { temperature: options.temperature }),
    ...(options.stopSequences === undefined || options.stopSequences.length === 0 ? {} : { stopSequences: options.stopSequences }),
  };
  return { request, warnings };
}

function finish(reason: FinishReason): LanguageModelV4FinishReason {
  const unified = reason === 'tool_calls' ? 'tool-calls' : reason === 'content_filter' ? 'content-filter' : reason;
  return { unified, raw: reason };
}

function usageOf(u: Usage): LanguageModelV4Usage {
  return {
    inputTokens: { total: u.inputTokens + u.cachedInputTokens, noCache: u.inputTokens, cacheRead: u.cachedInputTokens, cacheWrite: undefined },
    outputTokens: { total: u.outputTokens, text: u.outputTokens, reasoning: undefined },
  };
}

function wardenMetadata(r: ModelResponse): { warden: { [key: string]: JSONValue } } {
  return {
    warden: { provider: r.provider, model: r.model, level: r.level, attempts: r.attempts, costUsd: r.costUsd ?? null, totalTokens: r.totalUsage.totalTokens },
  };
}

function answerOf(result: unknown): ModelResponse {
  if ((result as { level?: unknown }).level === 'queued') throw new UnsupportedFeatureError('a queued answer (the degradation ladder parked the call)');
  return result as ModelResponse;
}

/**
 * The Warden model client `client` as an AI SDK language model.
 *
 * @example
 * ```ts
 * import { generateText } from 'ai';
 * import { asAiSdkModel, createModelClient, openaiChat } from 'warden/llm';
 *
 * const client = createModelClient({ models: [openaiChat({ model: 'gpt-4o-mini' })] });
 * const { text } = await generateText({ model: asAiSdkModel(client), prompt: 'Hello', maxRetries: 0 });
 * ```
 */
export function asAiSdkModel(client: ModelClient, options: AsAiSdkModelOptions = {}): LanguageModelV4 {
  if (typeof client !== 'object' || client === null || typeof client.complete !== 'function' || typeof client.stream !== 'function') {
    throw new InvalidSpecError('asAiSdkModel', 'client', client, 'must be a Warden model client (with complete and stream)');
  }
  return {
    specificationVersion: 'v4',
    provider: options.provider ?? 'warden',
    modelId: options.modelId ?? client.name,
    supportedUrls: {},

    async doGenerate(call: LanguageModelV4CallOptions): Promise<LanguageModelV4GenerateResult> {
      const { request, warnings } = requestFromCallOptions(call);
      const r = answerOf(await client.complete(request, call.abortSignal === undefined ? {} : { signal: call.abortSignal }));
      const content: LanguageModelV4Content[] = [];
      if (r.text !== '') content.push({ type: 'text', text: r.text });
      for (const c of r.toolCalls) content.push({ type: 'tool-call', toolCallId: c.id, toolName: c.name, input: c.argumentsText });
      return {
        content,
        finishReason: finish(r.finishReason),
        usage: usageOf(r.usage),
        providerMetadata: wardenMetadata(r),
        response: { id: r.id, modelId: r.model },
        warnings,
      };
    },

    async doStream(call: LanguageModelV4CallOptions) {
      const { request, warnings } = requestFromCallOptions(call);
      const s = client.stream(request, call.abortSignal === undefined ? {} : { signal: call.abortSignal });
      const iterator = s[Symbol.asyncIterator]();
      let textId: string | undefined;
      let blocks = 0;
      const calls = new Map<number, { id: string; name: string; args: string }>();
      const stream = new ReadableStream<LanguageModelV4StreamPart>({
        start(controller) {
          controller.enqueue({ type: 'stream-start', warnings });
        },
        async pull(controller) {
          // Each pull must enqueue something or close: a pull that enqueues nothing is not called again.
          let enqueued = false;
          const put = (part: LanguageModelV4StreamPart): void => {
            controller.enqueue(part);
            enqueued = true;
          };
          const endText = (): void => {
            if (textId !== undefined) put({ type: 'text-end', id: textId });
            textId = undefined;
          };
          try {
            while (!enqueued) {
              const next = await iterator.next();
              if (next.done) {
                endText();
                for (const [, c] of calls) {
                  put({ type: 'tool-input-end', id: c.id });
                  put({ type: 'tool-call', toolCallId: c.id, toolName: c.name, input: c.args });
                }
                const r = answerOf(await s.response);
                put({ type: 'response-metadata', id: r.id, modelId: r.model });
                put({ type: 'finish', finishReason: finish(r.finishReason), usage: usageOf(r.usage), providerMetadata: wardenMetadata(r) });
                controller.close();
                return;
              }
              const d = next.value;
              switch (d.type) {
                case 'text':
                  if (textId === undefined) {
                    textId = `text-${blocks++}`;
                    put({ type: 'text-start', id: textId });
                  }
                  put({ type: 'text-delta', id: textId, delta: d.text });
                  break;
                case 'tool_call': {
                  let c = calls.get(d.index);
                  if (c === undefined) {
                    endText();
                    c = { id: d.id ?? `call-${d.index}`, name: d.name ?? '', args: '' };
                    calls.set(d.index, c);
                    put({ type: 'tool-input-start', id: c.id, toolName: c.name });
                  }
                  c.args += d.argumentsDelta;
                  if (d.argumentsDelta !== '') put({ type: 'tool-input-delta', id: c.id, delta: d.argumentsDelta });
                  break;
                }
                case 'reset':
                  // Delivered output was voided; the AI SDK cannot take it back (see the module doc).
                  s.abort(d.error);
                  put({ type: 'error', error: d.error });
                  controller.close();
                  return;
                default:
                  // `start` (a new attempt, nothing delivered yet), `usage`, `finish`: the answer says it at the end.
                  break;
              }
            }
          } catch (error) {
            controller.enqueue({ type: 'error', error });
            controller.close();
          }
        },
        cancel(reason) {
          s.abort(reason);
        },
      });
      return { stream };
    },
  };
}
