/**
 * The tools an MCP server lists, as agent tools:
 * - the name the model sees is the server's with the set's `prefix`, any character OpenAI and
 *   Anthropic refuse in a tool name (outside `A-Za-z0-9_-`) written `_`, cut to 64 characters;
 * - the description is the server's (its title, else a line naming the server, when it has none);
 * - the input schema is sent to the model as the server wrote it, and the arguments are checked
 *   against it (through zod's `fromJSONSchema`) before the call, so the model hears about a bad
 *   argument without the server being asked; a schema zod cannot read is left to the server;
 * - a tool is irreversible (it waits for an approval) when the set names it in `irreversible`, or
 *   the server annotates it `destructiveHint: true` and `approveDestructive` is on.
 * Results: the `structuredContent` when the server sent one (the model reads it as JSON), else the
 * text of the content parts (a resource by its text or URI, an image or audio by its type);
 * `isError` makes the result an error the model reads, and the agent goes on.
 */
import { z } from 'zod';
import type { McpCallResult, McpListedTool } from './mcp-connection.ts';
import type { ResolvedMcpTools } from './mcp-options.ts';
import { ToolFailure, toolWithParameters, type Tool, type ToolContext } from './tool.ts';

/** Calls a server's tool by its name there (the set's policies, connection and restarts behind it). */
export type McpCaller = (serverTool: string, args: Record<string, unknown>, ctx: ToolContext) => Promise<McpCallResult>;

/** The name the model sees for the server's tool `name`. */
export function agentToolName(prefix: string, name: string): string {
  return `${prefix}${name}`.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 64);
}

/** The listed tools the set offers (its `include` and `exclude` applied). */
export function offered(config: ResolvedMcpTools, listed: readonly McpListedTool[]): McpListedTool[] {
  return listed.filter((t) => (config.include === undefined || config.include.has(t.name)) && !config.exclude.has(t.name));
}

/** The listed tools as agent tools, by the name the model sees. */
export function agentTools(config: ResolvedMcpTools, listed: readonly McpListedTool[], call: McpCaller): Map<string, Tool> {
  const tools = new Map<string, Tool>();
  for (const t of listed) {
    const irreversible = config.irreversible.has(t.name) || (config.approveDestructive && t.annotations?.destructiveHint === true);
    const { $schema: _ignored, ...schema } = t.inputSchema;
    const parameters = schema.type === 'object' ? schema : { ...schema, type: 'object' };
    const made = toolWithParameters<Record<string, unknown>, unknown>(
      {
        description: t.description ?? t.title ?? `The ${t.name} tool of the MCP server "${config.name}".`,
        input: argumentsChecker(parameters),
        run: async (args, ctx) => resultValue(await call(t.name, args, ctx)),
        ...(irreversible ? { irreversible: true } : {}),
      },
      parameters,
    );
    tools.set(agentToolName(config.prefix, t.name), made as Tool);
  }
  return tools;
}

/** A zod schema that checks arguments against `schema` and passes them on unchanged. */
function argumentsChecker(schema: Record<string, unknown>): z.ZodType<Record<string, unknown>> {
  let inner: z.ZodType;
  try {
    inner = z.fromJSONSchema(schema as Parameters<typeof z.fromJSONSchema>[0]);
  } catch {
    inner = z.record(z.string(), z.unknown());
  }
  return z.record(z.string(), z.unknown()).superRefine((args, ctx) => {
    const checked = inner.safeParse(args);
    if (checked.success) return;
    for (const issue of checked.error.issues) ctx.addIssue({ code: 'custom', message: issue.message, path: issue.path });
  });
}

/** What the model is told of a result (see the module doc). */
export function resultValue(result: McpCallResult): unknown {
  if (result.isError === true) throw new ToolFailure(contentText(result) || 'the tool failed (it said no more)');
  if (result.structuredContent !== undefined) return result.structuredContent;
  return contentText(result);
}

function contentText(result: McpCallResult): string {
  const parts: string[] = [];
  for (const part of result.content ?? []) {
    if (part.type === 'text' && typeof part.text === 'string') parts.push(part.text);
    else if (part.type === 'resource') parts.push(part.resource?.text ?? `[resource ${part.resource?.uri ?? ''}]`);
    else if (part.type === 'resource_link') parts.push(`[resource ${part.uri ?? ''}]`);
    else parts.push(`[${part.type}${part.mimeType === undefined ? '' : ` ${part.mimeType}`}]`);
  }
  return parts.join('\n');
}
