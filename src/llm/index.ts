/**
 * Warden's model layer (`warden/llm`): one small model-client interface, adapters for OpenAI
 * Chat Completions (and every OpenAI-compatible endpoint), the OpenAI Responses API and Anthropic
 * Messages through their official SDKs, any Vercel AI SDK language model (`aiSdkModel`), and a
 * resilient client that adds retry, circuit breakers, timeouts, fallback
 * across providers, the degradation ladder, budgets, usage and cost metering, and events, also
 * when a stream fails midway.
 *
 * ```ts
 * import { createModelClient, openaiChat, anthropicMessages } from 'warden/llm';
 *
 * const client = createModelClient({
 *   models: [openaiChat({ model: 'gpt-4o-mini' }), anthropicMessages({ model: 'claude-3-5-haiku-latest' })],
 * });
 * const answer = await client.complete({ messages: [{ role: 'user', content: 'Hello' }] });
 * answer.text; answer.level; answer.usage;
 *
 * for await (const delta of client.stream({ messages: [{ role: 'user', content: 'Hello' }] })) {
 *   if (delta.type === 'text') process.stdout.write(delta.text);
 *   if (delta.type === 'reset') console.log('\n[the partial answer above is void; retrying]');
 * }
 * ```
 */
export type {
  JsonSchema,
  SchemaInput,
  Message,
  Role,
  ToolDefinition,
  ToolCall,
  ToolChoice,
  ResponseFormat,
  ModelRequest,
  FinishReason,
  Usage,
  ModelResponse,
  QueuedResult,
  ModelResult,
  StreamDelta,
  ModelStream,
  ModelCallOptions,
  ModelClient,
} from './types.ts';
export { ProviderAdapter, DEFAULT_MAX_OUTPUT_TOKENS } from './adapter.ts';
export type { AdapterOptions, AttemptResult, StreamMeta } from './adapter.ts';
export { OpenAIAdapter, openaiChat } from './openai.ts';
export type { OpenAIAdapterOptions } from './openai.ts';
export { OpenAIResponsesAdapter, openaiResponses } from './openai-responses.ts';
export type { OpenAIResponsesAdapterOptions } from './openai-responses.ts';
export { AiSdkAdapter, aiSdkModel } from './ai-sdk.ts';
export type { AiSdkAdapterOptions, AiSdkLanguageModel } from './ai-sdk.ts';
export { asAiSdkModel } from './as-ai-sdk-model.ts';
export type { AsAiSdkModelOptions } from './as-ai-sdk-model.ts';
export { AnthropicAdapter, anthropicMessages } from './anthropic.ts';
export type { AnthropicAdapterOptions } from './anthropic.ts';
export { ResilientModelClient, createModelClient } from './client.ts';
export { MODEL_CLIENT_DEFAULTS } from './client-options.ts';
export type { ModelClientOptions, StreamFailurePolicy } from './client-options.ts';
export {
  ModelCallError,
  MalformedResponseError,
  StreamInterruptedError,
  StreamStalledError,
  StructuredOutputError,
  MissingApiKeyError,
} from './errors.ts';
export type { ModelErrorCode } from './errors.ts';
export type { ErrorSummary } from './events.ts';
export { prepareRequest, toJsonSchema, parseArguments } from './request.ts';
export type { PreparedRequest, PreparedTool } from './request.ts';
export { redact, registerSecret, REDACTED } from './redact.ts';
export { makeUsage, addUsage, ZERO_USAGE } from './accumulate.ts';
