/**
 * The tools a run offers its model: the agent's own, plus `recall_context` when compaction may
 * clear tool results from the context (it reads one back, by the ref its stub names, from the
 * conversation's offloaded results), each with the definition a model request carries. Built
 * once per execution, so nothing here runs per step.
 */
import { z } from 'zod';
import type { ToolDefinition } from '../llm/index.ts';
import type { Conversation } from './conversation.ts';
import { ToolFailure, tool, type Tool } from './tool.ts';

/** The name of the built-in tool that reads back a tool result compaction cleared. */
export const RECALL_TOOL = 'recall_context';

export interface Toolbox {
  readonly byName: ReadonlyMap<string, Tool>;
  /** As a model request carries them, in the order of `byName`. */
  readonly definitions: readonly ToolDefinition[];
}

/** The agent's tools, with `recall_context` added when `offerRecall`. */
export function toolboxOf(own: ReadonlyMap<string, Tool>, offerRecall: boolean, conversation: Conversation): Toolbox {
  const byName = new Map(own);
  if (offerRecall) byName.set(RECALL_TOOL, recallTool(conversation));
  const definitions = [...byName].map(([name, offered]) => ({ name, description: offered.description, parameters: offered.parameters }));
  return { byName, definitions };
}

function recallTool(conversation: Conversation): Tool {
  return tool<{ ref: string }, string>({
    description: 'Read back a tool result that was cleared from the conversation to save context, by the ref its stub names.',
    input: z.object({ ref: z.string().describe('the ref in the stub, e.g. "c1.2"') }),
    run: ({ ref }) => {
      const content = conversation.recall(ref);
      if (content === undefined) throw new ToolFailure(`no cleared result is kept as "${ref}" (known: ${conversation.offloadedRefs().join(', ') || 'none'})`);
      return content;
    },
  }) as unknown as Tool;
}
