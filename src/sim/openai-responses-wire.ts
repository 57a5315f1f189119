/**
 * The OpenAI Responses API wire format for the simulated server (`POST /v1/responses`): request
 * checking (a bad request gets the API's 400 body naming the parameter), the response object,
 * and the server-sent events of a stream, named and shaped as the API sends them:
 * `response.created`, `response.in_progress`, then per output item `response.output_item.added`,
 * its content (`response.content_part.added`, `response.output_text.delta`...,
 * `response.output_text.done`, `response.content_part.done`, or for a function call
 * `response.function_call_arguments.delta`..., `response.function_call_arguments.done`),
 * `response.output_item.done`, and last `response.completed` (or `response.incomplete` when the
 * answer hit `max_output_tokens`). Every event carries its `sequence_number`; there is no
 * `[DONE]` line in this API.
 *
 * Input: `input` as a string or a list of items (messages with `input_text`/`output_text` parts
 * or plain strings, `function_call`, `function_call_output`; reasoning items are skipped),
 * `instructions`, function `tools`, `tool_choice`, `text.format` (`json_schema`/`json_object`),
 * `max_output_tokens`. The simulator keeps no state, so `previous_response_id` and
 * `item_reference` are refused with a 400 that says so. As on the Chat Completions path, a
 * trailing assistant message is continued (the simulated server's prefill, for resume tests).
 */
import { z } from 'zod';
import { sseEvent } from './http.ts';
import { refusedRequest } from './openai-wire.ts';
import { chunks, textPieces, type Planned, type SimPrompt } from './script.ts';

const part = z.looseObject({ type: z.string(), text: z.string().optional() });
const content = z.union([z.string(), z.array(part)]);

const item = z.union([
  z.looseObject({
    type: z.literal('message').optional(),
    role: z.enum(['user', 'system', 'developer', 'assistant']),
    content,
  }),
  z.looseObject({ type: z.literal('function_call'), call_id: z.string().min(1), name: z.string().min(1), arguments: z.string() }),
  z.looseObject({ type: z.literal('function_call_output'), call_id: z.string().min(1), output: z.union([z.string(), z.array(part)]) }),
  z.looseObject({ type: z.literal('reasoning') }),
  z.looseObject({ type: z.literal('item_reference'), id: z.string() }),
]);

const request = z.looseObject({
  model: z.string().min(1),
  input: z.union([z.string(), z.array(item)]),
  instructions: z.string().nullable().optional(),
  stream: z.boolean().nullable().optional(),
  max_output_tokens: z.number().int().min(1).nullable().optional(),
  previous_response_id: z.string().nullable().optional(),
  tools: z
    .array(
      z.looseObject({
        type: z.string(),
        name: z
          .string()
          .regex(/^[A-Za-z0-9_-]{1,64}$/)
          .optional(),
        parameters: z.unknown().optional(),
      }),
    )
    .optional(),
  tool_choice: z.union([z.enum(['none', 'auto', 'required']), z.looseObject({ type: z.literal('function'), name: z.string() })]).optional(),
  text: z
    .looseObject({
      format: z
        .discriminatedUnion('type', [
          z.looseObject({ type: z.literal('text') }),
          z.looseObject({ type: z.literal('json_object') }),
          z.looseObject({ type: z.literal('json_schema'), name: z.string().min(1), schema: z.record(z.string(), z.unknown()).optional() }),
        ])
        .optional(),
    })
    .nullable()
    .optional(),
});

type Content = z.infer<typeof content>;

/** An input item as checked by `item` (written out: zod's loose objects do not narrow on `type`). */
type Item =
  | { readonly type?: 'message'; readonly role: 'user' | 'system' | 'developer' | 'assistant'; readonly content: Content }
  | { readonly type: 'function_call'; readonly call_id: string; readonly name: string; readonly arguments: string }
  | { readonly type: 'function_call_output'; readonly call_id: string; readonly output: Content }
  | { readonly type: 'reasoning' }
  | { readonly type: 'item_reference'; readonly id: string };

function contentText(c: Content): string {
  if (typeof c === 'string') return c;
  return c.map((p) => p.text ?? '').join('');
}

export type ResponsesParsed =
  | { readonly ok: true; readonly prompt: SimPrompt; readonly stream: boolean }
  | { readonly ok: false; readonly param: string | null; readonly message: string };

/** Check a Responses API request body and reduce it to a prompt. */
export function parseResponsesRequest(body: unknown): ResponsesParsed {
  const r = request.safeParse(body);
  if (!r.success) return refusedRequest(r.error, 'Missing required parameter: model.');
  const b = r.data;
  if (typeof b.previous_response_id === 'string') {
    return { ok: false, param: 'previous_response_id', message: 'The simulated server stores no responses: send the whole conversation in `input`.' };
  }
  const tools = (b.tools ?? []).flatMap((t) => (t.type === 'function' && t.name !== undefined ? [{ name: t.name, schema: t.parameters }] : []));
  const choice = b.tool_choice;
  if (choice !== undefined && choice !== 'none' && choice !== 'auto' && tools.length === 0) {
    return { ok: false, param: 'tool_choice', message: "Invalid value for 'tool_choice': 'tool_choice' is only allowed when 'tools' are specified." };
  }
  if (typeof choice === 'object' && !tools.some((t) => t.name === choice.name)) {
    return { ok: false, param: 'tool_choice', message: `Invalid value for 'tool_choice': no function named '${choice.name}' was specified in 'tools'.` };
  }
  const system: string[] = typeof b.instructions === 'string' && b.instructions !== '' ? [b.instructions] : [];
  const turns: { role: 'user' | 'assistant' | 'tool'; text: string }[] = [];
  const items: readonly Item[] = typeof b.input === 'string' ? [{ role: 'user', content: b.input }] : (b.input as readonly Item[]);
  const callIds = new Set<string>();
  let trailingAssistantText = false;
  for (const [i, it] of items.entries()) {
    trailingAssistantText = false;
    if (it.type === 'reasoning') continue;
    if (it.type === 'item_reference') {
      return { ok: false, param: `input[${i}]`, message: 'The simulated server stores no items: send the item itself, not an item_reference.' };
    }
    if (it.type === 'function_call') {
      callIds.add(it.call_id);
      const text = `${it.name}(${it.arguments})`;
      const last = turns.at(-1);
      // Consecutive assistant output (text, then its calls) is one assistant turn, as in Chat Completions.
      if (last?.role === 'assistant') last.text = [last.text, text].filter((x) => x !== '').join(' ');
      else turns.push({ role: 'assistant', text });
      continue;
    }
    if (it.type === 'function_call_output') {
      if (!callIds.has(it.call_id)) {
        return { ok: false, param: `input[${i}].call_id`, message: `No tool call found for function call output with call_id ${it.call_id}.` };
      }
      turns.push({ role: 'tool', text: contentText(it.output) });
      continue;
    }
    const text = contentText(it.content);
    if (it.role === 'system' || it.role === 'developer') system.push(text);
    else {
      turns.push({ role: it.role, text });
      trailingAssistantText = it.role === 'assistant';
    }
  }
  const prefill = trailingAssistantText ? (turns.at(-1)?.text ?? '') : '';
  if (prefill !== '') turns.pop();
  const format = b.text?.format;
  return {
    ok: true,
    stream: b.stream === true,
    prompt: {
      api: 'openai',
      model: b.model,
      system: system.join('\n\n'),
      turns,
      tools,
      forcedTool: typeof choice === 'object' ? choice.name : undefined,
      toolRequired: choice === 'required' || typeof choice === 'object',
      toolsDisabled: choice === 'none',
      json: format === undefined || format.type === 'text' ? undefined : { schema: format.type === 'json_schema' ? format.schema : undefined },
      maxTokens: b.max_output_tokens ?? undefined,
      prefill,
    },
  };
}

type Answer = Extract<Planned, { kind: 'answer' }>;

function usage(p: Answer): unknown {
  const input = p.inputTokens + p.cachedInputTokens;
  return {
    input_tokens: input,
    input_tokens_details: { cached_tokens: p.cachedInputTokens },
    output_tokens: p.outputTokens,
    output_tokens_details: { reasoning_tokens: 0 },
    total_tokens: input + p.outputTokens,
  };
}

function messageItem(p: Answer, id: string, status: 'in_progress' | 'completed'): Record<string, unknown> {
  const done = status === 'completed';
  return {
    id: `msg_${id}`,
    type: 'message',
    status,
    role: 'assistant',
    content: done ? [{ type: 'output_text', text: p.text, annotations: [], logprobs: [] }] : [],
  };
}

function callItem(p: Answer, id: string, index: number, status: 'in_progress' | 'completed'): Record<string, unknown> {
  const c = p.toolCalls[index] as Answer['toolCalls'][number];
  return {
    id: `fc_${id}_${index}`,
    type: 'function_call',
    status,
    arguments: status === 'completed' ? JSON.stringify(c.arguments) : '',
    call_id: c.id,
    name: c.name,
  };
}

/** Whether the answer has a message item: text, or nothing else to say. */
function hasMessage(p: Answer): boolean {
  return p.text !== '' || p.toolCalls.length === 0;
}

function responseObject(
  p: Answer | undefined,
  id: string,
  model: string,
  created: number,
  prompt: SimPrompt,
  status: 'in_progress' | 'completed' | 'incomplete',
): unknown {
  const output: unknown[] = [];
  if (p !== undefined) {
    if (hasMessage(p)) output.push(messageItem(p, id, 'completed'));
    for (let i = 0; i < p.toolCalls.length; i++) output.push(callItem(p, id, i, 'completed'));
  }
  return {
    id: `resp_${id}`,
    object: 'response',
    created_at: created,
    status,
    error: null,
    incomplete_details: status === 'incomplete' ? { reason: 'max_output_tokens' } : null,
    instructions: prompt.system === '' ? null : prompt.system,
    max_output_tokens: prompt.maxTokens ?? null,
    model,
    output,
    parallel_tool_calls: true,
    previous_response_id: null,
    reasoning: { effort: null, summary: null },
    store: false,
    temperature: 1,
    text: { format: prompt.json === undefined ? { type: 'text' } : { type: 'json_object' } },
    tool_choice:
      prompt.forcedTool !== undefined
        ? { type: 'function', name: prompt.forcedTool }
        : prompt.toolRequired
          ? 'required'
          : prompt.toolsDisabled
            ? 'none'
            : 'auto',
    tools: prompt.tools.map((t) => ({ type: 'function', name: t.name, parameters: t.schema ?? null, strict: false })),
    top_p: 1,
    truncation: 'disabled',
    usage: p === undefined ? null : usage(p),
    user: null,
    metadata: {},
  };
}

/** A non-streamed response (`id` is the server's suffix: `resp_<id>`, `msg_<id>`). */
export function responsesResponse(p: Answer, id: string, model: string, created: number, prompt: SimPrompt): unknown {
  return responseObject(p, id, model, created, prompt, p.finish === 'length' ? 'incomplete' : 'completed');
}

/** The SSE events of a streamed response, each already framed (`event: ...\ndata: ...\n\n`). */
export function responsesStreamEvents(p: Answer, id: string, model: string, created: number, prompt: SimPrompt): string[] {
  const events: string[] = [];
  let seq = 0;
  const emit = (type: string, fields: Record<string, unknown>): void => {
    events.push(sseEvent(JSON.stringify({ type, sequence_number: seq++, ...fields }), type));
  };
  emit('response.created', { response: responseObject(undefined, id, model, created, prompt, 'in_progress') });
  emit('response.in_progress', { response: responseObject(undefined, id, model, created, prompt, 'in_progress') });
  let outputIndex = 0;
  if (hasMessage(p)) {
    const itemId = `msg_${id}`;
    const emptyPart = { type: 'output_text', text: '', annotations: [], logprobs: [] };
    const fullPart = { ...emptyPart, text: p.text };
    emit('response.output_item.added', { output_index: outputIndex, item: messageItem(p, id, 'in_progress') });
    emit('response.content_part.added', { item_id: itemId, output_index: outputIndex, content_index: 0, part: emptyPart });
    for (const piece of textPieces(p.text)) {
      emit('response.output_text.delta', { item_id: itemId, output_index: outputIndex, content_index: 0, delta: piece, logprobs: [] });
    }
    emit('response.output_text.done', { item_id: itemId, output_index: outputIndex, content_index: 0, text: p.text, logprobs: [] });
    emit('response.content_part.done', { item_id: itemId, output_index: outputIndex, content_index: 0, part: fullPart });
    emit('response.output_item.done', { output_index: outputIndex, item: messageItem(p, id, 'completed') });
    outputIndex++;
  }
  p.toolCalls.forEach((c, i) => {
    const itemId = `fc_${id}_${i}`;
    const args = JSON.stringify(c.arguments);
    emit('response.output_item.added', { output_index: outputIndex, item: callItem(p, id, i, 'in_progress') });
    for (const frag of chunks(args, 16)) emit('response.function_call_arguments.delta', { item_id: itemId, output_index: outputIndex, delta: frag });
    emit('response.function_call_arguments.done', { item_id: itemId, output_index: outputIndex, name: c.name, arguments: args });
    emit('response.output_item.done', { output_index: outputIndex, item: callItem(p, id, i, 'completed') });
    outputIndex++;
  });
  const final = p.finish === 'length' ? 'incomplete' : 'completed';
  emit(`response.${final}`, { response: responseObject(p, id, model, created, prompt, final) });
  return events;
}
