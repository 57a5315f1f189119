/**
 * The simulated model's script: what it answers, decided only by the request (and, for
 * `sequence` and `times`, by how many requests came before), so runs are reproducible.
 *
 * A request is answered by, in order: the first rule whose `match` holds (and whose `times` is
 * not used up); else the next unused `sequence` entry; else the default answer. The default is
 * derived from the conversation alone (a SHA-256 of it picks the words), so the same request
 * always gets the same answer, over either API. When the request forces a tool call (OpenAI
 * `tool_choice: 'required' | { function }`, Anthropic `any | { tool }`) the default calls that
 * tool (or the first) with arguments generated from its JSON Schema; when it asks for JSON
 * (`response_format`), the default is JSON generated from the schema.
 *
 * Token counts default to about 4 characters per token (input: system, messages and tools;
 * output: the answer) and can be set per rule or for the whole script.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { InvalidSpecError } from '../runtime/index.ts';
import { parseWith } from '../resilience/index.ts';

// ---- the format ------------------------------------------------------------------------------

/** A string to find, or `{ regex, flags }` with the flags `allowedFlags` accepts. */
export function stringMatcher(allowedFlags: RegExp) {
  return z.union([z.string().min(1), z.strictObject({ regex: z.string().min(1), flags: z.string().regex(allowedFlags).optional() })]);
}

const matcher = stringMatcher(/^[gimsuy]*$/);

const usageSchema = z.strictObject({
  inputTokens: z.number().int().min(0).optional(),
  outputTokens: z.number().int().min(0).optional(),
  cachedInputTokens: z.number().int().min(0).optional(),
});

const toolCallSchema = z.strictObject({ name: z.string().min(1), arguments: z.record(z.string(), z.unknown()).optional() });

const errorSchema = z.strictObject({
  status: z.number().int().min(400).max(599),
  type: z.string().min(1).optional(),
  message: z.string().optional(),
  retryAfterSeconds: z.number().min(0).optional(),
});

const replySchema = z
  .strictObject({
    text: z.string().optional(),
    toolCalls: z.array(toolCallSchema).min(1).optional(),
    json: z.unknown().optional(),
    error: errorSchema.optional(),
    usage: usageSchema.optional(),
    latencyMs: z.number().min(0).finite().optional(),
  })
  .superRefine((r, ctx) => {
    const kinds = ['text', 'toolCalls', 'json', 'error'].filter((k) => (r as Record<string, unknown>)[k] !== undefined);
    if (kinds.length === 0) ctx.addIssue({ code: 'custom', path: [], message: 'needs one of text, toolCalls, json, error' });
    if (kinds.includes('error') && kinds.length > 1)
      ctx.addIssue({ code: 'custom', path: ['error'], message: 'cannot be combined with text, toolCalls or json' });
    if (kinds.includes('json') && kinds.length > 1) ctx.addIssue({ code: 'custom', path: ['json'], message: 'cannot be combined with text or toolCalls' });
  });

const ruleSchema = z.strictObject({
  name: z.string().min(1).optional(),
  match: z
    .strictObject({
      lastUser: matcher.optional(),
      system: matcher.optional(),
      toolResult: matcher.optional(),
      anyMessage: matcher.optional(),
      model: matcher.optional(),
      api: z.enum(['openai', 'anthropic']).optional(),
      hasTools: z.boolean().optional(),
    })
    .optional(),
  reply: replySchema,
  times: z.number().int().min(1).optional(),
});

export const scriptSchema = z.strictObject({
  rules: z.array(ruleSchema).optional(),
  sequence: z.array(replySchema).optional(),
  defaults: z
    .strictObject({
      latencyMs: z.number().min(0).finite().optional(),
      streamDelayMs: z.number().min(0).finite().optional(),
      cachedInputTokens: z.number().int().min(0).optional(),
    })
    .optional(),
});

export type StringMatch = string | { readonly regex: string; readonly flags?: string | undefined };
/**
 * The token counts a scripted reply makes the simulated provider report (each optional: about 4
 * characters per token otherwise); the provider puts them on the wire in its own API's terms, and
 * a client reads them back as the model layer's `Usage`.
 */
export type SimUsage = z.infer<typeof usageSchema>;
export type SimReply = z.infer<typeof replySchema>;
export type SimRule = z.infer<typeof ruleSchema>;
/** A script (see the module doc; `docs/sim-and-chaos.md` has examples). */
export type SimScript = z.infer<typeof scriptSchema>;

type Test = (s: string) => boolean;

interface CompiledRule {
  readonly label: string;
  readonly tests: readonly { readonly field: MatchField; readonly test: Test }[];
  readonly api: 'openai' | 'anthropic' | undefined;
  readonly hasTools: boolean | undefined;
  readonly reply: SimReply;
  readonly times: number;
}

type MatchField = 'lastUser' | 'system' | 'toolResult' | 'anyMessage' | 'model';

function compileMatcher(m: StringMatch, path: string): Test {
  if (typeof m === 'string') return (s) => s.includes(m);
  let re: RegExp;
  try {
    re = new RegExp(m.regex, (m.flags ?? '').replace('g', ''));
  } catch (e) {
    throw new InvalidSpecError('sim script', `${path}.regex`, m.regex, `is not a valid regular expression (${(e as Error).message})`);
  }
  return (s) => re.test(s);
}

/** Validate a script (throws `InvalidSpecError` naming the field, e.g. `rules[1].match.lastUser.regex`). */
export function parseScript(input: unknown): SimScript {
  const script = parseWith('sim script', scriptSchema, input);
  compileRules(script);
  return script;
}

function compileRules(script: SimScript): CompiledRule[] {
  return (script.rules ?? []).map((r, i) => {
    const tests: { field: MatchField; test: Test }[] = [];
    for (const field of ['lastUser', 'system', 'toolResult', 'anyMessage', 'model'] as const) {
      const m = r.match?.[field];
      if (m !== undefined) tests.push({ field, test: compileMatcher(m, `rules[${i}].match.${field}`) });
    }
    return { label: r.name ?? `rules[${i}]`, tests, api: r.match?.api, hasTools: r.match?.hasTools, reply: r.reply, times: r.times ?? Infinity };
  });
}

// ---- the request, as both APIs see it --------------------------------------------------------

/** A request reduced to what the script looks at, the same for both APIs. */
export interface SimPrompt {
  readonly api: 'openai' | 'anthropic';
  readonly model: string;
  readonly system: string;
  /** Every non-system turn, in order (`tool` for tool results). */
  readonly turns: readonly { readonly role: 'user' | 'assistant' | 'tool'; readonly text: string }[];
  readonly tools: readonly { readonly name: string; readonly schema: unknown }[];
  /** A specific tool the request forces. */
  readonly forcedTool: string | undefined;
  /** The request forces some tool call. */
  readonly toolRequired: boolean;
  /** `none`: tools must not be called. */
  readonly toolsDisabled: boolean;
  /** JSON asked for (`response_format`), with its schema if given. */
  readonly json: { readonly schema: unknown } | undefined;
  readonly maxTokens: number | undefined;
  /** Text of a trailing assistant message: the answer continues it. */
  readonly prefill: string;
}

export function lastOf(prompt: SimPrompt, role: 'user' | 'tool'): string {
  for (let i = prompt.turns.length - 1; i >= 0; i--) {
    const t = prompt.turns[i];
    if (t?.role === role) return t.text;
  }
  return '';
}

// ---- the answer ----------------------------------------------------------------------------

export interface PlannedCall {
  readonly id: string;
  readonly name: string;
  readonly arguments: Record<string, unknown>;
}

export type Planned =
  | {
      readonly kind: 'answer';
      readonly text: string;
      readonly toolCalls: readonly PlannedCall[];
      readonly finish: 'stop' | 'length' | 'tool_calls';
      readonly inputTokens: number;
      readonly outputTokens: number;
      readonly cachedInputTokens: number;
      readonly latencyMs: number;
      /** Which rule answered: a rule's name, `sequence[i]` or `default`. */
      readonly source: string;
    }
  | {
      readonly kind: 'error';
      readonly status: number;
      readonly type: string | undefined;
      readonly message: string;
      readonly retryAfterSeconds: number | undefined;
      readonly latencyMs: number;
      readonly source: string;
    };

const WORDS = [
  'agents',
  'recover',
  'quickly',
  'when',
  'supervisors',
  'restart',
  'them',
  'after',
  'a',
  'crash',
  'the',
  'journal',
  'keeps',
  'every',
  'step',
  'so',
  'nothing',
  'is',
  'lost',
  'budgets',
  'stop',
  'runaway',
  'loops',
  'before',
  'they',
  'spend',
  'too',
  'much',
  'retries',
  'wait',
  'with',
  'jitter',
  'breakers',
  'open',
  'on',
  'repeated',
  'failures',
  'fallback',
  'models',
  'answer',
  'while',
  'primary',
  'provider',
  'rests',
  'tools',
  'run',
  'isolated',
  'and',
  'bounded',
  'timeouts',
  'protect',
  'callers',
  'events',
  'describe',
  'state',
  'changes',
  'clearly',
  'deterministic',
  'simulated',
  'replies',
  'make',
  'tests',
  'reproducible',
  'everywhere',
];

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/** The canonical text of a conversation (what the default answer is derived from). */
export function conversationKey(prompt: SimPrompt): string {
  return JSON.stringify([prompt.system, prompt.turns.map((t) => [t.role, t.text])]);
}

/** A sentence derived from `key`: the same key always gives the same sentence. */
export function defaultSentence(key: string): string {
  const h = digest(key);
  const n = 10 + ((h[0] as number) % 14);
  const words: string[] = [];
  for (let i = 0; i < n; i++) words.push(WORDS[(h[(i + 1) % h.length] as number) % WORDS.length] as string);
  const first = words[0] as string;
  words[0] = first.charAt(0).toUpperCase() + first.slice(1);
  return `${words.join(' ')}.`;
}

/** A value matching a JSON Schema (types, enums, required properties), derived from `seed`. */
export function valueForSchema(schema: unknown, seed: string, depth = 0): unknown {
  // Schemas nest without end in principle (`anyOf` inside `anyOf`): past this, stop with null.
  if (depth > 32) return null;
  const s = (typeof schema === 'object' && schema !== null ? schema : {}) as Record<string, unknown>;
  const h = digest(seed);
  if (Array.isArray(s.enum) && s.enum.length > 0) return s.enum[(h[0] as number) % s.enum.length];
  if ('const' in s) return s.const;
  const anyOf = (s.anyOf ?? s.oneOf) as unknown[] | undefined;
  if (Array.isArray(anyOf) && anyOf.length > 0) return valueForSchema(anyOf[0], seed, depth + 1);
  const type = Array.isArray(s.type) ? (s.type.find((t) => t !== 'null') ?? s.type[0]) : s.type;
  switch (type) {
    case 'string':
      return WORDS[(h[0] as number) % WORDS.length];
    case 'integer': {
      const min = typeof s.minimum === 'number' && Math.abs(s.minimum) < 1e9 ? Math.ceil(s.minimum) : 0;
      const max = typeof s.maximum === 'number' && Math.abs(s.maximum) < 1e9 ? Math.floor(s.maximum) : min + 100;
      return min + (h.readUInt32BE(0) % Math.max(1, Math.min(max - min + 1, 1_000_000)));
    }
    case 'number': {
      const min = typeof s.minimum === 'number' && Math.abs(s.minimum) < 1e9 ? s.minimum : 0;
      return min + (h.readUInt16BE(0) % 1000) / 10;
    }
    case 'boolean':
      return ((h[0] as number) & 1) === 1;
    case 'null':
      return null;
    case 'array':
      return depth > 6 ? [] : [valueForSchema(s.items, `${seed}/0`, depth + 1)];
    default: {
      const props = (typeof s.properties === 'object' && s.properties !== null ? s.properties : {}) as Record<string, unknown>;
      const out: Record<string, unknown> = {};
      if (depth > 6) return out;
      for (const [k, v] of Object.entries(props)) out[k] = valueForSchema(v, `${seed}/${k}`, depth + 1);
      return out;
    }
  }
}

function toolCallId(key: string, index: number): string {
  return `call_${digest(`${key}#${index}`).toString('hex').slice(0, 16)}`;
}

/** Rough token count: about 4 characters per token. */
export function tokensOf(chars: number): number {
  return Math.ceil(chars / 4);
}

export function promptTokens(prompt: SimPrompt): number {
  let chars = prompt.system.length;
  for (const t of prompt.turns) chars += t.text.length + 12;
  for (const t of prompt.tools) chars += t.name.length + JSON.stringify(t.schema ?? {}).length;
  if (prompt.json !== undefined) chars += JSON.stringify(prompt.json.schema ?? {}).length;
  return Math.max(1, tokensOf(chars));
}

/** Script state: the compiled rules and what has been used of `times` and `sequence`. */
export class ScriptState {
  readonly script: SimScript;
  private readonly rules: CompiledRule[];
  private readonly used: number[];
  private next = 0;

  constructor(script: SimScript) {
    this.script = parseScript(script);
    this.rules = compileRules(this.script);
    this.used = this.rules.map(() => 0);
  }

  /** Forget how often rules and sequence entries were used. */
  reset(): void {
    this.used.fill(0);
    this.next = 0;
  }

  /** Decide the answer to `prompt` (advances `times` and the sequence). */
  plan(prompt: SimPrompt): Planned {
    const fields: Record<MatchField, string> = {
      lastUser: lastOf(prompt, 'user'),
      system: prompt.system,
      toolResult: lastOf(prompt, 'tool'),
      anyMessage: prompt.turns.map((t) => t.text).join('\n'),
      model: prompt.model,
    };
    for (let i = 0; i < this.rules.length; i++) {
      const r = this.rules[i] as CompiledRule;
      if ((this.used[i] as number) >= r.times) continue;
      if (r.api !== undefined && r.api !== prompt.api) continue;
      if (r.hasTools !== undefined && r.hasTools !== prompt.tools.length > 0) continue;
      if (!r.tests.every((t) => t.test(fields[t.field]))) continue;
      this.used[i] = (this.used[i] as number) + 1;
      return this.render(prompt, r.reply, r.label);
    }
    const seq = this.script.sequence ?? [];
    if (this.next < seq.length) {
      const i = this.next++;
      return this.render(prompt, seq[i] as SimReply, `sequence[${i}]`);
    }
    return this.render(prompt, undefined, 'default');
  }

  private render(prompt: SimPrompt, reply: SimReply | undefined, source: string): Planned {
    const latencyMs = reply?.latencyMs ?? this.script.defaults?.latencyMs ?? 0;
    if (reply?.error !== undefined) {
      const e = reply.error;
      return {
        kind: 'error',
        status: e.status,
        type: e.type,
        message: e.message ?? `simulated error ${e.status}`,
        retryAfterSeconds: e.retryAfterSeconds,
        latencyMs,
        source,
      };
    }
    const key = conversationKey(prompt);
    let text = '';
    let calls: PlannedCall[] = [];
    if (reply?.toolCalls !== undefined) {
      calls = reply.toolCalls.map((c, i) => ({ id: toolCallId(key, i), name: c.name, arguments: c.arguments ?? {} }));
    } else if (reply?.json !== undefined) {
      if (prompt.forcedTool !== undefined) calls = [{ id: toolCallId(key, 0), name: prompt.forcedTool, arguments: reply.json as Record<string, unknown> }];
      else text = JSON.stringify(reply.json);
    } else if (reply?.text !== undefined) {
      text = reply.text;
    } else if (!prompt.toolsDisabled && (prompt.forcedTool !== undefined || (prompt.toolRequired && prompt.tools.length > 0))) {
      const name = prompt.forcedTool ?? (prompt.tools[0]?.name as string);
      const schema = prompt.tools.find((t) => t.name === name)?.schema;
      calls = [{ id: toolCallId(key, 0), name, arguments: valueForSchema(schema, key) as Record<string, unknown> }];
    } else if (prompt.json !== undefined) {
      text = JSON.stringify(prompt.json.schema === undefined ? { answer: defaultSentence(key) } : valueForSchema(prompt.json.schema, key));
    } else {
      text = defaultSentence(key);
    }
    // A prefill is continued: the answer's text after the part already written.
    if (prompt.prefill !== '' && text.startsWith(prompt.prefill)) text = text.slice(prompt.prefill.length);
    let finish: 'stop' | 'length' | 'tool_calls' = calls.length > 0 ? 'tool_calls' : 'stop';
    let outputTokens = reply?.usage?.outputTokens ?? Math.max(1, tokensOf(text.length + calls.reduce((n, c) => n + JSON.stringify(c.arguments).length, 0)));
    if (prompt.maxTokens !== undefined && calls.length === 0 && outputTokens > prompt.maxTokens) {
      text = text.slice(0, prompt.maxTokens * 4);
      outputTokens = prompt.maxTokens;
      finish = 'length';
    }
    const cachedInputTokens = reply?.usage?.cachedInputTokens ?? this.script.defaults?.cachedInputTokens ?? 0;
    return {
      kind: 'answer',
      text,
      toolCalls: calls,
      finish,
      inputTokens: reply?.usage?.inputTokens ?? promptTokens(prompt),
      outputTokens,
      cachedInputTokens,
      latencyMs,
      source,
    };
  }
}

/** Split text into stream pieces: one word (with its trailing space) each. */
export function textPieces(text: string): string[] {
  const pieces = text.match(/\S+\s*|\s+/g);
  return pieces ?? [];
}

/** Split text into pieces of at most `size` characters. */
export function chunks(text: string, size: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size));
  return out;
}
