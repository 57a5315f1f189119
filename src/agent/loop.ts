/**
 * The agent loop: ask the model, run the tools it calls, repeat until it answers. Every model
 * call, tool call and compaction is a step of the journal (`model#3`, `tool#3.1 search`,
 * `compact#1`), so a durable run that is resumed after a crash rebuilds its conversation from the
 * journal and pays for no model call twice; the loop's own state (messages, counters, the loop
 * guard, spend) is derived from the journaled results alone, so replay and first execution agree.
 *
 * Guards, each a typed error that ends the run (and crashes the agent's process):
 * - an unknown tool name in an answer: `UnknownToolError` (`UNKNOWN_TOOL`);
 * - a tool call (name + canonical arguments) asked for more than `maxIdenticalToolCalls` times:
 *   `ToolLoopError` (`TOOL_LOOP_DETECTED`); no such call is executed;
 * - more than `maxSteps` model calls: `MaxStepsError` (`MAX_STEPS_EXCEEDED`);
 * - a final answer that fails the output schema: the problem is fed back and the model asked
 *   again, at most `maxOutputRetries` times in a run; then `OutputInvalidError` (`OUTPUT_INVALID`);
 * - a budget that cannot afford the next call: `BudgetExceededError` (`BUDGET_EXCEEDED`), raised by
 *   the reservation before anything is sent.
 * The first two and the last output check run inside the model step, so the step is journaled
 * as failed: resuming the run (after a restart) asks the model again rather than replaying the
 * bad answer.
 *
 * Written here: no agent library journals each model and tool call in a store of ours, runs under
 * our supervisors and fences, and keeps its guards as typed, journaled failures.
 */
import { z } from 'zod';
import { isWardenError, type EventBus, type WardenEventInput } from '../runtime/index.ts';
import { Budget, FallbackExhaustedError, type BudgetLimits, type DegradationLevel } from '../resilience/index.ts';
import { ResilientModelClient, parseArguments, type Message, type ModelClient, type ModelRequest, type ModelResponse, type ToolCall, type ToolDefinition, type Usage } from '../llm/index.ts';
import { ApprovalDeniedError, StepFailedError } from '../durable/index.ts';
import type { Json } from '../store/index.ts';
import {
  applyCompaction,
  contextTokens,
  estimateMessageTokens,
  offloadedBy,
  planCompaction,
  stubFor,
  transcript,
  type Calibration,
  type CompactionPlan,
  type OffloadedItem,
} from './context.ts';
import { AgentStoppedError, MaxStepsError, OutputInvalidError, ToolLoopError, UnknownToolError, errorFromStored, guardOf } from './errors.ts';
import { summarize } from './events.ts';
import { LoopGuard, showArgs } from './guards.ts';
import type { StepJournal } from './journal.ts';
import { ToolFailure, isToolFailure, tool as defineTool, type Tool } from './tool.ts';

/** What an agent is given to do: a task, optionally with data (JSON) to work on. */
export type AgentInput = string | { readonly task: string; readonly data?: Json };

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

/** What the process running an agent lends it. */
export interface AgentEnv {
  /** Where agent (and budget) events go. */
  readonly bus?: EventBus | undefined;
  /** Called on every streamed delta and every step: progress for a watchdog (`ctx.beat`). */
  readonly beat?: (() => void) | undefined;
  /** Aborted when the process ends: in-flight calls are aborted. */
  readonly signal?: AbortSignal | undefined;
  /** Aborted when the process is asked to stop (a watchdog's soft stop). */
  readonly stopSignal?: AbortSignal | undefined;
}

/** Counts of calls by the degradation level that answered them. */
export type LevelCounts = Readonly<Record<Exclude<DegradationLevel, 'queued'>, number>>;

/** What a finished run returns (JSON data: a durable run stores it as its output). */
export interface AgentResult<O = string> {
  readonly runId: string;
  /** The answer: the validated output with an output schema, else the final text. */
  readonly output: O;
  /** The final answer's text. */
  readonly text: string;
  /** Model calls (re-asks included, summaries not). */
  readonly steps: number;
  readonly toolCalls: number;
  /** Answers rejected by the output schema and asked again. */
  readonly reasks: number;
  readonly compactions: number;
  readonly usage: { readonly inputTokens: number; readonly outputTokens: number; readonly totalTokens: number };
  /** What the run cost in all, replayed calls included (USD; 0 without prices). */
  readonly costUsd: number;
  /** Model calls by the level that answered. */
  readonly levels: LevelCounts;
  /** What this execution took from the journal instead of doing again. */
  readonly replayed: { readonly steps: number; readonly modelCalls: number; readonly costUsd: number };
}

// ---- journaled records --------------------------------------------------------------------

interface Spent {
  readonly usd: number;
  readonly tokens: number;
}

interface AnswerRecord {
  readonly kind: 'answer';
  readonly text: string;
  readonly toolCalls: readonly { readonly id: string; readonly name: string; readonly argumentsText: string }[];
  readonly output?: Json;
  readonly provider: string;
  readonly model: string;
  readonly level: Exclude<DegradationLevel, 'queued'>;
  readonly usage: Usage;
  /** Messages sent and the exact input tokens reported for them (token accounting). */
  readonly promptMessages: number;
  readonly promptTokens: number;
  readonly spent: Spent;
}

interface InvalidRecord {
  readonly kind: 'invalid';
  readonly text: string;
  readonly problem: string;
  readonly provider: string;
  readonly model: string;
  readonly spent: Spent;
}

type ModelRecord = AnswerRecord | InvalidRecord;

interface ToolRecord {
  readonly content: string;
  readonly isError: boolean;
}

interface CompactionRecord {
  readonly plan: CompactionPlan;
  readonly summary: string;
  readonly offloaded: readonly OffloadedItem[];
  readonly tokensBefore: number;
  readonly spent: Spent;
}

/** What the loop sends when an answer fails the output schema. */
export function reaskMessage(problem: string): string {
  return `Your answer does not match the required output: ${problem}. Answer again with only the JSON object the schema describes.`;
}

export const RECALL_TOOL = 'recall_context';

/** The first user message of a run. */
export function taskText(input: AgentInput): string {
  if (typeof input === 'string') return input;
  return input.data === undefined ? input.task : `${input.task}\n\n${JSON.stringify(input.data, null, 2)}`;
}

const ZERO: Spent = { usd: 0, tokens: 0 };

/** A structured-output failure inside an error (also one of several models' failures), if any. */
function outputProblem(error: unknown): { text: string; problem: string; provider: string; model: string } | undefined {
  if (isWardenError(error, 'STRUCTURED_OUTPUT_INVALID')) {
    const e = error as unknown as { text: string; problem: string; provider: string; model: string };
    return { text: e.text, problem: e.problem, provider: e.provider, model: e.model };
  }
  if (error instanceof FallbackExhaustedError) {
    for (let i = error.failures.length - 1; i >= 0; i--) {
      const found = outputProblem(error.failures[i]?.error);
      if (found !== undefined) return found;
    }
  }
  return undefined;
}

/** The error a failed step's code threw (rebuilt from the journal on replay). */
function unwrap(agent: string, runId: string, error: unknown): unknown {
  if (error instanceof StepFailedError) {
    if (error.cause !== undefined) return error.cause;
    return errorFromStored(agent, runId, error.original);
  }
  return error;
}

function anySignal(signals: readonly (AbortSignal | undefined)[]): AbortSignal {
  const present = signals.filter((s): s is AbortSignal => s !== undefined);
  return present.length === 1 ? (present[0] as AbortSignal) : AbortSignal.any(present);
}

function zodProblem(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
}

/** One execution of a run. */
class AgentRun<O> {
  private readonly a: ResolvedAgent<O>;
  private readonly journal: StepJournal;
  private readonly env: AgentEnv;
  private readonly task: string;
  private messages: Message[];
  private calibration: Calibration | undefined;
  private readonly loop: LoopGuard;
  private readonly tools: ReadonlyMap<string, Tool>;
  private readonly toolDefs: readonly ToolDefinition[];
  private readonly offloaded = new Map<string, string>();
  private steps = 0;
  private toolCalls = 0;
  private rejected = 0;
  private compactions = 0;
  private usage = { inputTokens: 0, outputTokens: 0, totalTokens: 0 };
  private spentUsd = 0;
  private readonly levels = { primary: 0, fallback: 0, cache: 0, static: 0 };
  private readonly replayed = { steps: 0, modelCalls: 0, costUsd: 0, tokens: 0 };
  private budget: Budget | undefined;

  constructor(agent: ResolvedAgent<O>, journal: StepJournal, input: AgentInput, env: AgentEnv) {
    this.a = agent;
    this.journal = journal;
    this.env = env;
    this.task = taskText(input);
    this.messages = [...(agent.system === undefined ? [] : [{ role: 'system' as const, content: agent.system }]), { role: 'user', content: this.task }];
    this.loop = new LoopGuard(agent.maxIdenticalToolCalls);
    const tools = new Map(agent.tools);
    if (agent.compaction?.recallTool === true) tools.set(RECALL_TOOL, this.recallTool());
    this.tools = tools;
    this.toolDefs = [...tools].map(([name, t]) => ({ name, description: t.description, parameters: t.parameters }));
  }

  private get runId(): string {
    return this.journal.runId;
  }

  private emit(event: WardenEventInput): void {
    const bus = this.env.bus;
    if (bus?.wants(event.type)) bus.emit(event);
  }

  async execute(): Promise<AgentResult<O>> {
    const base = { agent: this.a.name, runId: this.runId };
    this.emit({ type: 'agent.started', ...base, durable: this.journal.durable, resumed: this.journal.isReplaying });
    try {
      const result = await this.loopUntilAnswered();
      this.emit({ type: 'agent.completed', ...base, steps: result.steps, toolCalls: result.toolCalls, costUsd: result.costUsd, replayedSteps: result.replayed.steps });
      return result;
    } catch (error) {
      // A suspension or an interruption of a durable run is not a failure (they are not Errors);
      // neither is a write refused to a superseded incarnation.
      if (error instanceof Error && !isWardenError(error, 'FENCED')) {
        const guard = guardOf(error);
        if (guard !== undefined) this.emit({ type: 'agent.guard_tripped', ...base, guard, error: summarize(error) });
        this.emit({ type: 'agent.failed', ...base, error: summarize(error) });
      }
      throw error;
    }
  }

  private checkStop(): void {
    this.env.beat?.();
    // A durable run is stopped by its host (nothing recorded); an ephemeral one stops here.
    const stop = this.env.stopSignal;
    if (!this.journal.durable && stop?.aborted === true) throw new AgentStoppedError(this.a.name, this.runId, stop.reason);
  }

  private async loopUntilAnswered(): Promise<AgentResult<O>> {
    for (;;) {
      this.checkStop();
      if (this.steps >= this.a.maxSteps) throw new MaxStepsError(this.a.name, this.runId, this.a.maxSteps);
      await this.maybeCompact();
      const step = ++this.steps;
      const replaying = this.journal.isReplaying;
      let record: ModelRecord;
      try {
        record = await this.journal.step(`model#${step}`, ({ signal }) => this.callModel(step, signal));
      } catch (e) {
        throw unwrap(this.a.name, this.runId, e);
      }
      this.account(record.spent, replaying, true);
      if (record.kind === 'invalid') {
        this.rejected++;
        this.emitModel(step, record, replaying);
        this.emit({ type: 'agent.output_rejected', agent: this.a.name, runId: this.runId, step, attempt: this.rejected, maxAttempts: this.a.maxOutputRetries + 1, problem: record.problem });
        this.messages.push({ role: 'assistant', content: record.text }, { role: 'user', content: reaskMessage(record.problem) });
        continue;
      }
      this.levels[record.level]++;
      this.usage = {
        inputTokens: this.usage.inputTokens + record.usage.inputTokens + record.usage.cachedInputTokens,
        outputTokens: this.usage.outputTokens + record.usage.outputTokens,
        totalTokens: this.usage.totalTokens + record.usage.totalTokens,
      };
      const calls: ToolCall[] = record.toolCalls.map((c) => ({ ...c, arguments: parseArguments(c.argumentsText) }));
      this.loop.admit(calls.map((c) => ({ name: c.name, args: c.arguments ?? c.argumentsText })));
      this.emitModel(step, record, replaying);
      this.messages.push({ role: 'assistant', content: record.text, ...(calls.length === 0 ? {} : { toolCalls: calls }) });
      if (record.promptTokens > 0) this.calibration = { messages: record.promptMessages, tokens: record.promptTokens };
      if (calls.length === 0) return this.result(record);
      for (const [i, call] of calls.entries()) {
        this.checkStop();
        const content = await this.callTool(step, i + 1, call);
        this.messages.push({ role: 'tool', toolCallId: call.id, content: content.content, ...(content.isError ? { isError: true } : {}) });
      }
    }
  }

  private emitModel(step: number, record: ModelRecord, replayed: boolean): void {
    this.emit({
      type: 'agent.model_called',
      agent: this.a.name,
      runId: this.runId,
      step,
      replayed,
      provider: record.provider,
      model: record.model,
      level: record.kind === 'invalid' ? 'invalid' : record.level,
      usage: record.kind === 'invalid' ? { inputTokens: 0, outputTokens: 0, cachedInputTokens: 0, totalTokens: record.spent.tokens } : record.usage,
      costUsd: record.spent.usd,
      spentUsd: this.spentUsd,
      toolCalls: record.kind === 'invalid' ? [] : record.toolCalls.map((c) => c.name),
    });
  }

  private account(spent: Spent, replayed: boolean, modelCall: boolean): void {
    this.spentUsd += spent.usd;
    if (replayed) {
      this.replayed.steps++;
      if (modelCall) this.replayed.modelCalls++;
      this.replayed.costUsd += spent.usd;
      this.replayed.tokens += spent.tokens;
    }
  }

  private result(record: AnswerRecord): AgentResult<O> {
    let output: O;
    if (this.a.output === undefined) output = record.text as O;
    else output = this.a.output.parse(record.output) as O;
    return {
      runId: this.runId,
      output,
      text: record.text,
      steps: this.steps,
      toolCalls: this.toolCalls,
      reasks: this.rejected,
      compactions: this.compactions,
      usage: this.usage,
      costUsd: this.spentUsd,
      levels: { ...this.levels },
      replayed: { steps: this.replayed.steps, modelCalls: this.replayed.modelCalls, costUsd: this.replayed.costUsd },
    };
  }

  // ---- budget ------------------------------------------------------------------------------

  /** The run's budget scope: created at the first live call, its caps less what replayed calls spent. */
  private runBudget(): Budget {
    if (this.budget !== undefined) return this.budget;
    const limits = this.a.budget?.limits ?? {};
    const less = (cap: number, used: number): number => Math.max(0, cap - used);
    const reduced: BudgetLimits = {
      ...(limits.usd === undefined ? {} : { usd: less(limits.usd, this.replayed.costUsd) }),
      ...(limits.tokens === undefined ? {} : { tokens: less(limits.tokens, this.replayed.tokens) }),
      ...(limits.steps === undefined ? {} : { steps: less(limits.steps, this.replayed.modelCalls) }),
      ...(limits.wallMs === undefined ? {} : { wallMs: limits.wallMs }),
    };
    const wiring = this.env.bus === undefined ? {} : { bus: this.env.bus };
    const parent = this.a.budget?.parent ?? new Budget({ scope: `agent:${this.a.name}`, ...wiring });
    this.budget = parent.child({ scope: `run:${this.runId}`, limits: reduced, ...wiring });
    return this.budget;
  }

  private spentSoFar(): Spent {
    const s = this.runBudget().spending;
    return { usd: s.usd, tokens: s.tokens };
  }

  /** Call a model with the run's budget: a resilient client reserves per attempt; any other client once per call here. */
  private async complete(model: ModelClient, request: ModelRequest, signal: AbortSignal, stream: boolean): Promise<ModelResponse> {
    const budget = this.runBudget();
    if (model instanceof ResilientModelClient) return this.answer(model, request, { signal, budget }, stream);
    const inputTokens = this.messages.reduce((n, m) => n + estimateMessageTokens(m), 0);
    const reservation = budget.reserve({ steps: 1, tokens: inputTokens + (request.maxOutputTokens ?? 0) });
    let response: ModelResponse | undefined;
    try {
      response = await this.answer(model, request, { signal }, stream);
      return response;
    } finally {
      if (response === undefined) reservation.release();
      else reservation.commit({ usd: response.costUsd ?? 0, tokens: response.totalUsage.totalTokens, steps: 1 });
    }
  }

  private async answer(model: ModelClient, request: ModelRequest, options: { signal: AbortSignal; budget?: Budget }, stream: boolean): Promise<ModelResponse> {
    let result;
    if (stream) {
      const s = model.stream(request, options);
      for await (const _delta of s) this.env.beat?.();
      result = await s.response;
    } else {
      result = await model.complete(request, options);
    }
    if ((result as { level: string }).level === 'queued') throw new Error(`agent "${this.a.name}": the model client queued the call instead of answering; agents need an answer`);
    return result;
  }

  // ---- the model step ----------------------------------------------------------------------

  private async callModel(step: number, stepSignal: AbortSignal): Promise<ModelRecord> {
    const signal = anySignal([stepSignal, this.env.signal, this.env.stopSignal]);
    const request: ModelRequest = {
      messages: [...this.messages],
      ...(this.toolDefs.length === 0 ? {} : { tools: this.toolDefs }),
      ...(this.a.output === undefined ? {} : { responseFormat: { type: 'json' as const, schema: this.a.output } }),
      ...(this.a.maxOutputTokens === undefined ? {} : { maxOutputTokens: this.a.maxOutputTokens }),
      ...(this.a.temperature === undefined ? {} : { temperature: this.a.temperature }),
    };
    const before = this.spentSoFar();
    const spentSince = (): Spent => {
      const after = this.spentSoFar();
      return { usd: after.usd - before.usd, tokens: after.tokens - before.tokens };
    };
    let response: ModelResponse;
    try {
      response = await this.complete(this.a.model, request, signal, this.a.stream);
    } catch (error) {
      const invalid = outputProblem(error);
      if (invalid === undefined) throw error;
      return this.rejectOutput(step, { kind: 'invalid', ...invalid, spent: spentSince() });
    }
    const spent = spentSince();
    const toolCalls = response.toolCalls.map((c) => ({ id: c.id, name: c.name, argumentsText: c.argumentsText }));
    let output: Json | undefined;
    if (toolCalls.length === 0 && this.a.output !== undefined) {
      let value = response.output;
      if (value === undefined) {
        try {
          value = JSON.parse(response.text) as unknown;
        } catch (e) {
          return this.rejectOutput(step, { kind: 'invalid', text: response.text, problem: `not valid JSON (${(e as Error).message})`, provider: response.provider, model: response.model, spent });
        }
      }
      const checked = this.a.output.safeParse(value);
      if (!checked.success) {
        return this.rejectOutput(step, { kind: 'invalid', text: response.text, problem: zodProblem(checked.error), provider: response.provider, model: response.model, spent });
      }
      output = value as Json;
    }
    const usage = response.usage;
    const record: AnswerRecord = {
      kind: 'answer',
      text: response.text,
      toolCalls,
      ...(output === undefined ? {} : { output }),
      provider: response.provider,
      model: response.model,
      level: response.level,
      usage,
      promptMessages: request.messages.length,
      promptTokens: usage.inputTokens + usage.cachedInputTokens,
      spent,
    };
    // Guards on what the model asked for: checked here, so the step fails and a resumed run asks the model again.
    for (const c of toolCalls) {
      if (!this.tools.has(c.name)) throw this.refused(step, record, new UnknownToolError(this.a.name, this.runId, step, c.name, [...this.tools.keys()]));
    }
    const looping = this.loop.admit(
      toolCalls.map((c) => ({ name: c.name, args: parseArguments(c.argumentsText) ?? c.argumentsText })),
      false,
    );
    if (looping !== undefined) {
      throw this.refused(step, record, new ToolLoopError(this.a.name, this.runId, step, looping.call.name, showArgs(looping.call), looping.executed, this.loop.limit));
    }
    return record;
  }

  /** A call whose answer a guard refused was still made and paid for: report it, then fail the step. */
  private refused(step: number, record: ModelRecord, error: Error): Error {
    this.account(record.spent, false, true);
    this.emitModel(step, record, false);
    return error;
  }

  private rejectOutput(step: number, record: InvalidRecord): InvalidRecord {
    if (this.rejected >= this.a.maxOutputRetries) {
      throw this.refused(step, record, new OutputInvalidError(this.a.name, this.runId, step, this.rejected + 1, record.problem, record.text));
    }
    return record;
  }

  // ---- tools -------------------------------------------------------------------------------

  private async callTool(step: number, index: number, call: ToolCall): Promise<ToolRecord> {
    const t = this.tools.get(call.name) as Tool;
    const base = { agent: this.a.name, runId: this.runId, step, tool: call.name, callId: call.id };
    this.toolCalls++;
    // Bad arguments are the model's mistake: it is told, and no step is recorded (the check is deterministic).
    const args = call.arguments;
    if (args === undefined) {
      this.emit({ type: 'agent.tool_called', ...base, replayed: false, outcome: 'error' });
      return { content: `invalid arguments for ${call.name}: not valid JSON`, isError: true };
    }
    const parsed = t.input.safeParse(args);
    if (!parsed.success) {
      this.emit({ type: 'agent.tool_called', ...base, replayed: false, outcome: 'error' });
      return { content: `invalid arguments for ${call.name}: ${zodProblem(parsed.error)}`, isError: true };
    }
    const name = `tool#${step}.${index} ${call.name}`;
    const replaying = this.journal.isReplaying;
    const run = async (ctx: { signal: AbortSignal; attempt: number; idempotencyKey?: string }): Promise<ToolRecord> => {
      try {
        const value = await t.run(parsed.data, {
          signal: anySignal([ctx.signal, this.env.signal, this.env.stopSignal]),
          attempt: ctx.attempt,
          agent: this.a.name,
          runId: this.runId,
          callId: call.id,
          idempotencyKey: ctx.idempotencyKey,
          beat: () => this.env.beat?.(),
        });
        return { content: this.toContent(value), isError: false };
      } catch (e) {
        if (isToolFailure(e)) return { content: e.message, isError: true };
        throw e;
      }
    };
    const options = { tool: call.name, args: args as Json, ...(t.retry === undefined ? {} : { retry: t.retry }) };
    let record: ToolRecord | undefined;
    try {
      if (t.effect === true || t.irreversible === true) {
        const reconcile = t.reconcile;
        record = await this.journal.effect(name, run, {
          ...options,
          irreversible: t.irreversible === true,
          ...(reconcile === undefined
            ? {}
            : {
                reconcile: async (info: { idempotencyKey: string; args: Json | undefined }) => {
                  const verdict = await reconcile({ idempotencyKey: info.idempotencyKey, args: info.args });
                  return verdict.done ? { done: true as const, value: { content: this.toContent(verdict.value), isError: false } } : { done: false as const };
                },
              }),
        });
      } else {
        record = await this.journal.step(name, run, options);
      }
    } catch (e) {
      const error = unwrap(this.a.name, this.runId, e);
      if (error instanceof ApprovalDeniedError || isWardenError(error, 'APPROVAL_DENIED')) {
        if (replaying) this.account(ZERO, true, false);
        this.emit({ type: 'agent.tool_called', ...base, replayed: replaying, outcome: 'denied' });
        return { content: `not done: ${(error as Error).message}`, isError: true };
      }
      throw error;
    }
    // An effect a person resolved as done from outside has no recorded value.
    const done = record ?? { content: 'done (resolved outside the run)', isError: false };
    if (replaying) this.account(ZERO, true, false);
    this.emit({ type: 'agent.tool_called', ...base, replayed: replaying, outcome: done.isError ? 'error' : 'ok' });
    return done;
  }

  private toContent(value: unknown): string {
    const text = typeof value === 'string' ? value : value === undefined ? 'ok' : JSON.stringify(value);
    const max = this.a.maxToolResultChars;
    return text.length > max ? `${text.slice(0, max)}… [cut: ${text.length - max} more characters]` : text;
  }

  private recallTool(): Tool {
    return defineTool<{ ref: string }, string>({
      description: 'Read back a tool result that was cleared from the conversation to save context, by the ref its stub names.',
      input: z.object({ ref: z.string().describe('the ref in the stub, e.g. "c1.2"') }),
      run: ({ ref }) => {
        const content = this.offloaded.get(ref);
        if (content === undefined) throw new ToolFailure(`no cleared result is kept as "${ref}" (known: ${[...this.offloaded.keys()].join(', ') || 'none'})`);
        return content;
      },
    }) as unknown as Tool;
  }

  // ---- compaction --------------------------------------------------------------------------

  private async maybeCompact(): Promise<void> {
    const c = this.a.compaction;
    if (c === undefined) return;
    const before = contextTokens(this.messages, this.calibration);
    if (before <= c.thresholdTokens) return;
    const plan = planCompaction(this.messages, c);
    if (plan === undefined) return;
    const n = this.compactions + 1;
    const replaying = this.journal.isReplaying;
    let record: CompactionRecord;
    try {
      record = await this.journal.step(`compact#${n}`, ({ signal }) => this.compact(n, plan, before, signal));
    } catch (e) {
      throw unwrap(this.a.name, this.runId, e);
    }
    this.compactions = n;
    this.account(record.spent, replaying, false);
    const stubs = new Map<string, string>();
    for (const item of record.offloaded) {
      this.offloaded.set(item.ref, item.content);
      if (item.toolCallId !== undefined) stubs.set(item.toolCallId, stubFor(item, c.recallTool));
    }
    this.messages = applyCompaction(this.messages, record.plan, record.summary, n, stubs);
    this.calibration = undefined;
    this.emit({
      type: 'agent.compacted',
      agent: this.a.name,
      runId: this.runId,
      compaction: n,
      replayed: replaying,
      tokensBefore: record.tokensBefore,
      tokensAfter: contextTokens(this.messages, undefined),
      summarizedMessages: record.plan.summarizeTo - record.plan.anchor,
      clearedToolResults: record.plan.clear.length,
      offloaded: record.offloaded.map((o) => o.ref),
    });
  }

  private async compact(n: number, plan: CompactionPlan, tokensBefore: number, stepSignal: AbortSignal): Promise<CompactionRecord> {
    const c = this.a.compaction as ResolvedCompaction;
    const offloaded = offloadedBy(this.messages, plan, n);
    let summary = '';
    const before = this.spentSoFar();
    if (plan.summarizeTo > plan.anchor) {
      const request: ModelRequest = {
        messages: [
          { role: 'system', content: c.instructions },
          {
            role: 'user',
            content: `The task:\n${this.task}\n\nThe work so far, to summarise:\n${transcript(this.messages, plan.anchor, plan.summarizeTo)}`,
          },
        ],
        maxOutputTokens: c.summaryMaxTokens,
      };
      const signal = anySignal([stepSignal, this.env.signal, this.env.stopSignal]);
      const response = await this.complete(c.model ?? this.a.model, request, signal, false);
      summary = response.text.trim();
    }
    const after = this.spentSoFar();
    return { plan, summary, offloaded, tokensBefore, spent: { usd: after.usd - before.usd, tokens: after.tokens - before.tokens } };
  }
}

/** Execute one run of `agent` on `journal`. */
export function executeAgent<O>(agent: ResolvedAgent<O>, journal: StepJournal, input: AgentInput, env: AgentEnv): Promise<AgentResult<O>> {
  return new AgentRun(agent, journal, input, env).execute();
}

