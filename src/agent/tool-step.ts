/**
 * A tool step: run one tool call the model asked for, and say what the model is told.
 * - Arguments that are not JSON, or fail the tool's schema, are the model's mistake: it is told,
 *   and nothing is journaled (the check is deterministic, so a replay reaches the same verdict).
 * - A plain tool runs as the journaled step `tool#<model step>.<n> <name>` (at least once, or,
 *   with `reconcile`, asked about instead of run again when a crash interrupted it); an
 *   effect (`effect` or `irreversible`) as a journaled effect (at most once, with an idempotency
 *   key, and its `reconcile` deciding one whose outcome a crash lost); an irreversible one waits
 *   for approval first. A denied approval is told to the model as a call that was not done.
 * - A `ToolFailure` is told to the model as an error result; anything else the tool throws, after
 *   its `retry` policy, fails the step and ends the run.
 * - A result longer than `maxToolResultChars` is cut, saying how much was cut.
 */
import { isWardenError } from '../runtime/index.ts';
import { zodIssues } from '../runtime/internal.ts';
import type { ToolCall } from '../llm/index.ts';
import { ApprovalDeniedError } from '../durable/index.ts';
import type { Json } from '../store/index.ts';
import type { Execution } from './execution.ts';
import { NOTHING_SPENT, type ToolRecord } from './journal-records.ts';
import type { RunSpend } from './spend.ts';
import { isToolFailure, type Tool } from './tool.ts';
import type { Toolbox } from './toolbox.ts';

export class ToolStep {
  private readonly execution: Execution<unknown>;
  private readonly spend: RunSpend;
  private readonly toolbox: Toolbox;
  private taken = 0;

  constructor(execution: Execution<unknown>, spend: RunSpend, toolbox: Toolbox) {
    this.execution = execution;
    this.spend = spend;
    this.toolbox = toolbox;
  }

  /** Tool calls taken up so far (those with bad arguments, and denied ones, included). */
  get calls(): number {
    return this.taken;
  }

  /** Take tool call `call`, number `index` of model step `step`: what the model is told. */
  async take(step: number, index: number, call: ToolCall): Promise<ToolRecord> {
    const { execution } = this;
    const tool = this.toolbox.byName.get(call.name) as Tool;
    const base = { agent: execution.agent.name, runId: execution.runId, step, tool: call.name, callId: call.id };
    this.taken++;
    const args = call.arguments;
    if (args === undefined) {
      execution.emit({ type: 'agent.tool_called', ...base, replayed: false, outcome: 'error' });
      return { content: `invalid arguments for ${call.name}: not valid JSON`, isError: true };
    }
    const parsed = tool.input.safeParse(args);
    if (!parsed.success) {
      execution.emit({ type: 'agent.tool_called', ...base, replayed: false, outcome: 'error' });
      return { content: `invalid arguments for ${call.name}: ${zodIssues(parsed.error)}`, isError: true };
    }
    const replaying = execution.journal.isReplaying;
    let record: ToolRecord | undefined;
    try {
      record = await this.journaled(`tool#${step}.${index} ${call.name}`, tool, call, args as Json, parsed.data);
    } catch (e) {
      const error = execution.stepError(e);
      if (!(error instanceof ApprovalDeniedError || isWardenError(error, 'APPROVAL_DENIED'))) throw error;
      if (replaying) this.spend.add(NOTHING_SPENT, true, false);
      execution.emit({ type: 'agent.tool_called', ...base, replayed: replaying, outcome: 'denied' });
      return { content: `not done: ${(error as Error).message}`, isError: true };
    }
    // An effect a person resolved as done from outside has no recorded value.
    const done = record ?? { content: 'done (resolved outside the run)', isError: false };
    if (replaying) this.spend.add(NOTHING_SPENT, true, false);
    execution.emit({ type: 'agent.tool_called', ...base, replayed: replaying, outcome: done.isError ? 'error' : 'ok' });
    return done;
  }

  /** The call as a journaled step, or as a journaled effect for an effect tool. */
  private journaled(name: string, tool: Tool, call: ToolCall, args: Json, input: unknown): Promise<ToolRecord | undefined> {
    const { execution } = this;
    const maxChars = execution.agent.maxToolResultChars;
    const run = async (ctx: { signal: AbortSignal; attempt: number; idempotencyKey?: string }): Promise<ToolRecord> => {
      try {
        const value = await tool.run(input, {
          signal: execution.callSignal(ctx.signal),
          attempt: ctx.attempt,
          agent: execution.agent.name,
          runId: execution.runId,
          callId: call.id,
          idempotencyKey: ctx.idempotencyKey,
          beat: () => execution.beat(),
        });
        return { content: resultText(value, maxChars), isError: false };
      } catch (e) {
        if (isToolFailure(e)) return { content: e.message, isError: true };
        throw e;
      }
    };
    const reconcile = tool.reconcile;
    const options = {
      tool: call.name,
      args,
      ...(tool.retry === undefined ? {} : { retry: tool.retry }),
      ...(reconcile === undefined
        ? {}
        : {
            reconcile: async (info: { idempotencyKey: string; args: Json | undefined }) => {
              const verdict = await reconcile({ idempotencyKey: info.idempotencyKey, args: info.args });
              return verdict.done ? { done: true as const, value: { content: resultText(verdict.value, maxChars), isError: false } } : { done: false as const };
            },
          }),
    };
    if (tool.effect !== true && tool.irreversible !== true) return execution.journal.step(name, run, options);
    return execution.journal.effect(name, run, { ...options, irreversible: tool.irreversible === true });
  }
}

/** A tool's result as the model reads it: text as is, other values as JSON, cut to `maxChars`. */
function resultText(value: unknown, maxChars: number): string {
  const text = typeof value === 'string' ? value : value === undefined ? 'ok' : JSON.stringify(value);
  return text.length > maxChars ? `${text.slice(0, maxChars)}… [cut: ${text.length - maxChars} more characters]` : text;
}
