/**
 * `agentChild(agent, options)`: an agent as a supervisor's child (the child spec's `start`).
 * With `input`, it runs that one task (`runAgent`) and exits normally: make the child
 * `transient`. Without, it serves tasks from its mailbox: a `call` with `{ task, data?, id? }` is
 * answered with the result (a crash ends the call with the reason), a cast task is run and its
 * result handed to `onResult`, and a soft stop request ends it.
 */
import { InvalidSpecError, isCall, isCast, isSoftStopRequest, type ProcessContext } from '../runtime/index.ts';
import { worker, type ChildStart } from '../supervisor/index.ts';
import type { Json } from '../store/index.ts';
import type { Agent } from './define.ts';
import { checkInput, type AgentInput } from './input.ts';
import type { AgentResult } from './result.ts';
import { runAgent, type RunAgentOptions } from './run-agent.ts';

/** A task sent to an agent child's mailbox. */
export interface AgentTask {
  readonly task: string;
  readonly data?: Json;
  /** The run's id (a task sent again with the same id resumes or returns that run). @default from the task's hash */
  readonly id?: string;
}

export interface AgentChildOptions extends Omit<RunAgentOptions, 'input' | 'runId'> {
  /** Run this one task and exit normally (make the child `transient`). @default none: serve tasks from the mailbox */
  readonly input?: AgentInput;
  /** The one task's run id. @default from the input's hash */
  readonly runId?: string;
  /** Mailbox mode: beat while idle this often (so a watchdog does not count idle time), ms. @default none */
  readonly idleBeatMs?: number;
  /** Called with each result (mailbox mode, also for cast tasks). @default none */
  readonly onResult?: (result: AgentResult<unknown>, ctx: ProcessContext) => void;
  /** Register each incarnation under this name, so callers can address the agent across restarts. @default none */
  readonly register?: string;
}

function isTask(v: unknown): v is AgentTask {
  return typeof v === 'object' && v !== null && typeof (v as AgentTask).task === 'string';
}

/**
 * The start function of a supervised agent (see the module doc).
 *
 * @example
 * ```ts
 * const company = supervisor({
 *   strategy: 'one_for_one',
 *   children: [
 *     { id: 'cfo', start: agentChild(cfo, { store }) },                                        // serves tasks
 *     { id: 'digest', restart: 'transient', start: agentChild(writer, { store, input: 'Write the weekly digest' }) },
 *   ],
 * });
 * ```
 */
export function agentChild<O>(agent: Agent<O>, options: AgentChildOptions = {}): ChildStart {
  if (options.input !== undefined) checkInput(agent.name, options.input);
  if (options.idleBeatMs !== undefined && !(typeof options.idleBeatMs === 'number' && options.idleBeatMs > 0)) {
    throw new InvalidSpecError(`agentChild "${agent.name}"`, 'idleBeatMs', options.idleBeatMs, 'must be a number of ms > 0');
  }
  const { input, runId, idleBeatMs, onResult, register, ...rest } = options;
  const spawn = { label: agent.name, ...(register === undefined ? {} : { name: register }) };
  if (input !== undefined) {
    return worker(async (ctx: ProcessContext) => {
      await runAgent(ctx, agent, { ...rest, input, ...(runId === undefined ? {} : { runId }) });
    }, spawn);
  }
  return worker(async (ctx: ProcessContext) => {
    for (;;) {
      const message = idleBeatMs === undefined ? await ctx.receive() : await ctx.receive({ timeoutMs: idleBeatMs });
      ctx.beat();
      if (message === undefined) continue;
      if (isSoftStopRequest(message)) ctx.exit(message.reason);
      const request = isCall(message) ? message.request : isCast(message) ? message.message : message;
      if (!isTask(request)) {
        if (isCall(message)) ctx.reply(message.from, { error: `agent "${agent.name}" takes tasks { task, data?, id? }` });
        continue;
      }
      const task: AgentInput = request.data === undefined ? { task: request.task } : { task: request.task, data: request.data };
      const result = await runAgent(ctx, agent, { ...rest, input: task, ...(request.id === undefined ? {} : { runId: request.id }) });
      onResult?.(result as AgentResult<unknown>, ctx);
      if (isCall(message)) ctx.reply(message.from, result);
    }
  }, spawn);
}
