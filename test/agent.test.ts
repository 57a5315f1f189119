/**
 * Agents against the simulated model server over real HTTP, through the official OpenAI and
 * Anthropic SDKs: every guard ends a run with its typed error (and a supervisor restarts, then
 * escalates, on it), structured output is re-asked a bounded number of times, budgets refuse a
 * call before it is sent, compaction keeps the task anchor verbatim while clearing and
 * offloading old tool results (journaled as a step), a durable run killed mid-way is resumed
 * without paying again, a watchdog's soft stop is honoured, and irreversible tools wait for an
 * approval. The sim counts every request, so "not paid again" is checked at the server.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { SUMMARY_INSTRUCTIONS, STUB_MARK, agentChild, defineAgent, readOffloaded, reaskMessage, tool, type AgentResult } from '../src/agent/index.ts';
import { DurableHost } from '../src/durable/index.ts';
import { withWatchdog } from '../src/isolation/index.ts';
import { Budget } from '../src/resilience/index.ts';
import { Crash, EventBus, Runtime, VirtualClock, realClock, type Pid, type WardenEvent } from '../src/runtime/index.ts';
import { startChaosProxy } from '../src/sim/index.ts';
import { startSupervisor, stopSupervisor, whichChildren, worker } from '../src/supervisor/index.ts';
import { storeCase, waitFor } from '../src/testing/index.ts';
import { requestMessages, sim, simClient, type Provider } from './support/agent-harness.ts';

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const webSearch = (log: string[] = []) =>
  tool({
    description: 'Search the web; returns titles and URLs.',
    input: z.object({ q: z.string() }),
    run: ({ q }) => {
      log.push(q);
      return [{ title: `About ${q}`, url: `https://example.org/${encodeURIComponent(q)}` }];
    },
  });

function events(bus: EventBus): WardenEvent[] {
  const seen: WardenEvent[] = [];
  bus.onAny((e) => seen.push(e));
  return seen;
}

describe.each<Provider>(['openai', 'anthropic'])('guards over %s', (provider) => {
  it('stops on a hallucinated tool name with UNKNOWN_TOOL, without running anything', async () => {
    const s = await sim({ rules: [{ match: { lastUser: 'find' }, reply: { toolCalls: [{ name: 'web_serch', arguments: { q: 'otp' } }] } }] });
    cleanups.push(() => s.close());
    const searched: string[] = [];
    const agent = defineAgent({ name: 'searcher', model: simClient(provider, s.urls), tools: { web_search: webSearch(searched) } });
    await expect(agent.run('find papers on OTP')).rejects.toMatchObject({ code: 'UNKNOWN_TOOL', tool: 'web_serch', known: ['web_search'], step: 1 });
    expect(searched).toEqual([]);
    expect(s.requestCount).toBe(1);
  });

  it('detects a loop: the same call is executed maxIdenticalToolCalls times, never once more', async () => {
    const s = await sim({ rules: [{ match: { lastUser: 'find' }, reply: { toolCalls: [{ name: 'web_search', arguments: { q: 'otp' } }] } }] });
    cleanups.push(() => s.close());
    const searched: string[] = [];
    const bus = new EventBus(realClock);
    const seen = events(bus);
    const agent = defineAgent({
      name: 'looper',
      model: simClient(provider, s.urls),
      bus,
      tools: { web_search: webSearch(searched) },
      maxIdenticalToolCalls: 2,
    });
    await expect(agent.run('find papers on OTP')).rejects.toMatchObject({
      code: 'TOOL_LOOP_DETECTED',
      tool: 'web_search',
      args: '{"q":"otp"}',
      executed: 2,
      limit: 2,
      step: 3,
    });
    expect(searched).toEqual(['otp', 'otp']);
    expect(s.requestCount).toBe(3);
    expect(seen.filter((e) => e.type === 'agent.guard_tripped')).toMatchObject([{ guard: 'tool_loop', error: { code: 'TOOL_LOOP_DETECTED' } }]);
    expect(seen.filter((e) => e.type === 'agent.tool_called')).toHaveLength(2);
    expect(seen.at(-1)).toMatchObject({ type: 'agent.failed', agent: 'looper' });
  });

  it('stops after maxSteps model calls with MAX_STEPS_EXCEEDED', async () => {
    const s = await sim({ sequence: [1, 2, 3, 4, 5].map((n) => ({ toolCalls: [{ name: 'web_search', arguments: { q: `otp ${n}` } }] })) });
    cleanups.push(() => s.close());
    const agent = defineAgent({ name: 'wanderer', model: simClient(provider, s.urls), tools: { web_search: webSearch() }, maxSteps: 3 });
    await expect(agent.run('find papers on OTP')).rejects.toMatchObject({ code: 'MAX_STEPS_EXCEEDED', maxSteps: 3 });
    expect(s.requestCount).toBe(3);
  });

  it('re-asks once after invalid JSON, feeding the problem back, then returns the valid answer', async () => {
    const s = await sim({
      rules: [
        { match: { lastUser: 'does not match' }, reply: { json: { title: 'OTP', year: 1998 } } },
        { match: { lastUser: 'describe' }, reply: { text: '{"title": "OTP", year: ' } },
      ],
    });
    cleanups.push(() => s.close());
    const bus = new EventBus(realClock);
    const seen = events(bus);
    const agent = defineAgent({ name: 'describer', model: simClient(provider, s.urls), bus, output: z.object({ title: z.string(), year: z.number().int() }) });
    const result = await agent.run('describe the OTP book');
    expect(result.output).toEqual({ title: 'OTP', year: 1998 });
    expect(result.reasks).toBe(1);
    expect(s.requestCount).toBe(2);
    expect(s.requests[1]?.lastUser).toContain(reaskMessage('').slice(0, 40));
    expect(s.requests[1]?.lastUser).toContain('not valid JSON');
    expect(seen.filter((e) => e.type === 'agent.output_rejected')).toMatchObject([{ attempt: 1, maxAttempts: 3 }]);
  });

  it('gives up with OUTPUT_INVALID after maxOutputRetries re-asks of an answer that fails the schema', async () => {
    const s = await sim({ rules: [{ match: { system: 'strict' }, reply: { json: { title: 'OTP', year: 'nineteen ninety-eight' } } }] });
    cleanups.push(() => s.close());
    const agent = defineAgent({
      name: 'strict',
      system: 'You are strict.',
      model: simClient(provider, s.urls),
      output: z.object({ title: z.string(), year: z.number() }),
      maxOutputRetries: 2,
    });
    await expect(agent.run('describe the OTP book')).rejects.toMatchObject({ code: 'OUTPUT_INVALID', attempts: 3, problem: expect.stringContaining('year') });
    expect(s.requestCount).toBe(3);
  });
});

describe('guards under a supervisor', () => {
  const loopCall = { match: { lastUser: 'find' }, reply: { toolCalls: [{ name: 'web_search', arguments: { q: 'otp' } }] } };
  it.each([
    ['UNKNOWN_TOOL', { rules: [{ match: { lastUser: 'find' }, reply: { toolCalls: [{ name: 'web_serch', arguments: { q: 'otp' } }] } }] }, {}],
    ['TOOL_LOOP_DETECTED', { rules: [loopCall] }, { maxIdenticalToolCalls: 1 }],
    ['MAX_STEPS_EXCEEDED', { rules: [loopCall] }, { maxSteps: 1 }],
    ['OUTPUT_INVALID', { rules: [{ match: { lastUser: 'find' }, reply: { text: 'not JSON' } }] }, { output: z.object({ a: z.number() }), maxOutputRetries: 0 }],
    ['BUDGET_EXCEEDED', { rules: [loopCall] }, { budget: { limits: { usd: 0.000001 } } }],
  ] as const)('crashes the agent process with %s, and the supervisor restarts it, then escalates', async (code, script, extra) => {
    const s = await sim(script as never);
    cleanups.push(() => s.close());
    const agent = defineAgent({ name: 'searcher', model: simClient('openai', s.urls), tools: { web_search: webSearch() }, ...(extra as object) });
    const rt = new Runtime();
    const exits: unknown[] = [];
    rt.events.on('supervisor.child_exited', (e) => exits.push(e.reason));
    const escalated = rt.events.next('supervisor.escalated');
    await startSupervisor(rt, {
      strategy: 'one_for_one',
      intensity: 2,
      periodSeconds: 60,
      children: [{ id: 'searcher', restart: 'transient', start: agentChild(agent, { input: 'find papers on OTP' }) }],
    });
    await expect(escalated).resolves.toMatchObject({ restarts: 3, intensity: 2 });
    expect(exits).toHaveLength(3);
    for (const reason of exits) {
      expect(reason).toBeInstanceOf(Crash);
      expect((reason as Crash).error).toMatchObject({ code });
    }
    expect(rt.processCount).toBe(0);
  });

  it('serves tasks from its mailbox and answers each call with the result', async () => {
    const s = await sim({ rules: [{ match: { lastUser: 'capital' }, reply: { text: 'Oslo.' } }] });
    cleanups.push(() => s.close());
    const agent = defineAgent({ name: 'geo', model: simClient('anthropic', s.urls) });
    const rt = new Runtime();
    const root = await startSupervisor(rt, { children: [{ id: 'geo', start: agentChild(agent) }] });
    cleanups.push(() => stopSupervisor(rt, root));
    const [child] = await whichChildren(rt, root);
    const result = await rt.call<AgentResult>(child?.pid as Pid, { task: 'What is the capital of Norway?' }, { timeoutMs: 10_000 });
    expect(result).toMatchObject({ output: 'Oslo.', steps: 1 });
    expect(await rt.call(child?.pid as Pid, { nonsense: true })).toMatchObject({ error: expect.stringContaining('takes tasks') });
  });
});

describe('budgets', () => {
  it('refuses a call the run cannot afford before anything is sent', async () => {
    const s = await sim({ rules: [{ match: { lastUser: 'hello' }, reply: { text: 'hi' } }] });
    cleanups.push(() => s.close());
    const bus = new EventBus(realClock);
    const seen = events(bus);
    // The reservation is the prompt estimate plus the 4096-token output cap: far more than $0.0001.
    const agent = defineAgent({ name: 'thrifty', model: simClient('openai', s.urls, { bus }), bus, budget: { limits: { usd: 0.0001 } } });
    await expect(agent.run('hello')).rejects.toMatchObject({
      code: 'BUDGET_EXCEEDED',
      unit: 'usd',
      limit: 0.0001,
      scope: expect.stringMatching(/^agent:thrifty\/run:thrifty-/),
    });
    expect(s.requestCount).toBe(0);
    expect(seen.filter((e) => e.type === 'budget.exceeded')).toMatchObject([{ phase: 'refused', unit: 'usd' }]);
    expect(seen.filter((e) => e.type === 'agent.guard_tripped')).toMatchObject([{ guard: 'budget' }]);
  });

  it('lets calls through until the cap, with the spend on the event stream, and counts toward a parent scope', async () => {
    const s = await sim({ rules: [{ match: { lastUser: 'find' }, reply: { toolCalls: [{ name: 'web_search', arguments: { q: 'otp' } }] } }] });
    cleanups.push(() => s.close());
    const bus = new EventBus(realClock);
    const seen = events(bus);
    const team = new Budget({ scope: 'team', bus });
    const agent = defineAgent({
      name: 'capped',
      model: simClient('openai', s.urls, { bus, maxOutputTokens: 200 }),
      bus,
      tools: { web_search: webSearch() },
      maxIdenticalToolCalls: 10,
      budget: { limits: { steps: 2, usd: 1 }, parent: team },
    });
    await expect(agent.run('find papers on OTP')).rejects.toMatchObject({ code: 'BUDGET_EXCEEDED', unit: 'steps', limit: 2 });
    expect(s.requestCount).toBe(2);
    const models = seen.filter((e): e is WardenEvent<'agent.model_called'> => e.type === 'agent.model_called');
    expect(models).toHaveLength(2);
    expect(models[1]?.spentUsd).toBeGreaterThan(models[0]?.spentUsd ?? Infinity);
    expect(models[1]?.spentUsd).toBeCloseTo((models[0]?.costUsd ?? 0) + (models[1]?.costUsd ?? 0), 12);
    expect(team.spending.steps).toBe(2);
    expect(team.spending.usd).toBeCloseTo(models[1]?.spentUsd ?? 0, 12);
    expect(seen.some((e) => e.type === 'budget.spent' && e.scope === 'team')).toBe(true);
  });
});

describe('compaction', () => {
  const page = (n: number): string => `page-${n}: ${'supervision restarts what crashed. '.repeat(34)}`;
  // The reader reads pages 1, 2 and 3; past the threshold, the compaction summarises the turn of
  // page 1 and clears page 2 (seen by the model, outside the kept recent turns) to a stub; the
  // reader then recalls page 2 through the stub's ref, and reads page 4.
  const readerScript = {
    rules: [
      { match: { system: 'You summarise the earlier part' }, reply: { text: 'Read page 1: supervision restarts what crashed.' } },
      { match: { toolResult: 'page-4:' }, reply: { text: 'Done: all four pages read.' } },
      { match: { toolResult: 'page-2:', anyMessage: STUB_MARK }, reply: { toolCalls: [{ name: 'read_page', arguments: { n: 4 } }] } },
      { match: { toolResult: 'page-3:' }, reply: { toolCalls: [{ name: 'recall_context', arguments: { ref: 'c1.2' } }] } },
      { match: { toolResult: 'page-2:' }, reply: { toolCalls: [{ name: 'read_page', arguments: { n: 3 } }] } },
      { match: { toolResult: 'page-1:' }, reply: { toolCalls: [{ name: 'read_page', arguments: { n: 2 } }] } },
      { match: { lastUser: 'Read pages' }, reply: { toolCalls: [{ name: 'read_page', arguments: { n: 1 } }] } },
    ],
  };

  it.each<Provider>(['openai', 'anthropic'])(
    'keeps the anchor verbatim, summarises and clears old tool results, journals the step and keeps what it took out (%s)',
    async (provider) => {
      const s = await sim(readerScript);
      cleanups.push(() => s.close());
      const { store, cleanup } = await storeCase('sqlite').open();
      cleanups.push(cleanup);
      const bus = new EventBus(realClock);
      const seen = events(bus);
      const system = 'You are the reader. Read the pages you are asked for, one by one.';
      const task = 'Read pages 1 to 4 and tell me when you are done.';
      const agent = defineAgent({
        name: 'reader',
        system,
        bus,
        model: simClient(provider, s.urls),
        tools: { read_page: tool({ description: 'Read a page', input: z.object({ n: z.number().int() }), run: ({ n }) => page(n) }) },
        // Two pages stay under the threshold, three pass it; the last 4 messages (the calls of
        // pages 2 and 3 with their results) are kept, and no seen tool result stays in full.
        compaction: { thresholdTokens: 900, keepRecentMessages: 4, keepToolResults: 0 },
      });
      const host = new DurableHost({ store, runs: [agent.definition], bus });
      cleanups.push(() => host.close());
      const outcome = await (await host.start(agent.definition, task, { id: 'reader-1' })).result;
      expect(outcome).toMatchObject({ status: 'completed', output: { output: 'Done: all four pages read.' } });
      const result = (outcome as { output: AgentResult }).output;
      expect(result.compactions).toBeGreaterThanOrEqual(1);

      const readerRequests = s.requests.filter((r) => requestMessages(r.body)[0]?.text === system);
      const summaries = s.requests.filter((r) => requestMessages(r.body)[0]?.text === SUMMARY_INSTRUCTIONS);
      expect(summaries).toHaveLength(result.compactions);
      // Every request starts with the anchor, verbatim.
      for (const r of readerRequests) {
        const m = requestMessages(r.body);
        expect(m[0]).toEqual({ role: 'system', text: system });
        expect(m[1]?.role).toBe('user');
        expect(m[1]?.text.startsWith(task)).toBe(true);
      }
      // The request right after the first compaction: page 1 is summarised away, page 2 is a
      // stub naming the ref it was kept as, page 3 (not yet answered) is there in full.
      const firstSummary = summaries[0]?.seq ?? Infinity;
      const after = readerRequests.find((r) => r.seq > firstSummary);
      const afterMessages = requestMessages(after?.body);
      const afterText = afterMessages.map((m) => m.text).join('\n');
      expect(afterText).not.toContain('page-1:');
      expect(afterText).not.toContain('page-2:');
      expect(afterText).toContain('page-3:');
      expect(afterText).toContain('Read page 1: supervision restarts what crashed.');
      const afterStubs = afterMessages.filter((m) => m.text.startsWith(STUB_MARK));
      expect(afterStubs).toHaveLength(1);
      expect(afterStubs[0]?.text).toContain(`read_page returned ${page(2).length} characters, kept as "c1.2"`);
      // recall_context read the cleared page 2 back from what was offloaded.
      expect(seen.some((e) => e.type === 'agent.tool_called' && e.tool === 'recall_context' && e.outcome === 'ok')).toBe(true);
      const recalled = readerRequests.find((r) => r.seq > (after?.seq ?? Infinity) && requestMessages(r.body).some((m) => m.text.includes('page-2:')));
      expect(recalled).toBeDefined();
      // Journaled as a step, with what it took out kept in the store.
      const journal = await store.readJournal('reader-1');
      expect(journal.filter((e) => e.name.startsWith('compact#')).map((e) => e.name)).toEqual(
        Array.from({ length: result.compactions }, (_, i) => `compact#${i + 1}`),
      );
      const offloaded = await readOffloaded(store, 'reader-1');
      expect(offloaded.slice(0, 2)).toMatchObject([
        { ref: 'c1.1', source: 'read_page', compaction: 1, content: page(1) }, // summarised
        { ref: 'c1.2', source: 'read_page', compaction: 1, content: page(2) }, // cleared
      ]);
      expect(await readOffloaded(store, 'reader-1', 'c1.2')).toHaveLength(1);
      const compacted = seen.filter((e): e is WardenEvent<'agent.compacted'> => e.type === 'agent.compacted');
      expect(compacted[0]).toMatchObject({ compaction: 1, replayed: false, summarizedMessages: 2, clearedToolResults: 1, offloaded: ['c1.1', 'c1.2'] });
      expect(compacted[0]?.tokensAfter).toBeLessThan(compacted[0]?.tokensBefore ?? 0);
      // Every stub the model was sent names the ref its result was kept as.
      const stubbed = readerRequests.flatMap((r) => requestMessages(r.body)).filter((m) => m.text.startsWith(STUB_MARK));
      expect(stubbed.length).toBeGreaterThan(0);
      for (const m of stubbed) expect(m.text).toMatch(/kept as "c\d+\.\d+"/);
    },
  );
});

describe('durable agents', () => {
  const script = {
    rules: [
      { match: { toolResult: 'About otp 2' }, reply: { text: 'Two sources found.' } },
      { match: { toolResult: 'About otp 1' }, reply: { toolCalls: [{ name: 'web_search', arguments: { q: 'otp 2' } }] } },
      { match: { lastUser: 'find' }, reply: { toolCalls: [{ name: 'web_search', arguments: { q: 'otp 1' } }] } },
    ],
  };

  it('resumes a run whose process was killed mid-way: journaled calls are replayed, not paid again', async () => {
    const s = await sim(script);
    cleanups.push(() => s.close());
    const { store, cleanup } = await storeCase('sqlite').open();
    cleanups.push(cleanup);
    const searched: string[] = [];
    const agent = defineAgent({ name: 'finder', model: simClient('openai', s.urls), tools: { web_search: webSearch(searched) } });
    const rt = new Runtime();
    const seen = events(rt.events);
    let killed = false;
    rt.events.on('run.step_completed', (e) => {
      if (e.step === 'model#2' && !killed) {
        killed = true;
        const pid = rt.whereis('finder-child');
        if (pid !== undefined) rt.sendExit(pid, 'kill');
      }
    });
    const done = rt.events.next('supervisor.child_exited', (e) => e.reason === 'normal');
    const root = await startSupervisor(rt, {
      children: [
        {
          id: 'finder',
          restart: 'transient',
          start: worker(async (ctx) => {
            ctx.register('finder-child');
            const { runAgent } = await import('../src/agent/index.ts');
            await runAgent(ctx, agent, { input: 'find two sources on OTP', store, runId: 'finder-1' });
          }),
        },
      ],
    });
    cleanups.push(() => stopSupervisor(rt, root));
    await done;
    const exited = seen.filter((e): e is WardenEvent<'supervisor.child_exited'> => e.type === 'supervisor.child_exited');
    expect(exited[0]?.reason).toBe('killed');
    expect(seen.some((e) => e.type === 'supervisor.child_restarted')).toBe(true);
    // Three model calls in all: none repeated.
    expect(s.requestCount).toBe(3);
    expect(searched).toEqual(['otp 1', 'otp 2']);
    const replayed = seen.filter((e): e is WardenEvent<'run.step_replayed'> => e.type === 'run.step_replayed').map((e) => e.step);
    expect(replayed).toEqual(['model#1', 'tool#1.1 web_search', 'model#2']);
    const models = seen.filter((e): e is WardenEvent<'agent.model_called'> => e.type === 'agent.model_called');
    expect(models.map((m) => [m.step, m.replayed])).toEqual([
      [1, false],
      [2, false],
      [1, true],
      [2, true],
      [3, false],
    ]);
    const run = await store.getRun('finder-1');
    expect(run?.status).toBe('completed');
    const result = run?.output as unknown as AgentResult;
    expect(result.replayed).toMatchObject({ modelCalls: 2, steps: 3 });
    expect(result.replayed.costUsd).toBeGreaterThan(0);
    expect(result.costUsd).toBeGreaterThan(result.replayed.costUsd);
  });

  // Every crash point of a run: killed right after each journal entry commits, the replacement
  // completes the run with the same answer, each model call made once, each tool run once.
  const pages = {
    rules: [
      { match: { toolResult: 'page-4' }, reply: { text: 'Read all four pages.' } },
      ...[3, 2, 1].map((n) => ({ match: { toolResult: `page-${n}` }, reply: { toolCalls: [{ name: 'read_page', arguments: { n: n + 1 } }] } })),
      { match: { lastUser: 'Read pages' }, reply: { toolCalls: [{ name: 'read_page', arguments: { n: 1 } }] } },
    ],
  };
  it.each(Array.from({ length: 9 }, (_, i) => i + 1))('completes without repeating anything when killed after journal entry %i of 9', async (killAfter) => {
    const s = await sim(pages);
    cleanups.push(() => s.close());
    const { store, cleanup } = await storeCase('sqlite').open();
    cleanups.push(cleanup);
    const read: number[] = [];
    const agent = defineAgent({
      name: 'reader',
      model: simClient(killAfter % 2 === 0 ? 'openai' : 'anthropic', s.urls),
      tools: { read_page: tool({ description: 'Read a page', input: z.object({ n: z.number() }), run: ({ n }) => (read.push(n), `page-${n}`) }) },
    });
    const rt = new Runtime();
    let committed = 0;
    rt.events.on('run.step_completed', () => {
      if (++committed !== killAfter) return;
      const pid = rt.whereis('reader');
      if (pid !== undefined) rt.sendExit(pid, 'kill');
    });
    const done = rt.events.next('supervisor.child_exited', (e) => e.reason === 'normal');
    const root = await startSupervisor(rt, {
      children: [{ id: 'reader', restart: 'transient', start: agentChild(agent, { input: 'Read pages 1 to 4.', store, runId: 'pages', register: 'reader' }) }],
    });
    cleanups.push(() => stopSupervisor(rt, root));
    await done;
    const run = await store.getRun('pages');
    expect(run).toMatchObject({ status: 'completed', output: { output: 'Read all four pages.', steps: 5, toolCalls: 4 } });
    expect(s.requestCount).toBe(5);
    expect(read).toEqual([1, 2, 3, 4]);
    const journal = await store.readJournal('pages');
    // Beside the steps (negative sequence numbers), one `spent` note per model call paid: each once.
    expect(journal.filter((e) => e.seq < 0).map((e) => e.name)).toEqual(Array(5).fill('spent'));
    expect(journal.filter((e) => e.seq >= 0).map((e) => e.name)).toEqual([
      'model#1',
      'tool#1.1 read_page',
      'model#2',
      'tool#2.1 read_page',
      'model#3',
      'tool#3.1 read_page',
      'model#4',
      'tool#4.1 read_page',
      'model#5',
    ]);
    expect((run?.output as unknown as AgentResult | undefined)?.replayed.steps).toBe(killAfter);
  });

  it('resumes a failed run from its failed step after a restart, and drops the dead letter once it completes', async () => {
    const s = await sim({
      rules: [
        { name: 'hallucinated once', match: { toolResult: 'About otp 1' }, times: 1, reply: { toolCalls: [{ name: 'web_serch', arguments: { q: 'otp 2' } }] } },
        ...script.rules,
      ],
    });
    cleanups.push(() => s.close());
    const { store, cleanup } = await storeCase('sqlite').open();
    cleanups.push(cleanup);
    const agent = defineAgent({ name: 'finder', model: simClient('anthropic', s.urls), tools: { web_search: webSearch() } });
    const rt = new Runtime();
    const seen = events(rt.events);
    const done = rt.events.next('supervisor.child_exited', (e) => e.reason === 'normal');
    const root = await startSupervisor(rt, {
      intensity: 3,
      children: [{ id: 'finder', restart: 'transient', start: agentChild(agent, { input: 'find two sources on OTP', store, runId: 'finder-2' }) }],
    });
    cleanups.push(() => stopSupervisor(rt, root));
    await done;
    const crash = seen.find((e): e is WardenEvent<'supervisor.child_exited'> => e.type === 'supervisor.child_exited')?.reason as Crash;
    expect(crash.error).toMatchObject({ code: 'UNKNOWN_TOOL', tool: 'web_serch' });
    // model#1 and its tool were replayed; only the failed model#2 was asked again.
    expect(s.requestCount).toBe(4);
    expect(seen.filter((e) => e.type === 'run.step_replayed').map((e) => (e as WardenEvent<'run.step_replayed'>).step)).toEqual([
      'model#1',
      'tool#1.1 web_search',
    ]);
    expect(await store.listDeadLetters({ source: 'agent:finder' })).toMatchObject([
      { runId: 'finder-2', status: 'discarded', error: { code: 'UNKNOWN_TOOL' } },
    ]);
    // The failed model#2 was paid, and its journaled failure was dropped for the retry: its
    // payment is kept as a note, and the run's cost counts it beside the four journaled calls.
    const journal = await store.readJournal('finder-2');
    const notes = journal.filter((e) => e.seq < 0).map((e) => JSON.parse(e.valueJson ?? '{}') as { usd: number });
    const journaled = journal
      .filter((e) => e.seq >= 0 && e.name.startsWith('model#'))
      .map((e) => (JSON.parse(e.valueJson ?? '{}') as { spent: { usd: number } }).spent.usd);
    expect(notes).toHaveLength(4);
    expect(journaled).toHaveLength(3);
    const cost = ((await store.getRun('finder-2'))?.output as unknown as AgentResult | undefined)?.costUsd;
    expect(cost).toBeCloseTo(
      notes.reduce((a, n) => a + n.usd, 0),
      12,
    );
    expect(cost).toBeGreaterThan(journaled.reduce((a, b) => a + b, 0));
  });

  it('stops on a watchdog soft stop with nothing recorded, and its replacement resumes the run', async () => {
    const s = await sim(script);
    cleanups.push(() => s.close());
    const proxy = await startChaosProxy({ target: s.url, rules: [{ name: 'hung provider', after: 1, times: 1, fault: { kind: 'hang' } }] });
    cleanups.push(() => proxy.close());
    const { store, cleanup } = await storeCase('sqlite').open();
    cleanups.push(cleanup);
    const clock = new VirtualClock();
    const rt = new Runtime({ clock });
    const seen = events(rt.events);
    const agent = defineAgent({
      name: 'finder',
      model: simClient('openai', { openai: `${proxy.url}/v1`, anthropic: proxy.url }, { clock }),
      tools: { web_search: webSearch() },
    });
    const done = rt.events.next('supervisor.child_exited', (e) => e.reason === 'normal');
    const root = await startSupervisor(rt, {
      children: [
        {
          id: 'finder',
          restart: 'transient',
          start: withWatchdog(agentChild(agent, { input: 'find two sources on OTP', store, runId: 'finder-3' }), { timeoutMs: 10_000, graceMs: 5_000 }),
        },
      ],
    });
    cleanups.push(() => stopSupervisor(rt, root));
    await waitFor(() => proxy.hanging === 1, 'the model call to hang at the proxy');
    await clock.advance(10_000);
    await done;
    expect(seen.some((e) => e.type === 'watchdog.soft_stop')).toBe(true);
    expect(seen.some((e) => e.type === 'watchdog.killed')).toBe(false);
    const exit = seen.find((e): e is WardenEvent<'supervisor.child_exited'> => e.type === 'supervisor.child_exited');
    expect(exit?.reason).toEqual({ watchdog: 'no_progress' });
    // The hung call was never answered, so it is the one call made twice.
    expect(s.requestCount).toBe(3);
    expect(seen.filter((e) => e.type === 'run.step_replayed').map((e) => (e as WardenEvent<'run.step_replayed'>).step)).toEqual([
      'model#1',
      'tool#1.1 web_search',
    ]);
    expect((await store.getRun('finder-3'))?.status).toBe('completed');
  });
});

describe('irreversible tools', () => {
  const script = {
    rules: [
      { match: { toolResult: 'not done' }, reply: { text: 'The mail was not sent: it was denied.' } },
      { match: { toolResult: 'queued' }, reply: { text: 'Sent.' } },
      { match: { lastUser: 'mail' }, reply: { toolCalls: [{ name: 'send_mail', arguments: { to: 'ada@example.org', text: 'hi' } }] } },
    ],
  };
  const mailer = (sent: string[]) =>
    tool({
      description: 'Send a mail',
      input: z.object({ to: z.string(), text: z.string() }),
      irreversible: true,
      run: ({ to }, { idempotencyKey }) => {
        sent.push(`${to} ${idempotencyKey}`);
        return 'queued';
      },
    });

  it.each([
    ['approve', 'Sent.', 1],
    ['deny', 'The mail was not sent: it was denied.', 0],
  ] as const)('wait for a person (%s) and then run once or never', async (decision, answer, sends) => {
    const s = await sim(script);
    cleanups.push(() => s.close());
    const { store, cleanup } = await storeCase('sqlite').open();
    cleanups.push(cleanup);
    const sent: string[] = [];
    const bus = new EventBus(realClock);
    const agent = defineAgent({ name: 'mailer', model: simClient('openai', s.urls), bus, tools: { send_mail: mailer(sent) } });
    const host = new DurableHost({ store, runs: [agent.definition], bus });
    cleanups.push(() => host.close());
    const first = await (await host.start(agent.definition, 'mail Ada hello', { id: 'mail-1' })).result;
    expect(first).toMatchObject({ status: 'suspended', reason: 'approval' });
    expect(sent).toEqual([]);
    const [pending] = await host.approvals.list({ status: 'pending' });
    const completed = bus.next('run.completed');
    await host.approvals[decision](pending?.id as string, { by: 'alice', reason: 'checked' });
    await completed;
    expect((await store.getRun('mail-1'))?.output).toMatchObject({ output: answer });
    expect(sent).toHaveLength(sends);
    if (sends === 1) expect(sent[0]).toBe('ada@example.org mail-1:1:tool#1.1 send_mail');
  });

  it('wait under a watchdog for as long as the person takes: each check of the store is progress', async () => {
    const s = await sim(script);
    cleanups.push(() => s.close());
    const { store, cleanup } = await storeCase('sqlite').open();
    cleanups.push(cleanup);
    // Counts the agent's checks of its run, so the clock moves only after each one.
    let reads = 0;
    const counted = new Proxy(store, {
      get(target, key) {
        const value = Reflect.get(target, key, target) as unknown;
        if (key === 'getRun') return (...args: Parameters<typeof store.getRun>) => (reads++, store.getRun(...args));
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
    const clock = new VirtualClock();
    const rt = new Runtime({ clock });
    const seen = events(rt.events);
    const sent: string[] = [];
    const agent = defineAgent({ name: 'mailer', model: simClient('openai', s.urls, { clock }), tools: { send_mail: mailer(sent) } });
    const suspended = rt.events.next('agent.suspended');
    const done = rt.events.next('supervisor.child_exited', (e) => e.reason === 'normal');
    const root = await startSupervisor(rt, {
      children: [
        {
          id: 'mailer',
          restart: 'transient',
          start: withWatchdog(agentChild(agent, { input: 'mail Ada hello', store: counted, runId: 'mail-wd', pollMs: 1_000 }), {
            timeoutMs: 5_000,
            graceMs: 1_000,
          }),
        },
      ],
    });
    cleanups.push(() => stopSupervisor(rt, root));
    await suspended;
    for (let second = 0; second < 60; second++) {
      const before = reads;
      await clock.advance(1_000);
      await waitFor(() => reads > before, 'the run to read the store again');
    }
    expect(seen.filter((e) => e.type.startsWith('watchdog.'))).toEqual([]);
    expect(sent).toEqual([]);

    const approver = new DurableHost({ store, runs: [agent.definition] });
    cleanups.push(() => approver.close());
    const [pending] = await approver.approvals.list({ status: 'pending' });
    await approver.approvals.approve(pending?.id as string, { by: 'alice', reason: 'after a long lunch' });
    let exited = false;
    void done.then(() => (exited = true));
    while (!exited) {
      const before = reads;
      await clock.advance(1_000);
      await waitFor(() => reads > before || exited, 'the run to read the store again, or to end');
    }
    expect(sent).toEqual(['ada@example.org mail-wd:1:tool#1.1 send_mail']);
    expect((await store.getRun('mail-wd'))?.status).toBe('completed');
    expect(seen.filter((e) => e.type.startsWith('watchdog.'))).toEqual([]);
  });

  it('refuses them in a direct run without an approve hook, and tells the model', async () => {
    const s = await sim(script);
    cleanups.push(() => s.close());
    const sent: string[] = [];
    const agent = defineAgent({ name: 'mailer', model: simClient('openai', s.urls), tools: { send_mail: mailer(sent) } });
    expect((await agent.run('mail Ada hello')).output).toBe('The mail was not sent: it was denied.');
    expect((await agent.run('mail Ada hello', { approve: () => true })).output).toBe('Sent.');
    expect(sent).toHaveLength(1);
  });
});
