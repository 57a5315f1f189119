/**
 * Tools from an MCP server, quickly: bad `mcpTools` options are refused naming the field, an
 * agent run against the simulated model (over the real OpenAI SDK) calls a real stdio server's
 * tools through the SDK's client, and text, structured content, tool errors and bad arguments
 * come back to the model as tool results; a server that exits at start, or a command that is not
 * there, fails the run with an error naming the command. The multi-process cases (supervised
 * restarts after a crash or a hang, resume, approvals, the memory servers, HTTP) are in
 * mcp-tools.slow.test.ts.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineAgent, mcpTools, tool } from '../src/agent/index.ts';
import { EventBus, realClock, type WardenEvent } from '../src/runtime/index.ts';
import { thrownBy } from '../src/testing/index.ts';
import { sim, simClient } from './support/agent-harness.ts';
import { requestText, tempDir, unrulyServer } from './support/mcp-harness.ts';

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('mcpTools options', () => {
  it.each<[string, Record<string, unknown>, string, RegExp]>([
    ['neither command nor url', {}, 'command', /or url is needed/],
    ['both command and url', { command: 'node', url: 'http://127.0.0.1:1/mcp' }, 'url', /cannot be given with command/],
    ['a url that is not one', { url: 'not a url' }, 'url', /must be an absolute URL/],
    ['a url that is not http', { url: 'ftp://example.org/mcp' }, 'url', /http: or https:/],
    ['headers for a command', { command: 'node', headers: { a: 'b' } }, 'headers', /only apply to a url/],
    ['args for a url', { url: 'http://127.0.0.1:1/mcp', args: ['x'] }, 'args', /only applies to a command/],
    ['an empty command', { command: '' }, 'command', /must not be empty/],
    ['a timeout of 0', { command: 'node', timeoutMs: 0 }, 'timeoutMs', /.+/],
    ['an unknown option', { command: 'node', comand: 'x' }, 'comand', /comand/],
  ])('refuses %s, naming the field', (_, options, path, why) => {
    const error = thrownBy(() => mcpTools(options as never));
    expect(error).toMatchObject({ code: 'INVALID_SPEC', path });
    expect((error as Error).message).toMatch(why);
  });

  it('names the server after the script a runner starts, or the URL host', () => {
    expect(mcpTools({ command: 'npx', args: ['-y', '@modelcontextprotocol/server-memory'] }).name).toBe('server-memory');
    expect(mcpTools({ command: '/usr/bin/node', args: ['--no-warnings', 'servers/files.ts'] }).name).toBe('files');
    expect(mcpTools({ url: 'http://127.0.0.1:8788/mcp' }).name).toBe('127.0.0.1-8788');
  });

  it('refuses a bad item of an agent tools list, and two sources with one name, naming the item', async () => {
    const s = await sim({});
    cleanups.push(() => s.close());
    const model = simClient('openai', s.urls);
    const echo = tool({ description: 'Echo', input: z.object({ t: z.string() }), run: ({ t }) => t });
    expect(thrownBy(() => defineAgent({ name: 'a', model, tools: [{ echo }, 'files' as never] }))).toMatchObject({ path: 'tools[1]' });
    expect(thrownBy(() => defineAgent({ name: 'a', model, tools: [{ echo }, { echo }] }))).toMatchObject({ path: 'tools[1].echo' });
    const one = mcpTools({ command: 'node', name: 'files' });
    const two = mcpTools({ url: 'http://127.0.0.1:1/mcp', name: 'files' });
    expect(thrownBy(() => defineAgent({ name: 'a', model, tools: [one, two] }))).toMatchObject({ path: 'tools[1].name' });
  });
});

describe('the breaker of an MCP server', () => {
  it('opens after consecutive failures to reach it, and then fails calls at once', async () => {
    const bus = new EventBus(realClock);
    const seen: WardenEvent[] = [];
    bus.onAny((e) => seen.push(e));
    // Nothing listens on port 1: every connection is refused.
    const down = mcpTools({ url: 'http://127.0.0.1:1/mcp', name: 'down', retry: false, breaker: { trip: { kind: 'consecutive', failures: 2 } }, bus });
    for (let i = 0; i < 2; i++) await expect(down.tools()).rejects.toMatchObject({ code: 'MCP_SERVER_START_FAILED', server: 'down', retryable: true });
    await expect(down.tools()).rejects.toMatchObject({ code: 'BROKEN_CIRCUIT' });
    expect(seen.filter((e) => e.type === 'breaker.opened')).toMatchObject([{ breaker: 'mcp:down' }]);
  });
});

describe('an agent with the tools of a stdio MCP server', () => {
  it('offers the listed tools and gets text, structured content, tool errors and bad arguments back as tool results', async () => {
    const s = await sim({
      sequence: [
        {
          toolCalls: [
            { name: 'u_echo', arguments: { text: 'hello from the server' } },
            { name: 'u_add', arguments: { a: 2, b: 3 } },
            { name: 'u_fail', arguments: { message: 'no such file: notes.txt' } },
            { name: 'u_echo', arguments: { text: 5 } },
          ],
        },
        { text: 'done' },
      ],
    });
    cleanups.push(() => s.close());
    const bus = new EventBus(realClock);
    const seen: WardenEvent[] = [];
    bus.onAny((e) => seen.push(e));
    const unruly = mcpTools(unrulyServer({ prefix: 'u_', exclude: ['crash_once', 'hang_once'], bus }));
    const agent = defineAgent({ name: 'caller', model: simClient('openai', s.urls), bus, tools: [unruly] });
    const result = await agent.run('use the tools');
    expect(result.text).toBe('done');
    expect(result.toolCalls).toBe(4);

    const offered = (s.requests[0]!.body as { tools: { function: { name: string; parameters: unknown } }[] }).tools.map((t) => t.function);
    expect(offered.map((t) => t.name)).toEqual(['u_echo', 'u_add', 'u_fail', 'u_record', 'u_wipe']);
    expect(offered.find((t) => t.name === 'u_add')?.parameters).toMatchObject({ type: 'object', properties: { a: { type: 'number' } }, required: ['a', 'b'] });
    const told = requestText(s, 1);
    expect(told).toContain('hello from the server');
    expect(told).toContain('{\\"sum\\":5}');
    expect(told).toContain('no such file: notes.txt');
    expect(told).toMatch(/invalid arguments for u_echo: text/);
    expect(seen.filter((e) => e.type === 'agent.tool_called').map((e) => (e as { outcome: string }).outcome)).toEqual(['ok', 'ok', 'error', 'error']);

    // The run connected once and closed the server when it ended.
    const connected = seen.filter((e) => e.type === 'agent.mcp_connected');
    expect(connected).toMatchObject([{ server: 'unruly', supervised: false, pid: expect.any(Number) }]);
    expect(seen.filter((e) => e.type === 'agent.mcp_ended')).toMatchObject([{ server: 'unruly', why: 'closed' }]);
    expect(() => process.kill((connected[0] as { pid: number }).pid, 0)).toThrow();
  });

  it('tells the model a JSON-RPC error the server answered, such as a tool it no longer has', async () => {
    const unruly = mcpTools(unrulyServer());
    cleanups.push(() => unruly.close());
    const gone = unruly.toolsFrom([{ name: 'gone', inputSchema: { type: 'object' } }] as never).get('gone')!;
    const ctx = { signal: new AbortController().signal, attempt: 1, agent: 'a', runId: 'r', callId: 'c', idempotencyKey: undefined, beat() {} };
    const error = await Promise.resolve(gone.run({}, ctx)).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'ToolFailure', message: expect.stringMatching(/MCP error -32602: .*gone/) });
  });

  it('puts tools named irreversible, and those the server annotates destructive, behind an approval', async () => {
    const log = join(tempDir(), 'calls.log');
    const s = await sim({
      sequence: [
        {
          toolCalls: [
            { name: 'wipe', arguments: {} },
            { name: 'record', arguments: { note: 'approved' } },
            { name: 'echo', arguments: { text: 'free' } },
          ],
        },
        { text: 'done' },
      ],
    });
    cleanups.push(() => s.close());
    const unruly = mcpTools(unrulyServer({ log, irreversible: ['record'] }));
    const agent = defineAgent({ name: 'careful', model: simClient('openai', s.urls), tools: [unruly] });
    const asked: string[] = [];
    const result = await agent.run('clean up', {
      approve: (request) => {
        asked.push(request.tool ?? '');
        return request.tool === 'record';
      },
    });
    expect(result.text).toBe('done');
    expect(asked).toEqual(['wipe', 'record']);
    expect(readFileSync(log, 'utf8')).toBe('record approved\n');
    expect(requestText(s, 1)).toMatch(/not done: .*wipe/);
  });

  it('fails a run whose server exits at start with MCP_SERVER_START_FAILED naming the command and what it said', async () => {
    const s = await sim({ sequence: [{ text: 'never asked' }] });
    cleanups.push(() => s.close());
    const unruly = mcpTools(unrulyServer({ exitAtStart: true, retry: false }));
    const agent = defineAgent({ name: 'caller', model: simClient('openai', s.urls), tools: [unruly] });
    const error = await agent.run('use the tools').catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'MCP_SERVER_START_FAILED', server: 'unruly', target: expect.stringContaining('mcp-unruly-server.ts') });
    expect((error as Error).message).toMatch(/exited before answering initialize; its stderr ended with: unruly: cannot read my configuration/);
    expect(s.requestCount).toBe(0);
  });

  it('names a command that is not there', async () => {
    const missing = mcpTools({ command: 'warden-no-such-mcp-server', retry: false });
    const error = await missing.tools().catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'MCP_SERVER_START_FAILED', target: 'warden-no-such-mcp-server' });
    expect((error as Error).message).toMatch(/the command "warden-no-such-mcp-server" was not found/);
    expect(existsSync('warden-no-such-mcp-server')).toBe(false);
  });
});
