/**
 * Tools from MCP servers as real processes, many of them: a stdio server run as a supervised
 * child is started again by its supervisor after it crashes or hangs (a hang is found by the
 * watchdog on calls, on a virtual clock) and the agent sees one call that was retried; a durable
 * run resumed after a failure reads its tool list and its calls back from the journal and calls
 * nothing twice, and one calling a destructive tool waits for a person's approval; Warden's memory
 * server and the reference `@modelcontextprotocol/server-memory` serve the same agent the same way
 * over stdio, their destructive tools behind an approval; the memory server serves it over
 * Streamable HTTP, also across a restart that loses the session; and a tree whose server cannot
 * start fails to start, naming the command. Agents run against the simulated model over the real OpenAI SDK.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineAgent, mcpChildren, mcpTools, runAgent, tool, type Agent, type AgentResult } from '../src/agent/index.ts';
import { DurableHost } from '../src/durable/index.ts';
import { EventBus, Runtime, VirtualClock, realClock, type WardenEvent } from '../src/runtime/index.ts';
import { startSupervisor, stopSupervisor, worker } from '../src/supervisor/index.ts';
import { storeCase, waitFor } from '../src/testing/index.ts';
import { sim, simClient } from './support/agent-harness.ts';
import { wardenHttp } from './support/memory-harness.ts';
import { referenceMemory, requestText, tempDir, unrulyServer, wardenMemory } from './support/mcp-harness.ts';

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function record(bus: EventBus): WardenEvent[] {
  const seen: WardenEvent[] = [];
  bus.onAny((e) => seen.push(e));
  return seen;
}

function ofType<T extends WardenEvent['type']>(seen: readonly WardenEvent[], type: T): Extract<WardenEvent, { type: T }>[] {
  return seen.filter((e): e is Extract<WardenEvent, { type: T }> => e.type === type);
}

/**
 * Whether the fixture server with this pid still runs: its /proc entry is there, it has not
 * exited (a killed process stays a zombie, state Z, until its parent reaps it, which a loaded
 * machine may leave for a while), and it is still the fixture (not a new process given the pid).
 */
const isAlive = (pid: number): boolean => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X' && readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('mcp-unruly-server');
  } catch {
    return false;
  }
};

const lines = (file: string): string[] => (existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n').filter(Boolean) : []);

/** A tree of the agent's MCP servers (supervised) and a worker running one task of `agent`; resolves with its result. */
async function runSupervised(rt: Runtime, agent: Agent, task: string): Promise<AgentResult> {
  let result: AgentResult | undefined;
  const root = await startSupervisor(rt, {
    strategy: 'one_for_one',
    intensity: 3,
    children: [
      ...mcpChildren(agent),
      { id: 'agent', restart: 'transient', start: worker(async (ctx) => void (result = await runAgent(ctx, agent, { input: task }))) },
    ],
  });
  cleanups.push(() => stopSupervisor(rt, root));
  await waitFor(() => result !== undefined, { timeoutMs: 20_000 });
  return result as AgentResult;
}

describe('a stdio MCP server as a supervised child', () => {
  it('is started again by its supervisor after it crashes mid-call, and the agent sees one call that was retried', async () => {
    const dir = tempDir();
    const marker = join(dir, 'crashed');
    const log = join(dir, 'calls.log');
    const s = await sim({ sequence: [{ toolCalls: [{ name: 'crash_once', arguments: { marker } }] }, { text: 'done' }] });
    cleanups.push(() => s.close());
    const rt = new Runtime();
    const seen = record(rt.events);
    const unruly = mcpTools(unrulyServer({ log, bus: rt.events, include: ['crash_once'] }));
    const agent = defineAgent({ name: 'crasher', model: simClient('openai', s.urls), tools: [unruly] });

    const result = await runSupervised(rt, agent, 'crash it');
    expect(result.text).toBe('done');
    expect(result.toolCalls).toBe(1);
    expect(requestText(s, 1)).toContain('survived a crash');
    expect(ofType(seen, 'agent.tool_called')).toMatchObject([{ tool: 'crash_once', outcome: 'ok' }]);

    const connected = ofType(seen, 'agent.mcp_connected');
    expect(connected).toMatchObject([{ supervised: true }, { supervised: true }]);
    expect(connected[0]?.pid).not.toBe(connected[1]?.pid);
    expect(Number(readFileSync(marker, 'utf8'))).toBe(connected[0]?.pid);
    expect(ofType(seen, 'agent.mcp_ended')[0]?.why).toMatch(/the server process exited/);
    expect(ofType(seen, 'supervisor.child_restarted').map((e) => e.childId)).toEqual(['mcp:unruly']);
    expect(ofType(seen, 'retry.attempt_failed')).toMatchObject([{ policy: 'mcp:unruly', error: { code: 'MCP_SERVER_EXITED' } }]);
    expect(lines(log)).toEqual(['crash_once']);
  });

  it('is killed when a call gets no answer within timeoutMs (a hang), started again, and the call retried', async () => {
    const dir = tempDir();
    const marker = join(dir, 'hung');
    const s = await sim({ sequence: [{ toolCalls: [{ name: 'hang_once', arguments: { marker } }] }, { text: 'done' }] });
    cleanups.push(() => s.close());
    const rt = new Runtime();
    const seen = record(rt.events);
    const clock = new VirtualClock();
    // The retry's backoff (0 ms here) waits on the virtual clock too: let it pass once it has begun.
    rt.events.on('retry.attempt_failed', (e) => void setImmediate(() => void clock.advance(e.delayMs ?? 0)));
    const unruly = mcpTools(unrulyServer({ bus: rt.events, clock, timeoutMs: 5_000, include: ['hang_once'] }));
    const agent = defineAgent({ name: 'hanger', model: simClient('openai', s.urls), tools: [unruly] });

    const running = runSupervised(rt, agent, 'hang it');
    await waitFor(() => existsSync(marker), { timeoutMs: 20_000 });
    await clock.advance(4_999);
    expect(ofType(seen, 'agent.mcp_ended')).toEqual([]);
    await clock.advance(1);
    const result = await running;
    expect(result.text).toBe('done');
    expect(requestText(s, 1)).toContain('answered after a hang');
    const hungPid = Number(readFileSync(marker, 'utf8'));
    expect(ofType(seen, 'agent.mcp_ended')[0]?.why).toBe('no answer to hang_once within 5000 ms: the server is taken to hang');
    expect(ofType(seen, 'supervisor.child_restarted').map((e) => e.childId)).toEqual(['mcp:unruly']);
    await waitFor(() => !isAlive(hungPid));
  });

  it("is closed when its supervisor shuts it down, reporting on the runtime's stream when given no bus", async () => {
    const rt = new Runtime();
    const seen = record(rt.events);
    const unruly = mcpTools(unrulyServer());
    const root = await startSupervisor(rt, { children: [{ id: 'unruly', start: unruly.child() }] });
    const pid = ofType(seen, 'agent.mcp_connected')[0]?.pid as number;
    expect(isAlive(pid)).toBe(true);
    await stopSupervisor(rt, root);
    await waitFor(() => !isAlive(pid));
    expect(ofType(seen, 'agent.mcp_ended')).toMatchObject([{ why: 'closed' }]);
  });

  it('fails the start of its tree when the server exits at start, naming the command', async () => {
    const rt = new Runtime();
    const unruly = mcpTools(unrulyServer({ exitAtStart: true }));
    const error = await startSupervisor(rt, { children: [{ id: 'unruly', start: unruly.child() }] }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'SUPERVISOR_START_FAILED' });
    // The reason carries the child's start error whole: { shutdown: ['failed_to_start_child', 'unruly', { error }] }.
    const failure = JSON.stringify((error as { reason: unknown }).reason);
    expect(failure).toContain('failed_to_start_child');
    expect(failure).toMatch(
      /MCP server \\"unruly\\" \(.*mcp-unruly-server\.ts\) did not start: it exited before answering initialize; its stderr ended with: unruly: cannot read my configuration/,
    );
  });
});

describe('a durable run with MCP tools', () => {
  it('resumes after a failure reading its tool list and its calls back from the journal, calling nothing twice', async () => {
    const log = join(tempDir(), 'calls.log');
    const s = await sim({
      sequence: [{ toolCalls: [{ name: 'record', arguments: { note: 'once' } }] }, { error: { status: 400, message: 'a bad request' } }, { text: 'done' }],
    });
    cleanups.push(() => s.close());
    const { store, cleanup } = await storeCase('sqlite').open();
    cleanups.push(cleanup);
    const bus = new EventBus(realClock);
    const seen = record(bus);
    const unruly = mcpTools(unrulyServer({ log, bus }));
    const agent = defineAgent({ name: 'recorder', model: simClient('openai', s.urls), bus, tools: [unruly] });
    const host = new DurableHost({ store, runs: [agent.definition], bus });
    cleanups.push(() => host.close());

    const first = await (await host.start(agent.definition, 'record once', { id: 'recorder-1' })).result;
    expect(first.status).toBe('failed');
    expect(lines(log)).toEqual(['record once']);
    expect(ofType(seen, 'agent.mcp_connected')).toHaveLength(1);

    const second = await (await host.resume('recorder-1')).result;
    expect(second).toMatchObject({ status: 'completed', output: { text: 'done' } });
    expect(lines(log)).toEqual(['record once']);
    // The list and the call were read back: the server was not even started again.
    expect(ofType(seen, 'agent.mcp_connected')).toHaveLength(1);
    expect(ofType(seen, 'agent.tool_called')).toMatchObject([{ replayed: false }, { replayed: true }]);
    expect(requestText(s, 2)).toContain('recorded once');
  });
});

describe('a destructive MCP tool in a durable run', () => {
  it('suspends the run for an approval, then calls the server once when a person approves', async () => {
    const log = join(tempDir(), 'calls.log');
    const s = await sim({ sequence: [{ toolCalls: [{ name: 'wipe', arguments: {} }] }, { text: 'wiped it' }] });
    cleanups.push(() => s.close());
    const { store, cleanup } = await storeCase('sqlite').open();
    cleanups.push(cleanup);
    const bus = new EventBus(realClock);
    const unruly = mcpTools(unrulyServer({ log, bus }));
    const agent = defineAgent({ name: 'wiper', model: simClient('openai', s.urls), bus, tools: [unruly] });
    const host = new DurableHost({ store, runs: [agent.definition], bus });
    cleanups.push(() => host.close());

    const first = await (await host.start(agent.definition, 'wipe everything', { id: 'wipe-1' })).result;
    expect(first).toMatchObject({ status: 'suspended', reason: 'approval' });
    expect(lines(log)).toEqual([]);
    const [pending] = await host.approvals.list({ status: 'pending' });
    expect(pending).toMatchObject({ runId: 'wipe-1', action: 'tool#1.1 wipe', kind: 'effect' });
    const completed = bus.next('run.completed');
    await host.approvals.approve(pending?.id as string, { by: 'alice', reason: 'checked' });
    await completed;
    expect((await store.getRun('wipe-1'))?.output).toMatchObject({ output: 'wiped it' });
    expect(lines(log)).toEqual(['wipe']);
  });
});

describe.each([
  ['Warden memory server', wardenMemory],
  ['reference memory server', referenceMemory],
])('the %s over stdio', (_, server) => {
  it('serves an agent its graph tools, the destructive ones behind an approval', async () => {
    const file = join(tempDir(), 'memory.jsonl');
    const s = await sim({
      sequence: [
        { toolCalls: [{ name: 'create_entities', arguments: { entities: [{ name: 'Ada', entityType: 'person', observations: ['likes tea'] }] } }] },
        { toolCalls: [{ name: 'delete_entities', arguments: { entityNames: ['Ada'] } }] },
        { toolCalls: [{ name: 'read_graph', arguments: {} }] },
        { text: 'done' },
      ],
    });
    cleanups.push(() => s.close());
    const memory = mcpTools(server(file));
    const agent = defineAgent({ name: 'rememberer', model: simClient('openai', s.urls), tools: [memory] });
    const asked: string[] = [];
    const result = await agent.run('remember Ada, then forget her', {
      approve: (request) => {
        asked.push(request.tool ?? '');
        return false;
      },
    });
    expect(result.text).toBe('done');
    expect(asked).toEqual(['delete_entities']);
    expect(requestText(s, 2)).toContain('not done');
    expect(requestText(s, 3)).toMatch(/likes tea/);
    expect(readFileSync(file, 'utf8')).toContain('"Ada"');
  });
});

describe('the Warden memory server over Streamable HTTP', () => {
  it('serves an agent its graph tools at a URL', async () => {
    const file = join(tempDir(), 'memory.jsonl');
    const server = await wardenHttp(['--file', file]);
    cleanups.push(() => server.kill());
    const s = await sim({
      sequence: [
        { toolCalls: [{ name: 'mem_create_entities', arguments: { entities: [{ name: 'Bo', entityType: 'cat', observations: ['naps'] }] } }] },
        { toolCalls: [{ name: 'mem_search_nodes', arguments: { query: 'naps' } }] },
        { text: 'done' },
      ],
    });
    cleanups.push(() => s.close());
    const bus = new EventBus(realClock);
    const seen = record(bus);
    const memory = mcpTools({ url: server.url, name: 'memory', prefix: 'mem_', bus });
    const agent = defineAgent({ name: 'http-rememberer', model: simClient('openai', s.urls), tools: [memory] });
    const result = await agent.run('remember Bo');
    expect(result.text).toBe('done');
    expect(requestText(s, 2)).toMatch(/Bo.*cat.*naps/);
    expect(ofType(seen, 'agent.mcp_connected')).toMatchObject([{ server: 'memory', target: server.url, pid: undefined }]);
  });

  it('connects again, and retries the call, when the server was restarted and its session is gone', async () => {
    const file = join(tempDir(), 'memory.jsonl');
    let server = await wardenHttp(['--file', file]);
    cleanups.push(() => server.kill());
    const port = new URL(server.url).port;
    // The agent's own tool restarts the server on the same port: the session its client holds is gone.
    const restartServer = tool({
      description: 'Restart the memory server.',
      input: z.object({}),
      run: async () => {
        await server.kill();
        server = await wardenHttp(['--file', file, '--port', port]);
        return 'restarted';
      },
    });
    const s = await sim({
      sequence: [
        { toolCalls: [{ name: 'create_entities', arguments: { entities: [{ name: 'Cy', entityType: 'dog', observations: ['barks'] }] } }] },
        { toolCalls: [{ name: 'restart_server', arguments: {} }] },
        { toolCalls: [{ name: 'search_nodes', arguments: { query: 'barks' } }] },
        { text: 'done' },
      ],
    });
    cleanups.push(() => s.close());
    const bus = new EventBus(realClock);
    const seen = record(bus);
    const memory = mcpTools({ url: server.url, name: 'memory', bus, retry: { maxAttempts: 3, baseDelayMs: 0, maxDelayMs: 0 } });
    const agent = defineAgent({ name: 'http-survivor', model: simClient('openai', s.urls), tools: [{ restart_server: restartServer }, memory] });
    const result = await agent.run('remember Cy');
    expect(result.text).toBe('done');
    expect(requestText(s, 3)).toMatch(/Cy.*dog.*barks/);
    expect(ofType(seen, 'agent.mcp_connected')).toHaveLength(2);
    expect(ofType(seen, 'retry.attempt_failed')).toMatchObject([{ policy: 'mcp:memory', error: { code: 'MCP_SERVER_EXITED' } }]);
  });
});
