/**
 * Checking and preparing a {@link ModelRequest} before any adapter sees it: the request is
 * validated with zod (a bad one throws `InvalidSpecError` naming the field, e.g.
 * `messages[2].toolCallId`), and tool and output schemas are converted to JSON Schema once
 * (zod schemas with zod 4's `z.toJSONSchema`; conversions are cached per schema object).
 */
import { z } from 'zod';
import { InvalidSpecError } from '../runtime/index.ts';
import { parseWith, zodIssues } from '../runtime/internal.ts';
import type { JsonSchema, Message, ModelRequest, SchemaInput, ToolChoice } from './types.ts';

/** A tool ready for an adapter: its parameters as a JSON Schema object. */
export interface PreparedTool {
  readonly name: string;
  readonly description: string | undefined;
  readonly parameters: JsonSchema;
}

/** A validated request with every schema converted. */
export interface PreparedRequest {
  readonly messages: readonly Message[];
  readonly tools: readonly PreparedTool[];
  readonly toolChoice: ToolChoice | undefined;
  readonly responseFormat:
    | {
        readonly name: string;
        readonly schema: JsonSchema | undefined;
        /** Validates the parsed answer when the schema was a zod schema. */
        readonly validate: ((value: unknown) => string | undefined) | undefined;
      }
    | undefined;
  readonly maxOutputTokens: number;
  readonly temperature: number | undefined;
  readonly stopSequences: readonly string[] | undefined;
}

const TOOL_NAME = /^[A-Za-z0-9_-]{1,64}$/;

const schemaInput = z.custom<SchemaInput>((v) => typeof v === 'object' && v !== null && !Array.isArray(v), {
  message: 'must be a JSON Schema object or a zod schema',
});

const toolCall = z.strictObject({
  id: z.string().min(1),
  name: z.string().min(1),
  argumentsText: z.string(),
  arguments: z.unknown(),
});

const message = z.discriminatedUnion('role', [
  z.strictObject({ role: z.literal('system'), content: z.string() }),
  z.strictObject({ role: z.literal('user'), content: z.string() }),
  z.strictObject({ role: z.literal('assistant'), content: z.string(), toolCalls: z.array(toolCall).optional() }),
  z.strictObject({ role: z.literal('tool'), toolCallId: z.string().min(1), content: z.string(), isError: z.boolean().optional() }),
]);

const requestSchema = z.strictObject({
  messages: z.array(message).min(1),
  tools: z
    .array(
      z.strictObject({
        name: z.string().regex(TOOL_NAME, 'must match ^[A-Za-z0-9_-]{1,64}$'),
        description: z.string().optional(),
        parameters: schemaInput,
      }),
    )
    .optional(),
  toolChoice: z.union([z.enum(['auto', 'none', 'required']), z.strictObject({ name: z.string().min(1) })]).optional(),
  responseFormat: z.strictObject({ type: z.literal('json'), schema: schemaInput.optional(), name: z.string().regex(TOOL_NAME).optional() }).optional(),
  maxOutputTokens: z.number().int().min(1).optional(),
  temperature: z.number().min(0).max(2).optional(),
  stopSequences: z.array(z.string().min(1)).optional(),
});

const converted = new WeakMap<object, JsonSchema>();

function isZod(v: unknown): v is z.ZodType {
  return typeof v === 'object' && v !== null && '_zod' in v;
}

/** JSON Schema for a tool's parameters or an output schema; zod schemas are converted (and cached). */
export function toJsonSchema(input: SchemaInput, path: string): JsonSchema {
  const hit = converted.get(input);
  if (hit !== undefined) return hit;
  let schema: JsonSchema;
  if (isZod(input)) {
    try {
      const { $schema: _ignored, ...rest } = z.toJSONSchema(input) as Record<string, unknown>;
      schema = rest;
    } catch (e) {
      throw new InvalidSpecError('model request', path, input, `cannot be converted to JSON Schema (${(e as Error).message})`);
    }
  } else {
    schema = input as JsonSchema;
  }
  converted.set(input, schema);
  return schema;
}

/** Validate `request` and convert its schemas; `defaultMaxOutputTokens` fills `maxOutputTokens`. */
export function prepareRequest(request: ModelRequest, defaultMaxOutputTokens: number): PreparedRequest {
  const r = parseWith('model request', requestSchema, request);
  const tools = (r.tools ?? []).map((t, i) => {
    const parameters = toJsonSchema(t.parameters, `tools[${i}].parameters`);
    if (parameters.type !== 'object') {
      throw new InvalidSpecError('model request', `tools[${i}].parameters`, parameters.type, 'must be an object schema (type: "object")');
    }
    return { name: t.name, description: t.description, parameters };
  });
  const seen = new Set<string>();
  tools.forEach((t, i) => {
    if (seen.has(t.name)) throw new InvalidSpecError('model request', `tools[${i}].name`, t.name, 'must be unique');
    seen.add(t.name);
  });
  const choice = r.toolChoice;
  if (typeof choice === 'object' && !seen.has(choice.name)) {
    throw new InvalidSpecError('model request', 'toolChoice.name', choice.name, 'must name one of the tools');
  }
  if (choice !== undefined && choice !== 'none' && tools.length === 0) {
    throw new InvalidSpecError('model request', 'toolChoice', choice, 'needs tools');
  }
  const ids = new Set<string>();
  for (const m of r.messages) if (m.role === 'assistant') for (const c of m.toolCalls ?? []) ids.add(c.id);
  r.messages.forEach((m, i) => {
    if (m.role === 'tool' && !ids.has(m.toolCallId)) {
      throw new InvalidSpecError('model request', `messages[${i}].toolCallId`, m.toolCallId, 'must answer a tool call of an earlier assistant message');
    }
  });
  let responseFormat: PreparedRequest['responseFormat'];
  const rf = r.responseFormat;
  if (rf !== undefined) {
    const source = rf.schema;
    const schema = source === undefined ? undefined : toJsonSchema(source, 'responseFormat.schema');
    const validate = isZod(source)
      ? (value: unknown): string | undefined => {
          const res = source.safeParse(value);
          return res.success ? undefined : zodIssues(res.error);
        }
      : undefined;
    responseFormat = { name: rf.name ?? 'output', schema, validate };
  }
  return {
    messages: r.messages as readonly Message[],
    tools,
    toolChoice: choice,
    responseFormat,
    maxOutputTokens: r.maxOutputTokens ?? defaultMaxOutputTokens,
    temperature: r.temperature,
    stopSequences: r.stopSequences,
  };
}

/** Parse a tool call's JSON text; `undefined` when it is not valid JSON. */
export function parseArguments(text: string): unknown {
  if (text.trim() === '') return {};
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** Characters of every message's text, for the token estimate. */
export function promptChars(request: PreparedRequest): number {
  let n = 0;
  for (const m of request.messages) {
    n += m.content.length + 4;
    if (m.role === 'assistant') for (const c of m.toolCalls ?? []) n += c.argumentsText.length + c.name.length;
  }
  for (const t of request.tools) n += t.name.length + (t.description?.length ?? 0) + JSON.stringify(t.parameters).length;
  if (request.responseFormat?.schema !== undefined) n += JSON.stringify(request.responseFormat.schema).length;
  return n;
}
