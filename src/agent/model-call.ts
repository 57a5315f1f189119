/**
 * One model call of a run (an answer or a summary), charged to the run's budget scope. A
 * resilient client (`createModelClient`) is handed the scope and reserves from it itself, once
 * per attempt; any other client is reserved for here, once per call, at its upper bound: the
 * conversation's estimated tokens plus the whole output cap (the request's `maxOutputTokens`, or
 * the adapter's default, `DEFAULT_MAX_OUTPUT_TOKENS` for other clients), priced when the scope
 * has a pricing table and the client names its model; it is charged what its response reports
 * (nothing when it fails). A streamed call beats on every delta. A call the client queued instead of answering
 * is an error: an agent needs the answer now.
 */
import {
  DEFAULT_MAX_OUTPUT_TOKENS,
  ProviderAdapter,
  ResilientModelClient,
  type ModelCallOptions,
  type ModelClient,
  type ModelRequest,
  type ModelResponse,
} from '../llm/index.ts';
import { isWardenError } from '../runtime/index.ts';
import type { Budget, Spend } from '../resilience/index.ts';
import { estimateMessageTokens } from './context.ts';
import type { Conversation } from './conversation.ts';
import type { Execution } from './execution.ts';
import type { RunSpend } from './spend.ts';

export class ModelCaller {
  private readonly execution: Execution<unknown>;
  private readonly spend: RunSpend;
  private readonly conversation: Conversation;

  constructor(execution: Execution<unknown>, spend: RunSpend, conversation: Conversation) {
    this.execution = execution;
    this.spend = spend;
    this.conversation = conversation;
  }

  /**
   * Make the call, then keep what it was paid as a note of the run (`spent`), before the step
   * that made it is journaled: so a step that fails afterwards, or a process that dies before the
   * step is journaled, does not take the payment with it (see spend.ts).
   */
  async call(model: ModelClient, request: ModelRequest, signal: AbortSignal, stream: boolean): Promise<ModelResponse> {
    const before = this.spend.spentSoFar();
    let response: ModelResponse;
    try {
      response = await this.paid(model, request, signal, stream);
    } catch (error) {
      // The call's own error is the one to report, even if the note could not be written.
      await this.spend.keepPaid(before).catch(() => undefined);
      throw error;
    }
    await this.spend.keepPaid(before);
    return response;
  }

  private async paid(model: ModelClient, request: ModelRequest, signal: AbortSignal, stream: boolean): Promise<ModelResponse> {
    const budget = this.spend.budget();
    if (model instanceof ResilientModelClient) return this.answer(model, request, { signal, budget, runId: this.execution.runId }, stream);
    const inputTokens = this.conversation.messages.reduce((n, m) => n + estimateMessageTokens(m), 0);
    const outputTokens = request.maxOutputTokens ?? (model instanceof ProviderAdapter ? model.maxOutputTokens : DEFAULT_MAX_OUTPUT_TOKENS);
    const reservation = await budget.acquire({ steps: 1, tokens: inputTokens + outputTokens, ...upperBoundUsd(budget, model, inputTokens, outputTokens) });
    let response: ModelResponse | undefined;
    try {
      response = await this.answer(model, request, { signal }, stream);
      return response;
    } finally {
      if (response === undefined) reservation.release();
      else reservation.commit({ usd: response.costUsd ?? 0, tokens: response.totalUsage.totalTokens, steps: 1 });
      await reservation.recorded;
    }
  }

  private async answer(model: ModelClient, request: ModelRequest, options: ModelCallOptions, stream: boolean): Promise<ModelResponse> {
    let response;
    if (stream) {
      const deltas = model.stream(request, options);
      for await (const _delta of deltas) this.execution.beat();
      response = await deltas.response;
    } else {
      response = await model.complete(request, options);
    }
    if ((response as { level: string }).level === 'queued') {
      throw new Error(`agent "${this.execution.agent.name}": the model client queued the call instead of answering; agents need an answer`);
    }
    return response;
  }
}

/** A bare adapter's upper bound in USD when the scope can price its model; nothing otherwise. */
function upperBoundUsd(budget: Budget, model: ModelClient, inputTokens: number, outputTokens: number): Spend {
  if (!(model instanceof ProviderAdapter)) return {};
  try {
    return { usd: budget.costOf({ model: model.model, inputTokens, outputTokens }).usd };
  } catch (e) {
    if (isWardenError(e, 'BUDGET_NO_PRICING') || isWardenError(e, 'UNPRICED_MODEL')) return {};
    throw e;
  }
}
