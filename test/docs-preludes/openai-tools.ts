/** Docs prelude: the tools of an agent loop the reader already has, written for the OpenAI SDK. */
declare const tools: import('openai').OpenAI.ChatCompletionFunctionTool[];
declare function runTool(call: import('openai').OpenAI.ChatCompletionMessageFunctionToolCall): Promise<unknown>;
export {};
