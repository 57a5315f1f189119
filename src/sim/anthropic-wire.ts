/**
 * The Anthropic Messages wire format for the simulated server: request checking (400 bodies in
 * the API's `{ type: 'error', error: { type, message } }` shape, naming the field as
 * `messages.0.role: ...`), the message object, and the named SSE events of a stream as the API
 * sends them: `message_start`, `content_block_start`, `ping`, `content_block_delta` (text or
 * `input_json_delta`), `content_block_stop`, `message_delta` (stop reason and output tokens),
 * `message_stop`.
 */
import { z } from 'zod';
import { chunks, textPieces, type Planned, type SimPrompt } from './script.ts';
import { sseEvent } from './http.ts';

const block = z.discriminatedUnion('type', [
  z.looseObject({ type: z.literal('text'), text: z.string() }),
  z.looseObject({ type: z.literal('image') }),
  z.looseObject({ type: z.literal('document') }),
  z.looseObject({ type: z.literal('thinking') }),
  z.looseObject({ type: z.literal('redacted_thinking') }),
  z.looseObject({ type: z.literal('tool_use'), id: z.string().min(1), name: z.string().min(1), input: z.unknown() }),
  z.looseObject({
    type: z.literal('tool_result'),
    tool_use_id: z.string().min(1),
    content: z.union([z.string(), z.array(z.looseObject({ type: z.string(), text: z.string().optional() }))]).optional(),
    is_error: z.boolean().optional(),
  }),
]);

const request = z.looseObject({
  model: z.string().min(1),
  max_tokens: z.number().int().min(1),
  messages: z.array(z.looseObject({ role: z.enum(['user', 'assistant']), content: z.union([z.string(), z.array(block)]) })).min(1),
  system: z.union([z.string(), z.array(z.looseObject({ type: z.literal('text'), text: z.string() }))]).optional(),
  stream: z.boolean().optional(),
  tools: z.array(z.looseObject({ name: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/), input_schema: z.record(z.string(), z.unknown()).optional() })).optional(),
  tool_choice: z
    .discriminatedUnion('type', [
      z.looseObject({ type: z.literal('auto') }),
      z.looseObject({ type: z.literal('any') }),
      z.looseObject({ type: z.literal('none') }),
      z.looseObject({ type: z.literal('tool'), name: z.string().min(1) }),
    ])
    .optional(),
});

export type AnthropicParsed = { readonly ok: true; readonly prompt: SimPrompt; readonly stream: boolean } | { readonly ok: false; readonly message: string };

function dotted(path: readonly PropertyKey[]): string {
  return path.map(String).join('.');
}

/** Check an Anthropic request body and reduce it to a prompt. */
export function parseAnthropicRequest(body: unknown): AnthropicParsed {
  const r = request.safeParse(body);
  if (!r.success) {
    const issue = r.error.issues[0];
    if (issue === undefined) return { ok: false, message: 'invalid request' };
    const missing = issue.code === 'invalid_type' && issue.input === undefined;
    return { ok: false, message: `${dotted(issue.path)}: ${missing ? 'Field required' : issue.message}` };
  }
  const b = r.data;
  const tools = (b.tools ?? []).map((t) => ({ name: t.name, schema: t.input_schema }));
  const choice = b.tool_choice;
  if (choice?.type === 'tool' && !tools.some((t) => t.name === choice.name)) {
    return { ok: false, message: `tool_choice.name: Tool '${choice.name}' not found in tools` };
  }
  const turns: { role: 'user' | 'assistant' | 'tool'; text: string }[] = [];
  const toolUses = new Set<string>();
  for (const [i, m] of b.messages.entries()) {
    if (typeof m.content === 'string') {
      turns.push({ role: m.role, text: m.content });
      continue;
    }
    const texts: string[] = [];
    for (const [j, bl] of m.content.entries()) {
      if (bl.type === 'text') texts.push(bl.text);
      else if (bl.type === 'tool_use') {
        toolUses.add(bl.id);
        texts.push(`${bl.name}(${JSON.stringify(bl.input)})`);
      } else if (bl.type === 'tool_result') {
        if (!toolUses.has(bl.tool_use_id)) {
          return {
            ok: false,
            message: `messages.${i}.content.${j}: unexpected \`tool_use_id\` found in \`tool_result\` blocks: ${bl.tool_use_id}. Each \`tool_result\` block must have a corresponding \`tool_use\` block in the previous message.`,
          };
        }
        const c = bl.content;
        turns.push({ role: 'tool', text: typeof c === 'string' ? c : (c ?? []).map((p) => p.text ?? '').join('') });
      }
    }
    if (texts.length > 0) turns.push({ role: m.role, text: texts.join(' ') });
  }
  const last = b.messages.at(-1);
  let prefill = '';
  if (last?.role === 'assistant') {
    prefill = typeof last.content === 'string' ? last.content : last.content.map((bl) => (bl.type === 'text' ? bl.text : '')).join('');
    turns.pop();
  }
  const system = typeof b.system === 'string' ? b.system : (b.system ?? []).map((s) => s.text).join('\n\n');
  return {
    ok: true,
    stream: b.stream === true,
    prompt: {
      api: 'anthropic',
      model: b.model,
      system,
      turns,
      tools,
      forcedTool: choice?.type === 'tool' ? choice.name : undefined,
      toolRequired: choice?.type === 'any' || choice?.type === 'tool',
      toolsDisabled: choice?.type === 'none',
      json: undefined,
      maxTokens: b.max_tokens,
      prefill,
    },
  };
}

/** The API's error body. */
export function anthropicError(type: string, message: string, requestId?: string): unknown {
  return { type: 'error', error: { type, message }, ...(requestId === undefined ? {} : { request_id: requestId }) };
}

/** Error type the real API uses for a status. */
export function anthropicErrorType(status: number): string {
  switch (status) {
    case 400:
      return 'invalid_request_error';
    case 401:
      return 'authentication_error';
    case 403:
      return 'permission_error';
    case 404:
      return 'not_found_error';
    case 413:
      return 'request_too_large';
    case 429:
      return 'rate_limit_error';
    case 529:
      return 'overloaded_error';
    default:
      return 'api_error';
  }
}

type Answer = Extract<Planned, { kind: 'answer' }>;

const STOP: Record<Answer['finish'], string> = { stop: 'end_turn', length: 'max_tokens', tool_calls: 'tool_use' };

function usage(p: Answer, outputTokens: number): unknown {
  return {
    input_tokens: p.inputTokens,
    output_tokens: outputTokens,
    cache_creation_input_tokens: 0,
    cache_read_input_tokens: p.cachedInputTokens,
    service_tier: 'standard',
  };
}

function content(p: Answer): unknown[] {
  const out: unknown[] = [];
  if (p.text !== '') out.push({ type: 'text', text: p.text });
  for (const c of p.toolCalls) out.push({ type: 'tool_use', id: c.id.replace(/^call_/, 'toolu_'), name: c.name, input: c.arguments });
  return out;
}

/** A non-streamed message. */
export function anthropicMessage(p: Answer, id: string, model: string): unknown {
  return {
    id,
    type: 'message',
    role: 'assistant',
    model,
    content: content(p),
    stop_reason: STOP[p.finish],
    stop_sequence: null,
    usage: usage(p, p.outputTokens),
  };
}

/** The SSE events of a streamed message, each already framed. */
export function anthropicStreamEvents(p: Answer, id: string, model: string): string[] {
  const ev = (name: string, data: Record<string, unknown>): string => sseEvent(JSON.stringify({ type: name, ...data }), name);
  const events = [
    ev('message_start', {
      message: { id, type: 'message', role: 'assistant', model, content: [], stop_reason: null, stop_sequence: null, usage: usage(p, 1) },
    }),
  ];
  let index = 0;
  if (p.text !== '') {
    events.push(ev('content_block_start', { index, content_block: { type: 'text', text: '' } }));
    events.push(ev('ping', {}));
    for (const piece of textPieces(p.text)) events.push(ev('content_block_delta', { index, delta: { type: 'text_delta', text: piece } }));
    events.push(ev('content_block_stop', { index }));
    index++;
  }
  for (const c of p.toolCalls) {
    events.push(ev('content_block_start', { index, content_block: { type: 'tool_use', id: c.id.replace(/^call_/, 'toolu_'), name: c.name, input: {} } }));
    for (const frag of chunks(JSON.stringify(c.arguments), 16)) {
      events.push(ev('content_block_delta', { index, delta: { type: 'input_json_delta', partial_json: frag } }));
    }
    events.push(ev('content_block_stop', { index }));
    index++;
  }
  events.push(ev('message_delta', { delta: { stop_reason: STOP[p.finish], stop_sequence: null }, usage: { output_tokens: p.outputTokens } }));
  events.push(ev('message_stop', {}));
  return events;
}
