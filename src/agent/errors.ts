/**
 * The agent layer's errors. Each guard that stops an agent throws its own error with a stable
 * `code`, the agent and run as fields and a message that says what happened and what to change;
 * the agent's process crashes with it, so its supervisor restarts it, escalates after too many
 * restarts, and the durable run lands in the dead-letter queue with the code intact.
 *
 * Errors cross processes and the journal as data (`toJSON()`); `errorFromStored` rebuilds the
 * agent's own errors (and keeps the code of any other) from that data. Each class is registered
 * in `WardenErrorMap`, so `isWardenError(e, 'UNKNOWN_TOOL')` narrows `e` to `UnknownToolError`.
 */
import { WardenError, showValue } from '../runtime/index.ts';
import { BudgetExceededError, type BudgetUnit } from '../resilience/index.ts';
import type { StoredError } from '../store/index.ts';

declare module '../runtime/index.ts' {
  interface WardenErrorMap {
    UnknownToolError: UnknownToolError;
    ToolLoopError: ToolLoopError;
    MaxStepsError: MaxStepsError;
    OutputInvalidError: OutputInvalidError;
    AgentStoppedError: AgentStoppedError;
    AgentRunError: AgentRunError;
    NotApprovedError: NotApprovedError;
    McpServerStartError: McpServerStartError;
    McpServerExitedError: McpServerExitedError;
  }
}

/** Which guard stopped an agent. */
export type AgentGuard = 'unknown_tool' | 'tool_loop' | 'max_steps' | 'output_invalid' | 'budget';

/** The model called a tool the agent does not have (a hallucinated name). Not retryable as is. */
export class UnknownToolError extends WardenError<
  'UNKNOWN_TOOL',
  {
    agent: string;
    runId: string;
    /** The model step (1-based) whose answer called it. */
    step: number;
    tool: string;
    known: readonly string[];
  }
> {
  constructor(agent: string, runId: string, step: number, tool: string, known: readonly string[]) {
    super(
      'UNKNOWN_TOOL',
      `agent "${agent}" (run ${runId}), step ${step}: the model called a tool that does not exist: "${tool}" ` +
        `(tools: ${known.length === 0 ? 'none' : known.join(', ')}); the run stops here rather than guess what was meant`,
      { agent, runId, step, tool, known },
    );
  }
}

/** The model asked for the same tool call (name and arguments) more often than allowed: a loop. */
export class ToolLoopError extends WardenError<
  'TOOL_LOOP_DETECTED',
  {
    agent: string;
    runId: string;
    step: number;
    tool: string;
    /** The arguments in canonical JSON (keys sorted), cut to 200 characters. */
    args: string;
    /** How often this exact call was already executed in the run. */
    executed: number;
    /** `maxIdenticalToolCalls`. */
    limit: number;
  }
> {
  constructor(agent: string, runId: string, step: number, tool: string, args: string, executed: number, limit: number) {
    super(
      'TOOL_LOOP_DETECTED',
      `agent "${agent}" (run ${runId}), step ${step}: the model asked for ${tool}(${args}) again after ${executed} identical calls ` +
        `(maxIdenticalToolCalls ${limit}); it is going round in circles, so the run stops before spending more`,
      { agent, runId, step, tool, args, executed, limit },
    );
  }
}

/** The agent used all its model steps without finishing. */
export class MaxStepsError extends WardenError<'MAX_STEPS_EXCEEDED', { agent: string; runId: string; maxSteps: number }> {
  constructor(agent: string, runId: string, maxSteps: number) {
    super(
      'MAX_STEPS_EXCEEDED',
      `agent "${agent}" (run ${runId}) made ${maxSteps} model calls without finishing (maxSteps ${maxSteps}); raise maxSteps or narrow the task`,
      { agent, runId, maxSteps },
    );
  }
}

/** The final answer failed the output schema after every allowed re-ask. */
export class OutputInvalidError extends WardenError<
  'OUTPUT_INVALID',
  {
    agent: string;
    runId: string;
    step: number;
    /** Answers checked, the re-asked ones included. */
    attempts: number;
    /** What is wrong with the last answer. */
    problem: string;
    /** The last answer, cut to 500 characters. */
    text: string;
  }
> {
  constructor(agent: string, runId: string, step: number, attempts: number, problem: string, text: string) {
    super(
      'OUTPUT_INVALID',
      `agent "${agent}" (run ${runId}), step ${step}: the answer does not match the output schema after ${attempts} attempts ` +
        `(${attempts - 1} re-asks): ${problem}`,
      { agent, runId, step, attempts, problem, text: text.length > 500 ? `${text.slice(0, 499)}…` : text },
    );
  }
}

/** The agent was asked to stop (its process's `stopSignal`, e.g. a watchdog's soft stop). Retryable. */
export class AgentStoppedError extends WardenError<
  'AGENT_STOPPED',
  {
    agent: string;
    runId: string;
    /** The stop signal's reason (in JSON, as text). */
    reason: unknown;
  }
> {
  constructor(agent: string, runId: string, reason: unknown) {
    super('AGENT_STOPPED', `agent "${agent}" (run ${runId}) was asked to stop: ${showValue(reason, 120)}`, { agent, runId, reason }, { retryable: true });
  }

  protected override details(): Record<string, unknown> {
    return { ...super.details(), reason: showValue(this.reason, 200) };
  }
}

/**
 * A durable agent run ended without an answer for a reason that has no error class of its own
 * here (a provider that stayed down, a tool's own error, a cancellation, a run held by another
 * owner). Its `code` is the original failure's code (`AGENT_RUN_FAILED` when it had none), so
 * `isWardenError(e, 'FALLBACK_EXHAUSTED')` still answers, and it is retryable when the original
 * was; `stored` is the failure as the journal keeps it.
 */
export class AgentRunError extends WardenError<string, { agent: string; runId: string; stored: StoredError }> {
  constructor(agent: string, runId: string, stored: StoredError) {
    super(
      typeof stored.code === 'string' ? stored.code : 'AGENT_RUN_FAILED',
      `agent "${agent}" (run ${runId}): ${stored.message}`,
      { agent, runId, stored },
      { retryable: stored.retryable === true },
    );
  }
}

/** An irreversible action in an ephemeral run was not approved (or no `approve` hook was given). */
export class NotApprovedError extends WardenError<'APPROVAL_DENIED', { runId: string; action: string; reason: string }> {
  constructor(runId: string, action: string, reason: string) {
    super('APPROVAL_DENIED', `run ${runId}: "${action}" was not approved (${reason}); it was not executed`, { runId, action, reason });
  }
}

/**
 * An MCP server could not be started or reached: the command is not there, it exited before
 * answering `initialize` (`why` ends with the last of what it wrote on stderr), it did not answer
 * within `startTimeoutMs`, or the URL refused the connection. Retryable: a supervisor starting it
 * again, or the next call, may find it up.
 */
export class McpServerStartError extends WardenError<
  'MCP_SERVER_START_FAILED',
  {
    /** The server's name (`mcpTools({ name })`). */
    server: string;
    /** The command line, or the URL. */
    target: string;
    why: string;
  }
> {
  constructor(server: string, target: string, why: string, cause?: unknown) {
    super('MCP_SERVER_START_FAILED', `MCP server "${server}" (${target}) did not start: ${why}`, { server, target, why }, { retryable: true, cause });
  }
}

/**
 * The connection to an MCP server ended on its own: the server crashed or was killed (after it
 * hung), or its HTTP session went away. A call that was waiting for an answer fails with it (`why`
 * says which call); its supervisor's child crashes with it. Retryable: the server is started again
 * and the call retried on the new one. A call that failed so may or may not have been carried out.
 */
export class McpServerExitedError extends WardenError<'MCP_SERVER_EXITED', { server: string; why: string }> {
  constructor(server: string, why: string, cause?: unknown) {
    super('MCP_SERVER_EXITED', `MCP server "${server}" went away: ${why}`, { server, why }, { retryable: true, cause });
  }
}

const asString = (v: unknown, fallback = ''): string => (typeof v === 'string' ? v : fallback);
const asNumber = (v: unknown, fallback = 0): number => (typeof v === 'number' ? v : fallback);

/** Rebuild the error a run failed with from its stored form (the agent's own errors by class, others by code). */
export function errorFromStored(agent: string, runId: string, stored: StoredError): Error {
  // A failed step wraps the error its code threw: report that one.
  const inner = stored.code === 'STEP_FAILED' && typeof stored.original === 'object' && stored.original !== null ? (stored.original as StoredError) : stored;
  const fields = inner as Record<string, unknown>;
  switch (inner.code) {
    case 'UNKNOWN_TOOL':
      return new UnknownToolError(agent, runId, asNumber(fields.step), asString(fields.tool), Array.isArray(fields.known) ? fields.known.map(String) : []);
    case 'TOOL_LOOP_DETECTED':
      return new ToolLoopError(
        agent,
        runId,
        asNumber(fields.step),
        asString(fields.tool),
        asString(fields.args),
        asNumber(fields.executed),
        asNumber(fields.limit),
      );
    case 'MAX_STEPS_EXCEEDED':
      return new MaxStepsError(agent, runId, asNumber(fields.maxSteps));
    case 'OUTPUT_INVALID':
      return new OutputInvalidError(agent, runId, asNumber(fields.step), asNumber(fields.attempts), asString(fields.problem), asString(fields.text));
    case 'BUDGET_EXCEEDED':
      return new BudgetExceededError(
        asString(fields.scope),
        asString(fields.unit, 'usd') as BudgetUnit,
        asNumber(fields.limit),
        asNumber(fields.spent),
        asNumber(fields.requested),
        asNumber(fields.reservation, asNumber(fields.requested)),
      );
    default:
      return new AgentRunError(agent, runId, inner);
  }
}

/** The guard an error stands for, if it is one. */
export function guardOf(error: unknown): AgentGuard | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  switch (code) {
    case 'UNKNOWN_TOOL':
      return 'unknown_tool';
    case 'TOOL_LOOP_DETECTED':
      return 'tool_loop';
    case 'MAX_STEPS_EXCEEDED':
      return 'max_steps';
    case 'OUTPUT_INVALID':
      return 'output_invalid';
    case 'BUDGET_EXCEEDED':
      return 'budget';
    default:
      return undefined;
  }
}
