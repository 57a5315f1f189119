/**
 * `defineAgent`: an agent is a model client, a system prompt, tools, an optional output schema
 * and policies (guards, compaction, a budget). Its options are checked when it is defined (a bad
 * one throws `InvalidSpecError` naming the field), and it can then run:
 * - durably, as a run definition (`agent.definition`, a durable run named `agent:<name>`): every
 *   model call, tool call and compaction is a journaled step, so a run resumed after a crash pays
 *   for nothing twice;
 * - under a supervisor, with `agentChild` / `runAgent` (see `process.ts`);
 * - directly, with nothing journaled: `agent.run(input)`.
 */
import { z } from 'zod';
import { InvalidSpecError, type EventBus } from '../runtime/index.ts';
import { Budget, parseWith, type BudgetLimits } from '../resilience/index.ts';
import type { ModelClient } from '../llm/index.ts';
import { defineRun, type RunDefinition } from '../durable/index.ts';
import { durableJournal, ephemeralJournal, type ApprovalRequest } from './journal.ts';
import { RECALL_TOOL, executeAgent, type AgentEnv, type AgentInput, type AgentResult, type ResolvedAgent, type ResolvedCompaction } from './loop.ts';
import { isTool, type Tool } from './tool.ts';

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
  /** Tools by name (`^[A-Za-z0-9_-]{1,64}$`), each built with `tool()`. @default {} */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly tools?: Readonly<Record<string, Tool<any, any>>>;
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

export const SUMMARY_INSTRUCTIONS =
  'You summarise the earlier part of an agent\'s work so it can continue with less context. Keep every fact, number, ' +
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

/** Options of one direct (unjournaled) run. */
export interface DirectRunOptions extends AgentEnv {
  /** @default a random id */
  readonly runId?: string;
  /** Decides irreversible tool calls (nothing journaled, so no approval gate). @default none: they are refused */
  readonly approve?: (request: ApprovalRequest) => boolean | PromiseLike<boolean>;
}

export interface Agent<O = string> {
  readonly name: string;
  /** The durable run's name: `agent:<name>`. */
  readonly runName: string;
  /** The configuration, resolved with its defaults. */
  readonly config: ResolvedAgent<O>;
  /** The durable run (events on the agent's `bus`). Register it with a `DurableHost`. */
  readonly definition: RunDefinition<AgentInput, AgentResult<O>>;
  /** The durable run with events, beats and signals of a particular process (what `runAgent` uses). */
  bind(env: AgentEnv): RunDefinition<AgentInput, AgentResult<O>>;
  /** Run once, directly: nothing is journaled, so nothing is resumed after a crash. */
  run(input: AgentInput, options?: DirectRunOptions): Promise<AgentResult<O>>;
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

const optionsSchema = z.strictObject({
  name: z.string().regex(NAME, 'must be 1-64 letters, digits, ".", "_" or "-", starting with a letter or digit'),
  model: z.custom<ModelClient>(isModel, { message: 'must be a model client (createModelClient, openaiChat, anthropicMessages)' }),
  system: z.string().optional(),
  tools: z.record(z.string().regex(TOOL_NAME, 'must match ^[A-Za-z0-9_-]{1,64}$'), z.custom<Tool>(isTool, { message: 'must be built with tool({ description, input, run })' })).optional(),
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
  bus: z.custom<EventBus>((v) => typeof v === 'object' && v !== null && typeof (v as EventBus).emit === 'function', { message: 'must be an EventBus' }).optional(),
});

const inputSchema = z.union([
  z.string().min(1, 'must not be empty'),
  z.strictObject({ task: z.string().min(1, 'must not be empty'), data: z.unknown().optional() }),
]);

/** Check a run's input (a task string, or `{ task, data? }`), naming what is wrong. */
export function checkInput(agent: string, input: unknown): AgentInput {
  return parseWith(`agent "${agent}" input`, inputSchema, input) as AgentInput;
}

function randomRunId(name: string): string {
  return `${name}-${crypto.randomUUID().slice(0, 8)}`;
}

/**
 * Define an agent.
 *
 * @example
 * ```ts
 * const researcher = defineAgent({
 *   name: 'researcher',
 *   model: createModelClient({ models: [openaiChat({ model: 'gpt-4o-mini' })] }),
 *   system: 'You research questions with the search tool and answer with sources.',
 *   tools: { search: tool({ description: 'Search the web', input: z.object({ q: z.string() }), run: ({ q }) => search(q) }) },
 *   output: z.object({ answer: z.string(), sources: z.array(z.string()) }),
 *   maxSteps: 12,
 *   compaction: { thresholdTokens: 60_000 },
 *   budget: { limits: { usd: 0.5 } },
 * });
 * const { output } = await researcher.run('What is a supervision tree?');
 * ```
 */
export function defineAgent<O = string>(options: AgentOptions<O>): Agent<O> {
  const subject = typeof options?.name === 'string' ? `agent "${options.name}"` : 'agent';
  const o = parseWith(subject, optionsSchema, options);
  const tools = new Map<string, Tool>(Object.entries(options.tools ?? {}) as [string, Tool][]);
  const compactionIn = options.compaction === false ? undefined : options.compaction;
  let compaction: ResolvedCompaction | undefined;
  if (compactionIn !== undefined) {
    compaction = Object.freeze({
      thresholdTokens: compactionIn.thresholdTokens,
      keepRecentMessages: compactionIn.keepRecentMessages ?? COMPACTION_DEFAULTS.keepRecentMessages,
      keepToolResults: compactionIn.keepToolResults ?? COMPACTION_DEFAULTS.keepToolResults,
      summaryMaxTokens: compactionIn.summaryMaxTokens ?? COMPACTION_DEFAULTS.summaryMaxTokens,
      model: compactionIn.model,
      instructions: compactionIn.instructions ?? COMPACTION_DEFAULTS.instructions,
      recallTool: compactionIn.recallTool ?? COMPACTION_DEFAULTS.recallTool,
    });
    if (compaction.recallTool && tools.has(RECALL_TOOL)) {
      throw new InvalidSpecError(subject, `tools.${RECALL_TOOL}`, RECALL_TOOL, 'is the name of the built-in recall tool of compaction (rename the tool, or set compaction.recallTool: false)');
    }
  }
  const config: ResolvedAgent<O> = Object.freeze({
    name: o.name,
    model: options.model,
    system: o.system,
    tools,
    output: options.output,
    maxSteps: o.maxSteps ?? AGENT_DEFAULTS.maxSteps,
    maxIdenticalToolCalls: o.maxIdenticalToolCalls ?? AGENT_DEFAULTS.maxIdenticalToolCalls,
    maxOutputRetries: o.maxOutputRetries ?? AGENT_DEFAULTS.maxOutputRetries,
    maxToolResultChars: o.maxToolResultChars ?? AGENT_DEFAULTS.maxToolResultChars,
    maxOutputTokens: o.maxOutputTokens,
    temperature: o.temperature,
    stream: o.stream ?? AGENT_DEFAULTS.stream,
    compaction,
    budget: options.budget === undefined ? undefined : Object.freeze({ limits: Object.freeze({ ...options.budget.limits }), parent: options.budget.parent }),
  });
  const runName = `agent:${config.name}`;
  const bind = (env: AgentEnv): RunDefinition<AgentInput, AgentResult<O>> =>
    defineRun<AgentInput, AgentResult<O>>(runName, (run, input) => executeAgent(config, durableJournal(run), checkInput(config.name, input), env));
  return Object.freeze({
    name: config.name,
    runName,
    config,
    definition: bind({ bus: options.bus }),
    bind,
    run(input: AgentInput, runOptions: DirectRunOptions = {}) {
      const checked = checkInput(config.name, input);
      const runId = runOptions.runId ?? randomRunId(config.name);
      const signal = runOptions.signal ?? new AbortController().signal;
      const env: AgentEnv = { bus: runOptions.bus ?? options.bus, beat: runOptions.beat, signal, stopSignal: runOptions.stopSignal };
      return executeAgent(config, ephemeralJournal(runId, signal, runOptions.approve), checked, env);
    },
  });
}
