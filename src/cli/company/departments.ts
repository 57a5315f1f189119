/**
 * The eight departments of Solo Co. as agents, their tools, and how they consult each other.
 *
 * Each department is an agent in its own supervised process (mailbox mode, registered under its
 * name, so callers find it again after a restart) whose tasks are durable runs in the store: a
 * run interrupted by a crash is resumed under the same id, its journaled model calls replayed
 * rather than paid for again. Beside each agent runs its desk, a process subscribed to the topic
 * `consult.<department>`: a department asks another by publishing its question there, and
 * the answer comes back on a topic of the question's own (`answers.<id>`), so nobody holds
 * another's pid across restarts. A question's id is derived from the asking run, so a question
 * asked again after a crash resumes (or returns) the run that answered it the first time.
 *
 * The tools that change the world (the post, the weekly report, the month's accounts) are
 * effects: at most once, with an idempotency key, and reconciled against the ledger when a
 * crash left their outcome unknown. They write to the shared memory server over MCP first,
 * then record the effect in the ledger.
 */
import { z } from 'zod';
import { seededRandom, type ProcessContext, type Runtime } from '../../runtime/index.ts';
import { worker, type ChildStart } from '../../supervisor/index.ts';
import { Retry, type Budget } from '../../resilience/index.ts';
import type { ModelClient } from '../../llm/index.ts';
import { defineAgent, tool, type Agent, type AgentResult, type Tool } from '../../agent/index.ts';
import type { Ledger } from './ledger.ts';
import { withoutPrefix } from './plan.ts';
import type { MemoryClient } from './memory-client.ts';

export const DEPARTMENTS = ['ceo', 'cfo', 'coo', 'marketing', 'accountant', 'lawyer', 'cto', 'improver'] as const;
export type Department = (typeof DEPARTMENTS)[number];

/** Each department's role, as its system prompt names it (the simulated model's script matches on it). */
export const ROLES: Record<Department, string> = {
  ceo: 'the CEO',
  cfo: 'the CFO',
  coo: 'the COO',
  marketing: 'Marketing',
  accountant: 'the Accountant',
  lawyer: 'the Lawyer',
  cto: 'the CTO',
  improver: 'the Improver',
};

/** What the departments share. */
export interface Office {
  readonly rt: Runtime;
  readonly model: ModelClient;
  readonly memory: MemoryClient;
  readonly ledger: Ledger;
  readonly budget: Budget;
}

/** The slot a job's run id names (`daily-post@2031-01-01T14:00:00.000Z/...` → the ISO time). */
export function slotOfRun(runId: string): { job: string; slot: string } {
  const [head] = withoutPrefix(runId).split('/');
  const at = head!.indexOf('@');
  return { job: head!.slice(0, at), slot: head!.slice(at + 1) };
}

const ANSWER_TIMEOUT_MS = 120_000;

/**
 * Hand `task` to the department's agent (by its registered name) under run id `id` and wait for
 * its result. When the agent's process dies during the call (a crash, a kill), it is asked
 * again, with the same id, once its supervisor has started it again: the run resumes from its
 * journal.
 */
export async function askAgent(rt: Runtime, department: Department, task: string, id: string, attempts = 5): Promise<AgentResult<unknown>> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await rt.call<AgentResult<unknown>>(department, { task, id }, { timeoutMs: ANSWER_TIMEOUT_MS });
    } catch (e) {
      if (attempt >= attempts) throw e;
      await rt.clock.sleep(1_000);
    }
  }
}

/** A question on `consult.<department>`; the answer goes to `replyTopic`. */
interface Question {
  readonly id: string;
  readonly question: string;
  readonly replyTopic: string;
}
type Answer = { readonly id: string; readonly answer: string } | { readonly id: string; readonly error: string };

/** The desk of a department: answers the questions published on its topic, each in a process of its own. */
export function desk(department: Department): ChildStart {
  return worker(
    async (ctx: ProcessContext) => {
      ctx.subscribe(`consult.${department}`);
      for (;;) {
        const q = (await ctx.receive()) as Question;
        if (typeof q?.id !== 'string') continue;
        ctx.spawn(async (helper) => {
          let answer: Answer;
          try {
            const result = await askAgent(helper.runtime, department, q.question, q.id);
            answer = { id: q.id, answer: typeof result.output === 'string' ? result.output : JSON.stringify(result.output) };
          } catch (e) {
            answer = { id: q.id, error: (e as Error).message };
          }
          helper.runtime.publish(q.replyTopic, answer);
        });
      }
    },
    { label: `${department}-desk` },
  );
}

/** Ask `department` a question over pub/sub and wait for its answer. */
export function consult(rt: Runtime, department: Department, question: string, id: string): Promise<string> {
  return new Promise((resolve, reject) => {
    rt.spawn(async (ctx) => {
      const replyTopic = `answers.${id}`;
      ctx.subscribe(replyTopic);
      if (rt.publish(`consult.${department}`, { id, question, replyTopic } satisfies Question) === 0) {
        reject(new Error(`no desk is listening for ${department} (restarting?)`));
        return;
      }
      const message = (await ctx.receive({ timeoutMs: ANSWER_TIMEOUT_MS })) as Answer | undefined;
      if (message === undefined) reject(new Error(`${department} did not answer within ${ANSWER_TIMEOUT_MS} ms`));
      else if ('error' in message) reject(new Error(`${department} could not answer: ${message.error}`));
      else resolve(message.answer);
    });
  });
}

/** The eight agents, on one model client, each run capped inside the company's budget. */
export function departmentAgents(office: Office): Record<Department, Agent<unknown>> {
  const { rt, memory, ledger } = office;
  const askDepartment = tool({
    description: 'Ask another department a question; returns its answer.',
    input: z.object({ department: z.enum(DEPARTMENTS), question: z.string() }),
    // The desk may be restarting: ask again a moment later.
    retry: new Retry({ maxAttempts: 4, baseDelayMs: 1_000, clock: rt.clock, random: seededRandom(1), retryOn: 'all' }),
    run: async ({ department, question }, { runId }) =>
      `${department.toUpperCase()} says: ${await consult(rt, department, question, `${runId}/${department}`)}`,
  });
  /** An effect that writes to the shared memory, then records itself in the ledger. */
  const effect = <I extends Record<string, unknown>>(
    description: string,
    input: z.ZodType<I>,
    by: Department,
    remember: (args: I, slot: string) => [string, Record<string, unknown>],
    answer: string,
  ): Tool =>
    tool({
      description,
      input,
      effect: true,
      reconcile: ({ idempotencyKey }) => (ledger.wasDone(idempotencyKey) ? { done: true, value: answer } : { done: false }),
      run: async (args, { runId, idempotencyKey }) => {
        const { job, slot } = slotOfRun(runId);
        const [memoryTool, memoryArgs] = remember(args, slot);
        await memory.call(memoryTool, memoryArgs);
        ledger.record({ job, slot, key: idempotencyKey ?? runId, by });
        return answer;
      },
    }) as unknown as Tool;

  const tools: Record<Department, Record<string, Tool>> = {
    ceo: {
      ask_department: askDepartment as unknown as Tool,
      file_report: effect(
        'File the weekly report in the company memory.',
        z.object({ summary: z.string() }),
        'ceo',
        ({ summary }, slot) => [
          'create_entities',
          { entities: [{ name: `weekly report ${slot.slice(0, 10)}`, entityType: 'report', observations: [summary] }] },
        ],
        'report filed',
      ),
    },
    cfo: {},
    coo: {},
    marketing: {
      ask_department: askDepartment as unknown as Tool,
      post_to_social: effect(
        'Publish a post on the company account.',
        z.object({ text: z.string() }),
        'marketing',
        ({ text }, slot) => ['add_observations', { observations: [{ entityName: 'Solo Co.', contents: [`posted on ${slot.slice(0, 10)}: ${text}`] }] }],
        'posted',
      ),
    },
    accountant: {
      ask_department: askDepartment as unknown as Tool,
      file_accounts: effect(
        "File the month's accounts.",
        z.object({ revenue: z.number(), expenses: z.number() }),
        'accountant',
        ({ revenue, expenses }, slot) => [
          'create_entities',
          { entities: [{ name: `accounts closed ${slot.slice(0, 10)}`, entityType: 'accounts', observations: [`revenue ${revenue}, expenses ${expenses}`] }] },
        ],
        'accounts filed',
      ),
    },
    lawyer: {},
    cto: {
      recall: tool({
        description: 'Search the company memory.',
        input: z.object({ query: z.string() }),
        run: async ({ query }) => {
          const found = (await memory.call('search_nodes', { query })) as { entities?: unknown[] };
          return `found ${found.entities?.length ?? 0} notes`;
        },
      }) as unknown as Tool,
    },
    improver: {},
  };

  return Object.fromEntries(
    DEPARTMENTS.map((d) => [
      d,
      defineAgent({
        name: d,
        model: office.model,
        system: `You are ${ROLES[d]} of Solo Co., a one-person company run by eight department agents.`,
        tools: tools[d],
        maxSteps: 10,
        maxIdenticalToolCalls: 2,
        budget: { limits: { usd: 0.05, steps: 10 }, parent: office.budget },
      }),
    ]),
  ) as Record<Department, Agent<unknown>>;
}
