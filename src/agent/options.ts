/**
 * An agent's options: what `defineAgent` accepts, every default (`AGENT_DEFAULTS`,
 * `COMPACTION_DEFAULTS`), the schema that checks them (a bad option throws `InvalidSpecError`
 * naming the field and the value), and the frozen configuration they resolve to
 * (`ResolvedAgent`), which is all a run reads.
 */
import { z } from 'zod';
import { InvalidSpecError, type EventBus } from '../runtime/index.ts';
import { Budget, parseWith, type BudgetLimits } from '../resilience/index.ts';
import type { ModelClient } from '../llm/index.ts';
import { RECALL_TOOL } from './toolbox.ts';
import { isTool, type Tool } from './tool.ts';
import { isToolSource, type ToolSource } from './tool-source.ts';

/** What compaction keeps and when it runs. */
export interface CompactionOptions {
  /** Compact when the context passes this many tokens (exact from the model's usage where known, else estimated). */
  readonly thresholdTokens: number;
  /** Messages at the end kept verbatim (more if needed to keep a tool call with its results). @default 6 */
  readonly keepRecentMessages?: number;
  /** Tool results the model has already seen that stay in full, newest first; older ones become stubs. @default 2 */
  readonly keepToolResults?: number;
  /** Cap on the summary, tokens. @default 512 */
  readonly summaryMaxTokens?: number;
  /** The model that writes summaries. @default the agent's */
  readonly model?: ModelClient;
  /** The summariser's instructions. @default SUMMARY_INSTRUCTIONS */
  readonly instructions?: string;
  /** Offer the model a `recall_context` tool that reads a cleared result back by its ref. @default true */
  readonly recallTool?: boolean;
}

export interface AgentOptions<O = string> {
  /** `[A-Za-z0-9][A-Za-z0-9._-]*`, at most 64 characters; the durable run is named `agent:<name>`. */
  readonly name: string;
  /** The model client (`createModelClient(...)` for retry, fallback and budgets; any `ModelClient` works). */
  readonly model: ModelClient;
  /** The system prompt. Part of the task anchor: never compacted. @default none */
  readonly system?: string;
  /**
   * Tools by name (`^[A-Za-z0-9_-]{1,64}$`), each built with `tool()`; or a list of such records and
   * tool sources (`[{ search }, mcpTools({ command, args })]`), whose tools are listed when a run
   * starts. @default {}
   */
  readonly tools?: ToolRecord | readonly (ToolRecord | ToolSource)[];
  /** The final answer's schema (zod): the answer is JSON, validated, re-asked when it fails. @default none (the answer is text) */
  readonly output?: z.ZodType<O>;
  /** Most model calls in a run. @default 20 */
  readonly maxSteps?: number;
  /** Most executions of one exact tool call (name + arguments) in a run; one more is a loop. @default 3 */
  readonly maxIdenticalToolCalls?: number;
  /** Re-asks after an answer fails the output schema, in a run. @default 2 */
  readonly maxOutputRetries?: number;
  /** Tool results longer than this are cut before the model sees them, characters. @default 20_000 */
  readonly maxToolResultChars?: number;
  /** Output cap of each model call. @default the model client's */
  readonly maxOutputTokens?: number;
  readonly temperature?: number;
  /** Stream model calls (every delta is a progress beat). @default true */
  readonly stream?: boolean;
  /** Context compaction. @default off */
  readonly compaction?: CompactionOptions | false;
  /**
   * Caps of each run (`usd`, `tokens`, `steps` = model calls, `wallMs`), checked before every model
   * call; the run's scope is a child of `parent` (an agent or global scope) when given.
   * @default none
   */
  readonly budget?: { readonly limits: BudgetLimits; readonly parent?: Budget };
  /** Event stream for `agent.definition` and `agent.run()` (a process's runtime stream is used under a supervisor). @default none */
  readonly bus?: EventBus;
}

// biome-ignore lint/suspicious/noExplicitAny: tools of any input and output (a tool's `run` takes its input, so `Tool<unknown, unknown>` would accept none)
type ToolRecord = Readonly<Record<string, Tool<any, any>>>;

export const SUMMARY_INSTRUCTIONS =
  "You summarise the earlier part of an agent's work so it can continue with less context. Keep every fact, number, " +
  'name, URL and decision it will need for the task; drop pleasantries and repetition. Write short plain sentences, ' +
  'no preamble.';

export const AGENT_DEFAULTS = Object.freeze({
  maxSteps: 20,
  maxIdenticalToolCalls: 3,
  maxOutputRetries: 2,
  maxToolResultChars: 20_000,
  stream: true,
});

export const COMPACTION_DEFAULTS = Object.freeze({
  keepRecentMessages: 6,
  keepToolResults: 2,
  summaryMaxTokens: 512,
  instructions: SUMMARY_INSTRUCTIONS,
  recallTool: true,
});

/** Compaction settings, resolved. */
export interface ResolvedCompaction {
  readonly thresholdTokens: number;
  readonly keepRecentMessages: number;
  readonly keepToolResults: number;
  readonly summaryMaxTokens: number;
  readonly model: ModelClient | undefined;
  readonly instructions: string;
  readonly recallTool: boolean;
}

/** An agent's configuration as `defineAgent` resolved it. */
export interface ResolvedAgent<O> {
  readonly name: string;
  readonly model: ModelClient;
  readonly system: string | undefined;
  readonly tools: ReadonlyMap<string, Tool>;
  /** Where more tools come from when a run starts (MCP servers), in order. */
  readonly toolSources: readonly ToolSource[];
  readonly output: z.ZodType<O> | undefined;
  readonly maxSteps: number;
  readonly maxIdenticalToolCalls: number;
  readonly maxOutputRetries: number;
  readonly maxToolResultChars: number;
  readonly maxOutputTokens: number | undefined;
  readonly temperature: number | undefined;
  readonly stream: boolean;
  readonly compaction: ResolvedCompaction | undefined;
  readonly budget: { readonly limits: BudgetLimits; readonly parent: Budget | undefined } | undefined;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const TOOL_NAME = /^[A-Za-z0-9_-]{1,64}$/;

const isZod = (v: unknown): v is z.ZodType => typeof v === 'object' && v !== null && '_zod' in v;
const isModel = (v: unknown): v is ModelClient =>
  typeof v === 'object' && v !== null && typeof (v as ModelClient).complete === 'function' && typeof (v as ModelClient).stream === 'function';

const positiveInt = z.number().int().min(1);
const limitsSchema = z.strictObject({
  usd: z.number().min(0).optional(),
  tokens: z.number().min(0).optional(),
  steps: z.number().min(0).optional(),
  wallMs: z.number().min(0).optional(),
});

const toolRecord = z.record(
  z.string().regex(TOOL_NAME, 'must match ^[A-Za-z0-9_-]{1,64}$'),
  z.custom<Tool>(isTool, { message: 'must be built with tool({ description, input, run })' }),
);

const optionsSchema = z.strictObject({
  name: z.string().regex(NAME, 'must be 1-64 letters, digits, ".", "_" or "-", starting with a letter or digit'),
  model: z.custom<ModelClient>(isModel, { message: 'must be a model client (createModelClient, openaiChat, anthropicMessages)' }),
  system: z.string().optional(),
  // A list is checked item by item (checkToolList), so each problem names its item.
  tools: toolRecord.optional(),
  output: z.custom<z.ZodType>(isZod, { message: 'must be a zod schema' }).optional(),
  maxSteps: positiveInt.optional(),
  maxIdenticalToolCalls: positiveInt.optional(),
  maxOutputRetries: z.number().int().min(0).optional(),
  maxToolResultChars: z.number().int().min(100).optional(),
  maxOutputTokens: positiveInt.optional(),
  temperature: z.number().min(0).max(2).optional(),
  stream: z.boolean().optional(),
  compaction: z
    .union([
      z.literal(false),
      z.strictObject({
        thresholdTokens: positiveInt,
        keepRecentMessages: z.number().int().min(0).optional(),
        keepToolResults: z.number().int().min(0).optional(),
        summaryMaxTokens: positiveInt.optional(),
        model: z.custom<ModelClient>(isModel, { message: 'must be a model client' }).optional(),
        instructions: z.string().min(1).optional(),
        recallTool: z.boolean().optional(),
      }),
    ])
    .optional(),
  budget: z
    .strictObject({
      limits: limitsSchema,
      parent: z.custom<Budget>((v) => v instanceof Budget, { message: 'must be a Budget' }).optional(),
    })
    .optional(),
  bus: z
    .custom<EventBus>((v) => typeof v === 'object' && v !== null && typeof (v as EventBus).emit === 'function', { message: 'must be an EventBus' })
    .optional(),
});

/** Check `options` and resolve them with their defaults into a frozen configuration. */
export function resolveAgent<O>(options: AgentOptions<O>): ResolvedAgent<O> {
  const subject = typeof options?.name === 'string' ? `agent "${options.name}"` : 'agent';
  const listed = Array.isArray(options?.tools);
  if (listed) checkToolList(subject, options.tools as readonly unknown[]);
  const checked = parseWith(subject, optionsSchema, listed ? { ...options, tools: undefined } : options);
  const { tools, toolSources } = collectTools(subject, options.tools);
  const compaction = resolveCompaction(options.compaction === false ? undefined : options.compaction);
  if (compaction?.recallTool === true && tools.has(RECALL_TOOL)) {
    throw new InvalidSpecError(
      subject,
      `tools.${RECALL_TOOL}`,
      RECALL_TOOL,
      'is the name of the built-in recall tool of compaction (rename the tool, or set compaction.recallTool: false)',
    );
  }
  return Object.freeze({
    name: checked.name,
    model: options.model,
    system: checked.system,
    tools,
    toolSources,
    output: options.output,
    maxSteps: checked.maxSteps ?? AGENT_DEFAULTS.maxSteps,
    maxIdenticalToolCalls: checked.maxIdenticalToolCalls ?? AGENT_DEFAULTS.maxIdenticalToolCalls,
    maxOutputRetries: checked.maxOutputRetries ?? AGENT_DEFAULTS.maxOutputRetries,
    maxToolResultChars: checked.maxToolResultChars ?? AGENT_DEFAULTS.maxToolResultChars,
    maxOutputTokens: checked.maxOutputTokens,
    temperature: checked.temperature,
    stream: checked.stream ?? AGENT_DEFAULTS.stream,
    compaction,
    budget: options.budget === undefined ? undefined : Object.freeze({ limits: Object.freeze({ ...options.budget.limits }), parent: options.budget.parent }),
  });
}

/** Each item of a `tools` list: a record of tools, or a tool source (each record checked as `tools` is). */
function checkToolList(subject: string, list: readonly unknown[]): void {
  list.forEach((item, i) => {
    if (isToolSource(item)) return;
    if (typeof item !== 'object' || item === null || Array.isArray(item)) {
      throw new InvalidSpecError(subject, `tools[${i}]`, item, 'must be a record of tools ({ search }) or a tool source (mcpTools({ ... }))');
    }
    try {
      parseWith(subject, toolRecord, item);
    } catch (e) {
      if (!(e instanceof InvalidSpecError)) throw e;
      throw new InvalidSpecError(subject, e.path === '' ? `tools[${i}]` : `tools[${i}].${e.path}`, e.value, e.why);
    }
  });
}

/** The agent's own tools by name, and its tool sources; a name or a source name given twice is refused. */
function collectTools(subject: string, given: AgentOptions<unknown>['tools']): { tools: Map<string, Tool>; toolSources: ToolSource[] } {
  const tools = new Map<string, Tool>();
  const toolSources: ToolSource[] = [];
  const list = given === undefined ? [] : Array.isArray(given) ? given : [given];
  list.forEach((item: ToolRecord | ToolSource, i: number) => {
    const at = Array.isArray(given) ? `tools[${i}]` : 'tools';
    if (isToolSource(item)) {
      if (toolSources.some((s) => s.name === item.name)) {
        throw new InvalidSpecError(subject, `${at}.name`, item.name, 'is the name of another tool source of this agent (give each server its own name)');
      }
      toolSources.push(item);
      return;
    }
    for (const [name, t] of Object.entries(item)) {
      if (tools.has(name)) throw new InvalidSpecError(subject, `${at}.${name}`, name, 'is the name of a tool given before in the list');
      tools.set(name, t as Tool);
    }
  });
  return { tools, toolSources };
}

function resolveCompaction(options: CompactionOptions | undefined): ResolvedCompaction | undefined {
  if (options === undefined) return undefined;
  return Object.freeze({
    thresholdTokens: options.thresholdTokens,
    keepRecentMessages: options.keepRecentMessages ?? COMPACTION_DEFAULTS.keepRecentMessages,
    keepToolResults: options.keepToolResults ?? COMPACTION_DEFAULTS.keepToolResults,
    summaryMaxTokens: options.summaryMaxTokens ?? COMPACTION_DEFAULTS.summaryMaxTokens,
    model: options.model,
    instructions: options.instructions ?? COMPACTION_DEFAULTS.instructions,
    recallTool: options.recallTool ?? COMPACTION_DEFAULTS.recallTool,
  });
}
