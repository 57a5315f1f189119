/**
 * One model call of a run (an answer or a summary), charged to the run's budget scope. A
 * resilient client (`createModelClient`) is handed the scope and reserves from it itself, once
 * per attempt; any other client is reserved for here, once per call, on an estimate of the
 * conversation's tokens plus the output cap, and charged what its response reports (nothing when
 * it fails). A streamed call beats on every delta. A call the client queued instead of answering
 * is an error: an agent needs the answer now.
 */
import { ResilientModelClient, type ModelCallOptions, type ModelClient, type ModelRequest, type ModelResponse } from '../llm/index.ts';
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

  async call(model: ModelClient, request: ModelRequest, signal: AbortSignal, stream: boolean): Promise<ModelResponse> {
    const budget = this.spend.budget();
    if (model instanceof ResilientModelClient) return this.answer(model, request, { signal, budget, runId: this.execution.runId }, stream);
    const inputTokens = this.conversation.messages.reduce((n, m) => n + estimateMessageTokens(m), 0);
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
