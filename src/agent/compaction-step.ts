/**
 * The compaction step `compact#n`, before a model step: when the conversation has passed
 * `thresholdTokens` and the plan finds something to take out (see context.ts), the model writes
 * a summary of the older turns (compaction's own model, else the agent's), and the step journals
 * the plan, the summary and every tool result taken out. The conversation is then rewritten from
 * that record, so a replay rewrites it the same way without asking for the summary again. Off
 * (no `compaction` option), or with nothing worth taking out, nothing is journaled.
 */
import type { ModelRequest } from '../llm/index.ts';
import { offloadedBy, planCompaction, transcript, type CompactionPlan } from './context.ts';
import type { Conversation } from './conversation.ts';
import type { Execution } from './execution.ts';
import type { CompactionRecord } from './journal-records.ts';
import type { ModelCaller } from './model-call.ts';
import type { ResolvedCompaction } from './options.ts';
import type { RunSpend } from './spend.ts';

export class CompactionStep {
  private readonly execution: Execution<unknown>;
  private readonly spend: RunSpend;
  private readonly conversation: Conversation;
  private readonly caller: ModelCaller;
  private done = 0;

  constructor(execution: Execution<unknown>, spend: RunSpend, conversation: Conversation, caller: ModelCaller) {
    this.execution = execution;
    this.spend = spend;
    this.conversation = conversation;
    this.caller = caller;
  }

  /** Compactions so far. */
  get compactions(): number {
    return this.done;
  }

  /** Compact the conversation if it is over the threshold and there is something to take out. */
  async compactIfNeeded(): Promise<void> {
    const { execution } = this;
    const settings = execution.agent.compaction;
    if (settings === undefined) return;
    const tokensBefore = this.conversation.tokens();
    if (tokensBefore <= settings.thresholdTokens) return;
    const plan = planCompaction(this.conversation.messages, settings);
    if (plan === undefined) return;
    const compaction = this.done + 1;
    const replaying = execution.journal.isReplaying;
    let record: CompactionRecord;
    try {
      record = await execution.journal.step(`compact#${compaction}`, ({ signal }) => this.summarize(settings, compaction, plan, tokensBefore, signal));
    } catch (e) {
      throw execution.stepError(e);
    }
    this.done = compaction;
    this.spend.add(record.spent, replaying, false);
    this.conversation.compact(record, compaction, settings.recallTool);
    execution.emit({
      type: 'agent.compacted',
      agent: execution.agent.name,
      runId: execution.runId,
      compaction,
      replayed: replaying,
      tokensBefore: record.tokensBefore,
      tokensAfter: this.conversation.tokens(),
      summarizedMessages: record.plan.summarizeTo - record.plan.anchor,
      clearedToolResults: record.plan.clear.length,
      offloaded: record.offloaded.map((o) => o.ref),
    });
  }

  /** The journaled work: what the plan takes out, and the summary of the turns it summarises. */
  private async summarize(
    settings: ResolvedCompaction,
    compaction: number,
    plan: CompactionPlan,
    tokensBefore: number,
    stepSignal: AbortSignal,
  ): Promise<CompactionRecord> {
    const messages = this.conversation.messages;
    const offloaded = offloadedBy(messages, plan, compaction);
    let summary = '';
    const before = this.spend.spentSoFar();
    if (plan.summarizeTo > plan.anchor) {
      const request: ModelRequest = {
        messages: [
          { role: 'system', content: settings.instructions },
          {
            role: 'user',
            content: `The task:\n${this.conversation.task}\n\nThe work so far, to summarise:\n${transcript(messages, plan.anchor, plan.summarizeTo)}`,
          },
        ],
        maxOutputTokens: settings.summaryMaxTokens,
      };
      const response = await this.caller.call(settings.model ?? this.execution.agent.model, request, this.execution.callSignal(stepSignal), false);
      summary = response.text.trim();
    }
    return { plan, summary, offloaded, tokensBefore, spent: this.spend.spentSince(before) };
  }
}
