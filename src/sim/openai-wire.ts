/**
 * The OpenAI Chat Completions wire format for the simulated server: request checking (a bad
 * request gets the API's 400 body naming the parameter), the completion object, and the SSE
 * chunks of a stream (role chunk, content or tool-call fragments, the finish chunk, the usage
 * chunk when `stream_options.include_usage` is set, then `data: [DONE]`).
 */
import { z } from 'zod';
import { formatPath } from '../resilience/index.ts';
import { chunks, textPieces, type Planned, type SimPrompt } from './script.ts';
import { sseEvent } from './http.ts';

const text = z.union([z.string(), z.array(z.looseObject({ type: z.string(), text: z.string().optional() }))]);

const message = z.discriminatedUnion('role', [
  z.looseObject({ role: z.literal('system'), content: text }),
  z.looseObject({ role: z.literal('developer'), content: text }),
  z.looseObject({ role: z.literal('user'), content: text }),
  z.looseObject({
    role: z.literal('assistant'),
    content: text.nullable().optional(),
    tool_calls: z
      .array(z.looseObject({ id: z.string(), type: z.literal('function'), function: z.looseObject({ name: z.string(), arguments: z.string() }) }))
      .optional(),
  }),
  z.looseObject({ role: z.literal('tool'), tool_call_id: z.string().min(1), content: text }),
]);

const request = z.looseObject({
  model: z.string().min(1),
  messages: z.array(message).min(1),
  stream: z.boolean().nullable().optional(),
  stream_options: z.looseObject({ include_usage: z.boolean().optional() }).nullable().optional(),
  max_tokens: z.number().int().min(1).nullable().optional(),
  max_completion_tokens: z.number().int().min(1).nullable().optional(),
  n: z.literal(1).nullable().optional(),
  tools: z
    .array(
      z.looseObject({
        type: z.literal('function'),
        function: z.looseObject({ name: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/), parameters: z.record(z.string(), z.unknown()).optional() }),
      }),
    )
    .optional(),
  tool_choice: z
    .union([z.enum(['none', 'auto', 'required']), z.looseObject({ type: z.literal('function'), function: z.looseObject({ name: z.string() }) })])
    .optional(),
  response_format: z
    .discriminatedUnion('type', [
      z.looseObject({ type: z.literal('text') }),
      z.looseObject({ type: z.literal('json_object') }),
      z.looseObject({
        type: z.literal('json_schema'),
        json_schema: z.looseObject({ name: z.string().min(1), schema: z.record(z.string(), z.unknown()).optional() }),
      }),
    ])
    .optional(),
  continue_final_message: z.boolean().optional(),
});

function contentText(c: z.infer<typeof text> | null | undefined): string {
  if (c === null || c === undefined) return '';
  if (typeof c === 'string') return c;
  return c.map((p) => p.text ?? '').join('');
}

export type OpenAIParsed =
  | { readonly ok: true; readonly prompt: SimPrompt; readonly stream: boolean; readonly includeUsage: boolean }
  | { readonly ok: false; readonly param: string | null; readonly message: string };

/**
 * OpenAI's answer to a request body its schema refused, from the first issue: the parameter and
 * a message; a missing model is worded `missingModel` (each OpenAI API words it its own way).
 */
export function refusedRequest(error: z.ZodError, missingModel: string): { readonly ok: false; readonly param: string | null; readonly message: string } {
  const issue = error.issues[0];
  const param = issue === undefined ? null : formatPath(issue.path);
  if (issue?.path.length === 1 && issue.path[0] === 'model' && issue.code === 'invalid_type') return { ok: false, param: 'model', message: missingModel };
  return { ok: false, param, message: `Invalid value for '${param ?? 'body'}': ${issue?.message ?? 'invalid request'}.` };
}

/** Check an OpenAI request body and reduce it to a prompt. */
export function parseOpenAIRequest(body: unknown): OpenAIParsed {
  const r = request.safeParse(body);
  if (!r.success) return refusedRequest(r.error, 'you must provide a model parameter');
  const b = r.data;
  if (b.stream_options != null && b.stream !== true) {
    return { ok: false, param: 'stream_options', message: "The 'stream_options' parameter is only allowed when 'stream' is enabled." };
  }
  const tools = (b.tools ?? []).map((t) => ({ name: t.function.name, schema: t.function.parameters }));
  const choice = b.tool_choice;
  if (choice !== undefined && choice !== 'none' && choice !== 'auto' && tools.length === 0) {
    return { ok: false, param: 'tool_choice', message: "Invalid value for 'tool_choice': 'tool_choice' is only allowed when 'tools' are specified." };
  }
  if (typeof choice === 'object' && !tools.some((t) => t.name === choice.function.name)) {
    return {
      ok: false,
      param: 'tool_choice',
      message: `Invalid value for 'tool_choice': no function named '${choice.function.name}' was specified in 'tools'.`,
    };
  }
  const callIds = new Set<string>();
  const system: string[] = [];
  const turns: { role: 'user' | 'assistant' | 'tool'; text: string }[] = [];
  for (const [i, m] of b.messages.entries()) {
    if (m.role === 'system' || m.role === 'developer') system.push(contentText(m.content));
    else if (m.role === 'assistant') {
      for (const c of m.tool_calls ?? []) callIds.add(c.id);
      const calls = (m.tool_calls ?? []).map((c) => `${c.function.name}(${c.function.arguments})`).join(' ');
      turns.push({ role: 'assistant', text: [contentText(m.content), calls].filter((x) => x !== '').join(' ') });
    } else if (m.role === 'tool') {
      if (!callIds.has(m.tool_call_id)) {
        return {
          ok: false,
          param: `messages.[${i}].tool_call_id`,
          message: "Invalid parameter: messages with role 'tool' must be a response to a preceeding message with 'tool_calls'.",
        };
      }
      turns.push({ role: 'tool', text: contentText(m.content) });
    } else turns.push({ role: 'user', text: contentText(m.content) });
  }
  const last = b.messages.at(-1);
  const prefill = last?.role === 'assistant' && (last.tool_calls ?? []).length === 0 ? contentText(last.content) : '';
  if (prefill !== '') turns.pop();
  const rf = b.response_format;
  return {
    ok: true,
    stream: b.stream === true,
    includeUsage: b.stream_options?.include_usage === true,
    prompt: {
      api: 'openai',
      model: b.model,
      system: system.join('\n\n'),
      turns,
      tools,
      forcedTool: typeof choice === 'object' ? choice.function.name : undefined,
      toolRequired: choice === 'required' || typeof choice === 'object',
      toolsDisabled: choice === 'none',
      json: rf === undefined || rf.type === 'text' ? undefined : { schema: rf.type === 'json_schema' ? rf.json_schema.schema : undefined },
      maxTokens: b.max_completion_tokens ?? b.max_tokens ?? undefined,
      prefill,
    },
  };
}

/** The API's error body. */
export function openaiError(message: string, type: string, param: string | null = null, code: string | null = null): unknown {
  return { error: { message, type, param, code } };
}

/** Error type and code the real API uses for a status. */
export function openaiErrorKind(status: number): { type: string; code: string | null } {
  if (status === 429) return { type: 'requests', code: 'rate_limit_exceeded' };
  if (status === 401) return { type: 'invalid_request_error', code: 'invalid_api_key' };
  if (status === 404) return { type: 'invalid_request_error', code: 'model_not_found' };
  if (status >= 500) return { type: 'server_error', code: null };
  return { type: 'invalid_request_error', code: null };
}

type Answer = Extract<Planned, { kind: 'answer' }>;

function usage(p: Answer): unknown {
  const prompt = p.inputTokens + p.cachedInputTokens;
  return {
    prompt_tokens: prompt,
    completion_tokens: p.outputTokens,
    total_tokens: prompt + p.outputTokens,
    prompt_tokens_details: { cached_tokens: p.cachedInputTokens, audio_tokens: 0 },
    completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
  };
}

/** A non-streamed completion. */
export function openaiCompletion(p: Answer, id: string, model: string, created: number): unknown {
  return {
    id,
    object: 'chat.completion',
    created,
    model,
    system_fingerprint: 'fp_warden_sim',
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant',
          content: p.toolCalls.length > 0 && p.text === '' ? null : p.text,
          refusal: null,
          annotations: [],
          ...(p.toolCalls.length > 0
            ? { tool_calls: p.toolCalls.map((c) => ({ id: c.id, type: 'function', function: { name: c.name, arguments: JSON.stringify(c.arguments) } })) }
            : {}),
        },
        logprobs: null,
        finish_reason: p.finish,
      },
    ],
    usage: usage(p),
  };
}

/** The SSE events of a streamed completion, each already framed (`data: ...\n\n`). */
export function openaiStreamEvents(p: Answer, id: string, model: string, created: number, includeUsage: boolean): string[] {
  const base = { id, object: 'chat.completion.chunk', created, model, system_fingerprint: 'fp_warden_sim' };
  const chunk = (delta: unknown, finish: string | null = null): string =>
    sseEvent(JSON.stringify({ ...base, choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }], ...(includeUsage ? { usage: null } : {}) }));
  const events = [chunk({ role: 'assistant', content: '', refusal: null })];
  for (const piece of textPieces(p.text)) events.push(chunk({ content: piece }));
  p.toolCalls.forEach((c, index) => {
    events.push(chunk({ tool_calls: [{ index, id: c.id, type: 'function', function: { name: c.name, arguments: '' } }] }));
    for (const frag of chunks(JSON.stringify(c.arguments), 16)) events.push(chunk({ tool_calls: [{ index, function: { arguments: frag } }] }));
  });
  events.push(chunk({}, p.finish));
  if (includeUsage) events.push(sseEvent(JSON.stringify({ ...base, choices: [], usage: usage(p) })));
  events.push(sseEvent('[DONE]'));
  return events;
}
