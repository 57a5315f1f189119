/**
 * The model step `model#n`: send the conversation to the model, check what comes back, journal
 * it, and fold it into the run.
 *
 * Checked inside the journaled step, so that a refusal fails the step and a resumed run asks the
 * model again rather than replaying the bad answer:
 * - a tool the agent does not have: `UnknownToolError` (`UNKNOWN_TOOL`);
 * - a tool call (name + canonical arguments) that would run more than `maxIdenticalToolCalls`
 *   times in the run: `ToolLoopError` (`TOOL_LOOP_DETECTED`); no call of that turn runs;
 * - a final answer that fails the output schema: journaled as `invalid` and asked again, at most
 *   `maxOutputRetries` times in a run; the next one is `OutputInvalidError` (`OUTPUT_INVALID`).
 * A refused answer was still made and paid for: its spend is added and `agent.model_called`
 * emitted before the step fails.
 *
 * Folded in when the step ends, first-hand or replayed: an answer counts its tokens and level,
 * records its tool calls with the loop guard, and joins the conversation (its reported input
 * tokens calibrate the context's count); a rejected one joins it with the re-ask.
 */
import { parseArguments, type ModelRequest, type ModelResponse, type ToolCall } from '../llm/index.ts';
import type { Json } from '../store/index.ts';
import type { Conversation } from './conversation.ts';
import { OutputInvalidError, ToolLoopError, UnknownToolError } from './errors.ts';
import type { Execution } from './execution.ts';
import { LoopGuard, showArgs } from './guards.ts';
import type { AnswerRecord, InvalidRecord, ModelRecord } from './journal-records.ts';
import type { ModelCaller } from './model-call.ts';
import { checkOutput, reaskMessage, rejectedOutputIn } from './output-check.ts';
import type { RunSpend } from './spend.ts';
import type { Toolbox } from './toolbox.ts';

/** An answer the run goes on with: its record, and its tool calls with their arguments parsed. */
export interface Answer {
  readonly record: AnswerRecord;
  readonly calls: readonly ToolCall[];
}

export class ModelStep {
  private readonly execution: Execution<unknown>;
  private readonly spend: RunSpend;
  private readonly conversation: Conversation;
  private readonly caller: ModelCaller;
  private readonly toolbox: Toolbox;
  private readonly loopGuard: LoopGuard;
  private rejected = 0;

  constructor(execution: Execution<unknown>, spend: RunSpend, conversation: Conversation, caller: ModelCaller, toolbox: Toolbox) {
    this.execution = execution;
    this.spend = spend;
    this.conversation = conversation;
    this.caller = caller;
    this.toolbox = toolbox;
    this.loopGuard = new LoopGuard(execution.agent.maxIdenticalToolCalls);
  }

  /** Answers rejected by the output schema and asked again, so far. */
  get reasks(): number {
    return this.rejected;
  }

  /** Take model step number `step`: the answer, or undefined when it was rejected and the model is asked again. */
  async take(step: number): Promise<Answer | undefined> {
    const { execution } = this;
    const replaying = execution.journal.isReplaying;
    let record: ModelRecord;
    try {
      record = await execution.journal.step(`model#${step}`, ({ signal }) => this.ask(step, signal));
    } catch (e) {
      throw execution.stepError(e);
    }
    this.spend.add(record.spent, replaying, true);
    if (record.kind === 'invalid') {
      this.rejected++;
      this.emitModelCalled(step, record, replaying);
      const { name, maxOutputRetries } = execution.agent;
      execution.emit({
        type: 'agent.output_rejected',
        agent: name,
        runId: execution.runId,
        step,
        attempt: this.rejected,
        maxAttempts: maxOutputRetries + 1,
        problem: record.problem,
      });
      this.conversation.add({ role: 'assistant', content: record.text });
      this.conversation.add({ role: 'user', content: reaskMessage(record.problem) });
      return undefined;
    }
    this.spend.countAnswer(record);
    const calls: ToolCall[] = record.toolCalls.map((c) => ({ ...c, arguments: parseArguments(c.argumentsText) }));
    this.loopGuard.admit(calls.map((c) => ({ name: c.name, args: c.arguments ?? c.argumentsText })));
    this.emitModelCalled(step, record, replaying);
    this.conversation.add({ role: 'assistant', content: record.text, ...(calls.length === 0 ? {} : { toolCalls: calls }) });
    if (record.promptTokens > 0) this.conversation.calibrate(record.promptMessages, record.promptTokens);
    return { record, calls };
  }

  /** The journaled work: one model call, its answer checked. */
  private async ask(step: number, stepSignal: AbortSignal): Promise<ModelRecord> {
    const { agent } = this.execution;
    const signal = this.execution.callSignal(stepSignal);
    const definitions = this.toolbox.definitions;
    const request: ModelRequest = {
      messages: [...this.conversation.messages],
      ...(definitions.length === 0 ? {} : { tools: definitions }),
      ...(agent.output === undefined ? {} : { responseFormat: { type: 'json' as const, schema: agent.output } }),
      ...(agent.maxOutputTokens === undefined ? {} : { maxOutputTokens: agent.maxOutputTokens }),
      ...(agent.temperature === undefined ? {} : { temperature: agent.temperature }),
    };
    const before = this.spend.spentSoFar();
    let response: ModelResponse;
    try {
      response = await this.caller.call(agent.model, request, signal, agent.stream);
    } catch (error) {
      const rejected = rejectedOutputIn(error);
      if (rejected === undefined) throw error;
      return this.rejectOutput(step, { kind: 'invalid', ...rejected, spent: this.spend.spentSince(before) });
    }
    const spent = this.spend.spentSince(before);
    const toolCalls = response.toolCalls.map((c) => ({ id: c.id, name: c.name, argumentsText: c.argumentsText }));
    let output: Json | undefined;
    if (toolCalls.length === 0 && agent.output !== undefined) {
      const checked = checkOutput(agent.output, response.text, response.output);
      if ('problem' in checked) {
        return this.rejectOutput(step, {
          kind: 'invalid',
          text: response.text,
          problem: checked.problem,
          provider: response.provider,
          model: response.model,
          spent,
        });
      }
      output = checked.output;
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
    this.checkToolCalls(step, record);
    return record;
  }

  /** The guards on what the model asked for: an unknown tool, or a call that would go round once more. */
  private checkToolCalls(step: number, record: AnswerRecord): void {
    const { agent, runId } = this.execution;
    const tools = this.toolbox.byName;
    for (const call of record.toolCalls) {
      if (!tools.has(call.name)) throw this.refused(step, record, new UnknownToolError(agent.name, runId, step, call.name, [...tools.keys()]));
    }
    const looping = this.loopGuard.admit(
      record.toolCalls.map((c) => ({ name: c.name, args: parseArguments(c.argumentsText) ?? c.argumentsText })),
      false,
    );
    if (looping !== undefined) {
      throw this.refused(
        step,
        record,
        new ToolLoopError(agent.name, runId, step, looping.call.name, showArgs(looping.call), looping.executed, this.loopGuard.limit),
      );
    }
  }

  /** A rejected answer: asked again while re-asks are left, else the run stops here. */
  private rejectOutput(step: number, record: InvalidRecord): InvalidRecord {
    if (this.rejected >= this.execution.agent.maxOutputRetries) {
      throw this.refused(
        step,
        record,
        new OutputInvalidError(this.execution.agent.name, this.execution.runId, step, this.rejected + 1, record.problem, record.text),
      );
    }
    return record;
  }

  /** A call whose answer a guard refused was still made and paid for: report it, then fail the step. */
  private refused(step: number, record: ModelRecord, error: Error): Error {
    this.spend.add(record.spent, false, true);
    this.emitModelCalled(step, record, false);
    return error;
  }

  private emitModelCalled(step: number, record: ModelRecord, replayed: boolean): void {
    const invalid = record.kind === 'invalid';
    this.execution.emit({
      type: 'agent.model_called',
      agent: this.execution.agent.name,
      runId: this.execution.runId,
      step,
      replayed,
      provider: record.provider,
      model: record.model,
      level: invalid ? 'invalid' : record.level,
      usage: invalid ? { inputTokens: 0, outputTokens: 0, cachedInputTokens: 0, totalTokens: record.spent.tokens } : record.usage,
      costUsd: record.spent.usd,
      spentUsd: this.spend.usd,
      toolCalls: invalid ? [] : record.toolCalls.map((c) => c.name),
    });
  }
}
