/**
 * Agents (`warden/agent`): an agent is a supervised process made of a model client, tools,
 * policies and a journal.
 *
 * <!-- docs-test: prelude search -->
 * ```ts
 * import { z } from 'zod';
 * import { defineAgent, tool, agentChild } from 'warden/agent';
 * import { createModelClient, openaiChat } from 'warden/llm';
 * import { openStore } from 'warden/store';
 * import { supervisor } from 'warden/supervisor';
 *
 * const researcher = defineAgent({
 *   name: 'researcher',
 *   model: createModelClient({ models: [openaiChat({ model: 'gpt-4o-mini' })] }),
 *   system: 'Answer with sources. Use the search tool.',
 *   tools: { search: tool({ description: 'Search the web', input: z.object({ q: z.string() }), run: ({ q }) => search(q) }) },
 *   output: z.object({ answer: z.string(), sources: z.array(z.string()) }),
 *   maxSteps: 12,
 *   compaction: { thresholdTokens: 60_000 },
 *   budget: { limits: { usd: 0.5 } },
 * });
 *
 * // Durable, under a supervisor: every model and tool call is journaled; a restarted child
 * // resumes the run and pays for no completed call twice.
 * const store = await openStore();
 * const tree = supervisor({ children: [
 *   { id: 'research', restart: 'transient', start: agentChild(researcher, { store, input: 'What is OTP?' }) },
 * ] });
 *
 * // Or directly, with nothing journaled:
 * const { output } = await researcher.run('What is OTP?');
 * ```
 *
 * Tools from MCP servers (`mcpTools({ command, args })` over stdio, `mcpTools({ url })` over
 * Streamable HTTP) join `tools` as a list item: `tools: [{ search }, files]`. A stdio server runs as
 * a supervised child (`files.child()`), restarted when it crashes or hangs; its calls are retried,
 * guarded by a breaker, journaled and, when irreversible, approved like any tool's.
 *
 * Guards end a run with a typed error (its process crashes with it, so its supervisor restarts
 * or escalates): `UNKNOWN_TOOL`, `TOOL_LOOP_DETECTED`, `MAX_STEPS_EXCEEDED`, `OUTPUT_INVALID`
 * (after bounded re-asks), `BUDGET_EXCEEDED` (before the call). Compaction keeps the task anchor
 * verbatim, summarises older turns, clears old tool results and keeps them in the journal.
 */
import './events.ts';

export { defineAgent } from './define.ts';
export type { Agent, DirectRunOptions } from './define.ts';
export { AGENT_DEFAULTS, COMPACTION_DEFAULTS, SUMMARY_INSTRUCTIONS } from './options.ts';
export type { AgentOptions, CompactionOptions, ResolvedAgent, ResolvedCompaction } from './options.ts';
export { checkInput, taskText } from './input.ts';
export type { AgentInput } from './input.ts';
export { tool, isTool, ToolFailure, isToolFailure } from './tool.ts';
export type { Tool, ToolSpec, ToolContext } from './tool.ts';
export { mcpTools, mcpChildren, isMcpToolSet } from './mcp-tools.ts';
export type { McpToolSet } from './mcp-tools.ts';
export { MCP_TOOLS_DEFAULTS } from './mcp-options.ts';
export type { McpToolsOptions, ResolvedMcpTools, McpEndpoint } from './mcp-options.ts';
export type { McpListedTool, McpCallResult } from './mcp-connection.ts';
export { isToolSource } from './tool-source.ts';
export type { ToolSource } from './tool-source.ts';
export { runAgent, defaultRunId, RUN_AGENT_DEFAULTS } from './run-agent.ts';
export type { RunAgentOptions } from './run-agent.ts';
export { agentChild } from './agent-child.ts';
export type { AgentChildOptions, AgentTask } from './agent-child.ts';
export { reaskMessage } from './output-check.ts';
export { RECALL_TOOL } from './toolbox.ts';
export type { AgentResult, LevelCounts } from './result.ts';
export type { AgentEnv } from './execution.ts';
export type { ApprovalRequest } from './journal.ts';
export {
  estimateMessageTokens,
  contextTokens,
  anchorLength,
  planCompaction,
  applyCompaction,
  offloadedBy,
  stubFor,
  transcript,
  SUMMARY_MARK,
  STUB_MARK,
} from './context.ts';
export type { Calibration, CompactionShape, CompactionPlan, OffloadedItem } from './context.ts';
export { readOffloaded } from './offload.ts';
export { LoopGuard, callKey, showArgs } from './guards.ts';
export type { CallKey } from './guards.ts';
export {
  UnknownToolError,
  ToolLoopError,
  MaxStepsError,
  OutputInvalidError,
  AgentStoppedError,
  AgentRunError,
  NotApprovedError,
  McpServerStartError,
  McpServerExitedError,
  errorFromStored,
  guardOf,
} from './errors.ts';
export type { AgentGuard } from './errors.ts';
export type { AgentErrorSummary } from './events.ts';
