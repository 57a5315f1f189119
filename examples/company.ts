/**
 * A one-person company run by eight department agents (CEO, CFO, COO, Marketing, Accountant,
 * Lawyer, CTO, Improver) under one one_for_one supervisor. They share one store (the durable
 * journal, approvals and dead letters) and a notes server (their common memory), consult each
 * other (the CEO asks the CTO and the COO), and fail the way real ones do: the Lawyer calls a
 * tool that does not exist, the Improver goes round in circles, the CFO runs out of budget, the
 * Accountant writes broken JSON, Marketing's post waits for the owner's approval, and the
 * provider the CTO uses is overloaded. A failing department is restarted alone; its task is
 * resumed from the journal.
 *
 * Everything runs against the simulated model server (both wire formats) started here, through
 * a chaos proxy: no key, no network. Run it with `npm run example:company`.
 *
 * This is the one-day tour of what can go wrong inside a department. The same company run for
 * real, on a schedule, with the MCP memory server, health probes and alerts, through a week of
 * agent kills, memory-server kills and host restarts, is `npx warden company --virtual` (see
 * docs/company.md).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { Crash, Runtime, isWardenError, reply, startSupervisor, stopSupervisor, server, type ServerBehaviour } from 'warden';
import { agentChild, defineAgent, tool, type AgentResult, type Tool } from 'warden/agent';
import { Approvals } from 'warden/durable';
import { anthropicMessages, createModelClient, openaiChat } from 'warden/llm';
import { Budget } from 'warden/resilience';
import { startChaosProxy, startSimServer, type SimRule } from 'warden/sim';
import { openStore } from 'warden/store';

// ---- what the simulated model answers, department by department --------------------------------

const calls = (name: string, args: Record<string, unknown>) => ({ toolCalls: [{ name, arguments: args }] });
const rules: SimRule[] = [
  // CEO: consults the CTO and the COO, writes the priorities down, answers.
  { match: { system: 'the CEO', toolResult: 'noted' }, reply: { text: "Priorities: ship Friday's launch; keep the platform stable." } },
  { match: { system: 'the CEO', toolResult: 'COO says' }, reply: calls('remember', { topic: 'priorities', fact: 'Ship the launch on Friday.' }) },
  { match: { system: 'the CEO', toolResult: 'CTO says' }, reply: calls('ask_department', { department: 'coo', question: 'Is the launch on track?' }) },
  { match: { system: 'the CEO' }, reply: calls('ask_department', { department: 'cto', question: 'Is the platform stable?' }) },
  { match: { system: 'the CTO' }, reply: { text: 'Stable: error rate under 0.1%, the last deploy is green.' } },
  { match: { system: 'the COO', lastUser: 'on track' }, reply: { text: 'On track for Friday.' } },
  { match: { system: 'the COO', toolResult: 'scheduled' }, reply: { text: 'The launch review is on the calendar.' } },
  { match: { system: 'the COO' }, reply: calls('schedule', { what: 'launch review', when: 'Thursday 10:00' }) },
  // CFO: its second call is over its budget.
  { match: { system: 'the CFO' }, reply: calls('ledger', { month: '2031-01' }) },
  // Accountant: broken JSON once, then the figures.
  { match: { system: 'the Accountant', lastUser: 'does not match' }, reply: { json: { month: '2031-01', revenue: 4200, expenses: 1300 } } },
  { match: { system: 'the Accountant' }, reply: { text: '{"month": "2031-01", "revenue": 4200,' } },
  // Lawyer: a hallucinated tool once.
  { match: { system: 'the Lawyer', toolResult: 'clause' }, reply: { text: 'The supplier contract is fine; renewal needs 30 days notice.' } },
  { match: { system: 'the Lawyer' }, times: 1, reply: calls('review_contrct', { name: 'supplier' }) },
  { match: { system: 'the Lawyer' }, reply: calls('review_contract', { name: 'supplier' }) },
  // Marketing: posting is irreversible, so it waits for the owner.
  { match: { system: 'Marketing', toolResult: 'posted' }, reply: { text: 'The launch teaser is out.' } },
  { match: { system: 'Marketing' }, reply: calls('post_to_social', { text: 'Something new ships Friday.' }) },
  // Improver: asks for the same suggestion again and again, then, asked anew, stops.
  { match: { system: 'the Improver' }, times: 3, reply: calls('suggest', { agent: 'marketing' }) },
  { match: { system: 'the Improver' }, reply: { text: 'Suggestion: Marketing should post at 9:00, when the audience is awake.' } },
];

// ---- shared memory: the notes server --------------------------------------------------------------

type Notes = { facts: Map<string, string>; byKey: Set<string> };
const notes: ServerBehaviour<Notes, void> = {
  init: () => ({ facts: new Map(), byKey: new Set() }),
  handleCall: (request, _from, state) => {
    const r = request as { remember?: { topic: string; fact: string; key: string }; recall?: string };
    if (r.remember !== undefined) {
      // The idempotency key makes a repeated write (after a crash) a no-op.
      if (!state.byKey.has(r.remember.key)) state.facts.set(r.remember.topic, r.remember.fact);
      state.byKey.add(r.remember.key);
      return reply('noted', state);
    }
    return reply(state.facts.get(r.recall ?? '') ?? 'nothing noted yet', state);
  },
};

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'warden-company-'));
  const store = await openStore({ db: join(dir, 'company.db') });
  const sim = await startSimServer({ script: { rules } });
  const rt = new Runtime();
  // The provider the CTO uses is overloaded: the CTO's calls fall back to the other one.
  const proxy = await startChaosProxy({
    target: sim.url,
    seed: 3,
    rules: [{ match: { path: '/v1/chat/completions', body: 'the CTO' }, times: 2, fault: { kind: 'overloaded' } }],
  });
  const pricing = { 'sim-small': { inputPerMTok: 0.15, outputPerMTok: 0.6 }, 'sim-large': { inputPerMTok: 0.8, outputPerMTok: 4 } };
  const model = createModelClient({
    models: [
      openaiChat({ model: 'sim-small', apiKey: 'sk-demo', baseURL: `${proxy.url}/v1` }),
      anthropicMessages({ model: 'sim-large', apiKey: 'sk-demo', baseURL: proxy.url }),
    ],
    retry: { maxAttempts: 2, baseDelayMs: 50 },
    pricing,
    bus: rt.events,
  });
  const company = new Budget({ scope: 'company', limits: { usd: 1 }, bus: rt.events });

  // ---- tools ----
  const remember = tool({
    description: 'Write a fact to the shared notes.',
    input: z.object({ topic: z.string(), fact: z.string() }),
    effect: true,
    run: ({ topic, fact }, { idempotencyKey }) => rt.call('notes', { remember: { topic, fact, key: idempotencyKey } }),
  });
  const askDepartment = tool({
    description: 'Ask another department a question; returns its answer.',
    input: z.object({ department: z.enum(['cto', 'coo', 'cfo', 'marketing', 'accountant', 'lawyer', 'improver']), question: z.string() }),
    run: async ({ department, question }) => {
      const answer = await rt.call<AgentResult<unknown>>(department, { task: question }, { timeoutMs: 30_000 });
      return `${department.toUpperCase()} says: ${String(answer.output)}`;
    },
  });
  const simple = (description: string, input: z.ZodObject, answer: (args: never) => string): Tool =>
    tool({ description, input, run: (args) => answer(args as never) }) as unknown as Tool;

  const department = (name: string, role: string, tools: Record<string, Tool>, extra: object = {}) =>
    defineAgent({
      name,
      model,
      system: `You are ${role} of Solo Co., a one-person company run by eight department agents.`,
      tools,
      maxIdenticalToolCalls: 2,
      budget: { limits: { usd: 0.05, steps: 8 }, parent: company },
      ...extra,
    });
  const departments = [
    department('ceo', 'the CEO', { ask_department: askDepartment as unknown as Tool, remember: remember as unknown as Tool }),
    department(
      'cfo',
      'the CFO',
      { ledger: simple('Read the ledger of a month', z.object({ month: z.string() }), () => 'cash 18,400; burn 1,300 a month') },
      {
        budget: { limits: { steps: 1 }, parent: company },
      },
    ),
    department('coo', 'the COO', { schedule: simple('Put a meeting on the calendar', z.object({ what: z.string(), when: z.string() }), () => 'scheduled') }),
    department('marketing', 'Marketing', {
      post_to_social: tool({
        description: 'Post to social media',
        input: z.object({ text: z.string() }),
        irreversible: true,
        run: () => 'posted',
      }) as unknown as Tool,
    }),
    department('accountant', 'the Accountant', {}, { output: z.object({ month: z.string(), revenue: z.number(), expenses: z.number() }) }),
    department('lawyer', 'the Lawyer', {
      review_contract: simple('Review a contract', z.object({ name: z.string() }), () => 'clause 7: renewal needs 30 days notice'),
    }),
    department('cto', 'the CTO', { recall: simple('Read the shared notes on a topic', z.object({ topic: z.string() }), () => 'no incidents') }),
    department('improver', 'the Improver', { suggest: simple('Draft a suggestion for an agent', z.object({ agent: z.string() }), () => 'draft saved') }),
  ];

  // ---- what the console shows ----
  const t0 = rt.clock.now();
  const log = (who: string, text: string): void => console.log(`${((rt.clock.now() - t0) / 1000).toFixed(2).padStart(6)}s  ${who.padEnd(10)} ${text}`);
  rt.events.on('agent.guard_tripped', (e) =>
    log(e.agent, `guard ${e.error.code}: ${e.error.message.replace(/^agent "[^"]+" \(run [^)]+\)(, step \d+)?: /, '').slice(0, 90)}`),
  );
  rt.events.on('agent.output_rejected', (e) => log(e.agent, `answer rejected by its schema; asking again (${e.attempt} of ${e.maxAttempts})`));
  rt.events.on('agent.suspended', (e) => log(e.agent, `waiting for approval (${e.reason})`));
  rt.events.on('agent.completed', (e) =>
    log(e.agent, `done: ${e.steps} model call${e.steps === 1 ? '' : 's'}${e.replayedSteps > 0 ? `, ${e.replayedSteps} journal entries replayed` : ''}`),
  );
  rt.events.on('llm.fallback', (e) => log('model', `${e.from.provider} failed (${e.error.code}); falling back to ${e.to.provider}`));
  rt.events.on('supervisor.child_exited', (e) => {
    if (e.reason instanceof Crash) log(e.childId, `crashed: ${(e.reason.error as { code?: string }).code ?? 'error'}`);
  });
  rt.events.on('supervisor.child_restarted', (e) => log(e.childId, `restarted by its supervisor as ${String(e.pid)} (one_for_one: the others carry on)`));
  // The owner approves what waits for approval.
  const approvals = new Approvals(store);
  rt.events.on('approval.requested', (e) => {
    log('owner', `approves "${e.action}"`);
    void approvals.approve(e.approvalId, { by: 'owner', reason: 'the teaser is fine' });
  });

  // ---- the tree ----
  console.log('Solo Co.: eight department agents under one one_for_one supervisor, one shared store and notes server,');
  console.log(`against the simulated model at ${sim.url} (through a chaos proxy)\n`);
  const root = await startSupervisor(rt, {
    name: 'company',
    strategy: 'one_for_one',
    intensity: 10,
    periodSeconds: 60,
    children: [
      { id: 'notes', start: server(notes, undefined, { name: 'notes' }) },
      ...departments.map((agent) => ({ id: agent.name, start: agentChild(agent, { store, register: agent.name, pollMs: 100 }) })),
    ],
  });

  // ---- the day: every department gets its task, all at once ----
  const tasks: Record<string, string> = {
    ceo: "Set today's priorities.",
    cfo: 'Review cash and the burn rate.',
    coo: 'Plan the launch review.',
    marketing: 'Announce the launch.',
    accountant: "Close January's books.",
    lawyer: 'Check the supplier contract.',
    cto: 'Review the platform.',
    improver: 'Improve one department.',
  };
  const outcome = new Map<string, string>();
  await Promise.all(
    Object.entries(tasks).map(async ([name, task]) => {
      for (let attempt = 1; ; attempt++) {
        try {
          const result = await rt.call<AgentResult<unknown>>(name, { task, id: `day-1-${name}` }, { timeoutMs: 60_000 });
          outcome.set(
            name,
            `${typeof result.output === 'string' ? result.output : JSON.stringify(result.output)} (${result.steps} model call${result.steps === 1 ? '' : 's'}, $${result.costUsd.toFixed(6)})`,
          );
          return;
        } catch (e) {
          const reason = (e as { reason?: unknown }).reason;
          const error = reason instanceof Crash ? reason.error : e;
          // Over budget is not fixed by trying again: the task stays in the dead-letter queue.
          if (isWardenError(error, 'BUDGET_EXCEEDED') || attempt === 3) {
            outcome.set(name, `not done: ${(error as Error).message.slice(0, 80)}… (dead-lettered)`);
            return;
          }
          // The department crashed and was restarted: hand it the same task again (same run id, so it resumes).
          await rt.clock.sleep(50);
        }
      }
    }),
  );

  console.log('\nthe day, by department');
  for (const [name, text] of outcome) console.log(`  ${name.padEnd(11)} ${text}`);
  const letters = await store.listDeadLetters({ status: 'pending' });
  console.log(`\n  spent ${company.spending.usd.toFixed(6)} USD of 1; dead letters pending: ${letters.map((l) => l.source).join(', ') || 'none'}`);
  await stopSupervisor(rt, root);
  await proxy.close();
  await sim.close();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
  console.log(`  processes left: ${rt.processCount}`);
}

await main();
