/**
 * The agent layer's events, on the one Warden event stream. A run emits `agent.started`, then per
 * model call `agent.model_called` (usage, cost, the run's spend so far, the degradation level, and
 * whether it was replayed from the journal rather than paid for), per tool call
 * `agent.tool_called`, `agent.output_rejected` for each re-ask, `agent.compacted` for each
 * compaction, `agent.guard_tripped` when a guard stops it, and ends with `agent.completed` or
 * `agent.failed`. Tools from MCP servers add `agent.mcp_connected` and `agent.mcp_ended` for each
 * connection to a server. Errors are summaries (`name`, `code`, `message`), never objects.
 */
import type { DegradationLevel } from '../resilience/index.ts';
import type { Usage } from '../llm/index.ts';
import type { AgentGuard } from './errors.ts';

interface RunEvent {
  readonly agent: string;
  readonly runId: string;
}

/** An error as agent events carry it. */
export interface AgentErrorSummary {
  readonly name: string;
  readonly code?: string;
  readonly message: string;
}

declare module '../runtime/index.ts' {
  interface WardenEventMap {
    /** A run began executing here: fresh, or resumed from its journal (`resumed`). */
    'agent.started': RunEvent & { readonly durable: boolean; readonly resumed: boolean };
    /** A model call ended (`replayed`: its answer came from the journal, nothing was paid). */
    'agent.model_called': RunEvent & {
      readonly step: number;
      readonly replayed: boolean;
      readonly provider: string;
      readonly model: string;
      readonly level: Exclude<DegradationLevel, 'queued'> | 'invalid';
      readonly usage: Usage;
      /** What this call cost, every attempt included (0 without prices); when replayed, what it cost when it was made. */
      readonly costUsd: number;
      /** The run's spend so far, replayed calls included. */
      readonly spentUsd: number;
      readonly toolCalls: readonly string[];
    };
    /** A tool call ended: `ok`, `error` (reported to the model), or `denied` (an approval was refused). */
    'agent.tool_called': RunEvent & {
      readonly step: number;
      readonly tool: string;
      readonly callId: string;
      readonly replayed: boolean;
      readonly outcome: 'ok' | 'error' | 'denied';
    };
    /** The answer failed the output schema; the model is asked again (`attempt` of `maxAttempts`). */
    'agent.output_rejected': RunEvent & { readonly step: number; readonly attempt: number; readonly maxAttempts: number; readonly problem: string };
    /** The context was compacted. */
    'agent.compacted': RunEvent & {
      readonly compaction: number;
      readonly replayed: boolean;
      readonly tokensBefore: number;
      readonly tokensAfter: number;
      readonly summarizedMessages: number;
      readonly clearedToolResults: number;
      readonly offloaded: readonly string[];
    };
    /** A guard stopped the run; the error follows as the crash reason. */
    'agent.guard_tripped': RunEvent & { readonly guard: AgentGuard; readonly error: AgentErrorSummary };
    /** The run waits (for an approval, or for a person to resolve an uncertain effect). */
    'agent.suspended': RunEvent & { readonly reason: string };
    'agent.completed': RunEvent & {
      readonly steps: number;
      readonly toolCalls: number;
      readonly costUsd: number;
      readonly replayedSteps: number;
    };
    'agent.failed': RunEvent & { readonly error: AgentErrorSummary };
    /** A connection to an MCP server was made (`target`: its command line or URL; `pid` for a process it started). */
    'agent.mcp_connected': { readonly server: string; readonly target: string; readonly pid: number | undefined; readonly supervised: boolean };
    /** A connection to an MCP server ended: `why` (exited, killed after a hang, closed). */
    'agent.mcp_ended': { readonly server: string; readonly why: string };
  }
}

/** An error as events carry it. */
export function summarize(error: unknown): AgentErrorSummary {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return { name: error.name, ...(typeof code === 'string' ? { code } : {}), message: error.message };
  }
  return { name: 'thrown', message: String(error) };
}
