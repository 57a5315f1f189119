/**
 * The agent loop: ask the model, run the tools it calls, repeat until it answers without calling
 * one. It only puts the steps in order; each step is journaled and has its own file:
 * - `compaction-step.ts`: `compact#n`, before a model step, when the context is over the threshold;
 * - `model-step.ts`: `model#n`, with the guards on what the model asks for (`UNKNOWN_TOOL`,
 *   `TOOL_LOOP_DETECTED`, `OUTPUT_INVALID` after bounded re-asks);
 * - `tool-step.ts`: `tool#n.i <name>`, for each tool call of an answer, in order;
 * and, before them all, `tools#<source>` for each tool source (an MCP server; tool-source.ts).
 * The run's state is derived from the journaled records alone, so a durable run resumed after a
 * crash replays to where it was, and pays for no model call twice.
 *
 * Before each model step and each tool call the loop beats and honours a stop (see
 * `Execution.checkStop`); before each model step it ends a run that has made `maxSteps` model
 * calls (`MaxStepsError`, `MAX_STEPS_EXCEEDED`). A budget that cannot afford the next call is
 * refused by the call's reservation before anything is sent (`BudgetExceededError`,
 * `BUDGET_EXCEEDED`; see model-call.ts).
 *
 * Events: `agent.started`, the steps' own, then `agent.completed`, or `agent.failed` (after
 * `agent.guard_tripped` when a guard ended the run). A durable run's suspension or interruption
 * is not a failure (what is thrown is not an Error), nor is a write refused to a superseded
 * incarnation (`FENCED`).
 *
 * Written here: no agent library journals each model and tool call in a store of ours, runs under
 * our supervisors and fences, and keeps its guards as typed, journaled failures.
 */
import { isWardenError } from '../runtime/index.ts';
import { CompactionStep } from './compaction-step.ts';
import { Conversation } from './conversation.ts';
import { MaxStepsError, guardOf } from './errors.ts';
import { summarize } from './events.ts';
import { Execution, type AgentEnv } from './execution.ts';
import { taskText, type AgentInput } from './input.ts';
import type { AnswerRecord } from './journal-records.ts';
import type { StepJournal } from './journal.ts';
import { ModelCaller } from './model-call.ts';
import { ModelStep } from './model-step.ts';
import type { ResolvedAgent } from './options.ts';
import type { AgentResult } from './result.ts';
import { RunSpend } from './spend.ts';
import { ToolStep } from './tool-step.ts';
import { gatherTools } from './tool-source.ts';
import { RECALL_TOOL, toolboxOf } from './toolbox.ts';

/** One execution of a run. */
class AgentRun<O> {
  private readonly execution: Execution<O>;
  private readonly conversation: Conversation;
  private readonly spend: RunSpend;
  private readonly caller: ModelCaller;
  private readonly compactionStep: CompactionStep;
  // Made once the run's tools are known (tool sources are listed as its first steps).
  private modelStep: ModelStep | undefined;
  private toolStep: ToolStep | undefined;
  private steps = 0;

  constructor(agent: ResolvedAgent<O>, journal: StepJournal, input: AgentInput, env: AgentEnv) {
    const execution = new Execution(agent, journal, env);
    const conversation = new Conversation(agent.system, taskText(input));
    const spend = new RunSpend(execution);
    this.caller = new ModelCaller(execution, spend, conversation);
    this.execution = execution;
    this.conversation = conversation;
    this.spend = spend;
    this.compactionStep = new CompactionStep(execution, spend, conversation, this.caller);
  }

  /** The model and tool steps, over the agent's tools and those its sources offer. */
  private async prepareSteps(): Promise<{ modelStep: ModelStep; toolStep: ToolStep }> {
    const { execution, conversation, spend } = this;
    const agent = execution.agent;
    const offerRecall = agent.compaction?.recallTool === true;
    const tools = await gatherTools(execution as Execution<unknown>, agent.tools, agent.toolSources, offerRecall ? [RECALL_TOOL] : []);
    const toolbox = toolboxOf(tools, offerRecall, conversation);
    this.modelStep = new ModelStep(execution, spend, conversation, this.caller, toolbox);
    this.toolStep = new ToolStep(execution, spend, toolbox);
    return { modelStep: this.modelStep, toolStep: this.toolStep };
  }

  async execute(): Promise<AgentResult<O>> {
    const { execution } = this;
    const base = { agent: execution.agent.name, runId: execution.runId };
    execution.emit({ type: 'agent.started', ...base, durable: execution.journal.durable, resumed: execution.journal.isReplaying });
    for (const source of execution.agent.toolSources) source.retain();
    try {
      const result = await this.loopUntilAnswered();
      execution.emit({
        type: 'agent.completed',
        ...base,
        steps: result.steps,
        toolCalls: result.toolCalls,
        costUsd: result.costUsd,
        replayedSteps: result.replayed.steps,
      });
      return result;
    } catch (error) {
      if (error instanceof Error && !isWardenError(error, 'FENCED')) {
        const guard = guardOf(error);
        if (guard !== undefined) execution.emit({ type: 'agent.guard_tripped', ...base, guard, error: summarize(error) });
        execution.emit({ type: 'agent.failed', ...base, error: summarize(error) });
      }
      throw error;
    } finally {
      for (const source of execution.agent.toolSources) await source.release();
    }
  }

  private async loopUntilAnswered(): Promise<AgentResult<O>> {
    const { execution } = this;
    const maxSteps = execution.agent.maxSteps;
    const { modelStep, toolStep } = await this.prepareSteps();
    for (;;) {
      execution.checkStop();
      if (this.steps >= maxSteps) throw new MaxStepsError(execution.agent.name, execution.runId, maxSteps);
      await this.compactionStep.compactIfNeeded();
      const step = ++this.steps;
      const answer = await modelStep.take(step);
      if (answer === undefined) continue;
      if (answer.calls.length === 0) return this.result(answer.record);
      for (const [i, call] of answer.calls.entries()) {
        execution.checkStop();
        this.conversation.addToolResult(call.id, await toolStep.take(step, i + 1, call));
      }
    }
  }

  private result(answer: AnswerRecord): AgentResult<O> {
    const schema = this.execution.agent.output;
    const replayed = this.spend.replayed;
    return {
      runId: this.execution.runId,
      output: schema === undefined ? (answer.text as O) : (schema.parse(answer.output) as O),
      text: answer.text,
      steps: this.steps,
      toolCalls: this.toolStep?.calls ?? 0,
      reasks: this.modelStep?.reasks ?? 0,
      compactions: this.compactionStep.compactions,
      usage: this.spend.usage,
      costUsd: this.spend.usd,
      levels: this.spend.levels(),
      replayed: { steps: replayed.steps, modelCalls: replayed.modelCalls, costUsd: replayed.costUsd },
    };
  }
}

/** Execute one run of `agent` on `journal`. */
export function executeAgent<O>(agent: ResolvedAgent<O>, journal: StepJournal, input: AgentInput, env: AgentEnv): Promise<AgentResult<O>> {
  return new AgentRun(agent, journal, input, env).execute();
}
