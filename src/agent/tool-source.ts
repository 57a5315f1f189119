/**
 * Tool sources: tools an agent does not know until a run starts, because something outside the
 * program offers them (an MCP server; see mcp-tools.ts). A run asks each source for its list at
 * its start, as the journaled step `tools#<source>`, so a resumed run reads the list it began with
 * back from the journal (and contacts nobody to learn it), and turns the list into tools.
 *
 * A tool name from a source that is already taken (by the agent's own tools, another source, or
 * the built-in `recall_context`) stops the run with `InvalidSpecError` naming both: give the
 * source a `prefix`.
 */
import { InvalidSpecError } from '../runtime/index.ts';
import type { Json } from '../store/index.ts';
import type { Execution } from './execution.ts';
import type { Tool } from './tool.ts';

const BRAND = Symbol.for('warden.agent.tool-source');

/** Something that offers tools once a run starts (`mcpTools(...)`). */
export interface ToolSource {
  readonly [BRAND]: true;
  /** Unique among an agent's sources: the step `tools#<name>` journals its list. */
  readonly name: string;
  /** What the source offers now, as JSON (journaled). */
  list(signal: AbortSignal): Promise<Json>;
  /** The tools of a list `list` returned (now, or read back from the journal), by the name the model sees. */
  toolsFrom(listed: Json): ReadonlyMap<string, Tool>;
  /** A run that uses the source starts. */
  retain(): void;
  /** That run ended (a source that connected for its runs alone disconnects after the last). */
  release(): Promise<void>;
}

/** Mark `source` as a tool source. */
export function asToolSource<S extends Omit<ToolSource, typeof BRAND>>(source: S): S & ToolSource {
  Object.defineProperty(source, BRAND, { value: true });
  return source as S & ToolSource;
}

/** True for a tool source. */
export function isToolSource(v: unknown): v is ToolSource {
  return typeof v === 'object' && v !== null && (v as Record<symbol, unknown>)[BRAND] === true;
}

/** The tools of `own` and of every source, listed (or replayed) as the run's first steps; see the module doc. */
export async function gatherTools(
  execution: Execution<unknown>,
  own: ReadonlyMap<string, Tool>,
  sources: readonly ToolSource[],
  reserved: readonly string[],
): Promise<ReadonlyMap<string, Tool>> {
  if (sources.length === 0) return own;
  const all = new Map(own);
  const owners = new Map<string, string>([...own.keys()].map((name) => [name, 'the agent']));
  for (const name of reserved) owners.set(name, 'the built-in tool');
  for (const source of sources) {
    const listed = await execution.journal.step(`tools#${source.name}`, (ctx) => source.list(execution.callSignal(ctx.signal)));
    for (const [name, offered] of source.toolsFrom(listed)) {
      const owner = owners.get(name);
      if (owner !== undefined) {
        throw new InvalidSpecError(
          `agent "${execution.agent.name}"`,
          `tools.${name}`,
          name,
          `is offered by MCP server "${source.name}" and by ${owner} (give the server a prefix: mcpTools({ prefix }))`,
        );
      }
      owners.set(name, `MCP server "${source.name}"`);
      all.set(name, offered);
    }
  }
  return all;
}
