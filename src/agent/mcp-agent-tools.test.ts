/**
 * The tools an MCP server lists, turned into agent tools without a server: names the model APIs
 * accept, the server's descriptions and schemas (arguments checked against them), which tools are
 * irreversible, `include` and `exclude`, and how each kind of result reaches the model.
 */
import { describe, expect, it } from 'vitest';
import { agentToolName, agentTools, offered, resultValue } from './mcp-agent-tools.ts';
import type { McpListedTool } from './mcp-connection.ts';
import { resolveMcpTools, type McpToolsOptions } from './mcp-options.ts';
import { isToolFailure } from './tool.ts';

const LISTED: McpListedTool[] = [
  { name: 'read.file', description: 'Read a file.', inputSchema: { type: 'object', properties: { path: { type: 'string' } }, required: ['path'] } },
  { name: 'delete_file', title: 'Delete', inputSchema: { type: 'object', properties: {} }, annotations: { destructiveHint: true } },
  { name: 'move_file', inputSchema: { type: 'object', properties: {} }, annotations: { destructiveHint: false } },
  { name: 'odd', description: 'A schema zod cannot read.', inputSchema: { type: 'object', properties: { x: { $ref: '#/nowhere' } } } },
];

const config = (options: Partial<McpToolsOptions> = {}) => resolveMcpTools({ command: 'node', name: 'files', ...options });
const never = () => Promise.reject(new Error('not called'));

describe('MCP tools as agent tools', () => {
  it('names each tool with the prefix, writing characters a model API refuses as _', () => {
    expect(agentToolName('fs_', 'read.file')).toBe('fs_read_file');
    expect(agentToolName('', 'x'.repeat(80))).toHaveLength(64);
    expect([...agentTools(config({ prefix: 'fs_' }), LISTED, never).keys()]).toEqual(['fs_read_file', 'fs_delete_file', 'fs_move_file', 'fs_odd']);
  });

  it("keeps the server's description and schema, and checks arguments against the schema", () => {
    const tools = agentTools(config(), LISTED, never);
    const read = tools.get('read_file')!;
    expect(read.description).toBe('Read a file.');
    expect(read.parameters).toEqual(LISTED[0]!.inputSchema);
    expect(read.input.safeParse({ path: 'a.txt' }).success).toBe(true);
    const bad = read.input.safeParse({ path: 3 });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues[0]?.path).toEqual(['path']);
    expect(tools.get('delete_file')!.description).toBe('Delete');
    expect(tools.get('move_file')!.description).toBe('The move_file tool of the MCP server "files".');
    // A schema zod cannot read leaves the check to the server.
    expect(tools.get('odd')!.input.safeParse({ x: 1 }).success).toBe(true);
  });

  it('makes tools named irreversible, and those annotated destructiveHint: true, irreversible', () => {
    const irreversible = (options: Partial<McpToolsOptions>) =>
      [...agentTools(config(options), LISTED, never)].filter(([, t]) => t.irreversible === true).map(([name]) => name);
    expect(irreversible({})).toEqual(['delete_file']);
    expect(irreversible({ irreversible: ['move_file'] })).toEqual(['delete_file', 'move_file']);
    expect(irreversible({ approveDestructive: false })).toEqual([]);
  });

  it('offers only what include lets through and exclude does not stop', () => {
    expect(offered(config({ include: ['read.file', 'odd'], exclude: ['odd'] }), LISTED).map((t) => t.name)).toEqual(['read.file']);
  });

  it('reads a result: structured content as data, else the text of its parts; isError as a ToolFailure', () => {
    expect(resultValue({ content: [{ type: 'text', text: '{"n":1}' }], structuredContent: { n: 1 } })).toEqual({ n: 1 });
    expect(
      resultValue({
        content: [
          { type: 'text', text: 'one' },
          { type: 'image', mimeType: 'image/png' },
          { type: 'resource', resource: { uri: 'file:///a', text: 'inside a' } },
          { type: 'resource_link', uri: 'file:///b' },
        ],
      }),
    ).toBe('one\n[image image/png]\ninside a\n[resource file:///b]');
    const failure = (() => {
      try {
        resultValue({ content: [{ type: 'text', text: 'no such file' }], isError: true });
      } catch (e) {
        return e;
      }
    })();
    expect(isToolFailure(failure)).toBe(true);
    expect((failure as Error).message).toBe('no such file');
  });
});
