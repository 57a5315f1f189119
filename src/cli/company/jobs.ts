/**
 * The company's scheduled work, each slot one durable run whose id names the job and the slot
 * (`daily-post@2031-01-01T14:00:00.000Z`):
 *
 * | job | when (UTC) | what |
 * |---|---|---|
 * | `daily-post` | 14:00 every day | Marketing asks the CEO what to post about and posts (an effect) |
 * | `memory-sync` | every hour, at half past | reads the shared graph and notes the sync in it (a durable run, no model) |
 * | `weekly-report` | Monday 09:00 | the CEO asks the CFO, COO, CTO and Improver, then files the report |
 * | `monthly-accounts` | the 1st, 06:00 | the Accountant asks the Lawyer, then files the accounts |
 *
 * Because the run id is the slot, a slot started twice (the scheduler ran it, the host died
 * before it was marked done, and the slot was run again after the restart) is one run: the
 * second start resumes the first from its journal, and its effects, done at most once, are not
 * repeated.
 */
import { defineRun, type RunDefinition } from '../../durable/index.ts';
import type { Runtime } from '../../runtime/index.ts';
import type { SubagentCountMonitor } from '../../alerts/index.ts';
import { askAgent, type Department } from './departments.ts';
import type { Ledger } from './ledger.ts';
import type { MemoryClient } from './memory-client.ts';
import { dayOf, runIdOf } from './plan.ts';
import { TASKS } from './script.ts';

export interface CompanyJob {
  readonly name: string;
  /** Five-field cron expression, UTC. */
  readonly cron: string;
  readonly describe: string;
}

export const COMPANY_JOBS: readonly CompanyJob[] = [
  { name: 'daily-post', cron: '0 14 * * *', describe: 'daily post, 14:00' },
  { name: 'memory-sync', cron: '30 * * * *', describe: 'memory sync, hourly at :30' },
  { name: 'weekly-report', cron: '0 9 * * 1', describe: 'weekly report, Monday 09:00' },
  { name: 'monthly-accounts', cron: '0 6 1 * *', describe: 'monthly accounts, the 1st 06:00' },
];

const AGENT_JOBS: Record<string, { department: Department; task: (day: string) => string }> = {
  'daily-post': { department: 'marketing', task: TASKS.dailyPost },
  'weekly-report': { department: 'ceo', task: TASKS.weeklyReport },
  'monthly-accounts': { department: 'accountant', task: TASKS.monthlyAccounts },
};

/** What a slot's run needs of its input (the scheduler's `SlotInput` has these and more). */
export interface SlotOf {
  readonly slotAt: number;
  readonly slotTime: string;
}

/** What the departments' jobs need. */
export interface JobContext {
  readonly rt: Runtime;
  readonly memory: MemoryClient;
  readonly ledger: Ledger;
  /** This company run's prefix on its run ids (see `PREFIX`). */
  readonly prefix: string;
  /** Counts the memory syncs running at once (more than one raises an alert). */
  readonly subagents: SubagentCountMonitor;
}

// biome-ignore lint/suspicious/noExplicitAny: the four runs' outputs differ
export type CompanyRun = RunDefinition<SlotOf, any>;

/** The four jobs as durable run definitions, by job name. */
export function companyRuns(ctx: JobContext): Record<string, CompanyRun> {
  const runs: Record<string, CompanyRun> = { 'memory-sync': memorySyncRun(ctx) };
  for (const [job, spec] of Object.entries(AGENT_JOBS)) {
    runs[job] = defineRun(job, async (run, slot: SlotOf) =>
      run.step(`ask-${spec.department}`, async () => {
        // The agent's own run is named after the slot too: asked again, it resumes.
        const result = await askAgent(ctx.rt, spec.department, spec.task(dayOf(slot.slotAt)), ctx.prefix + runIdOf(job, slot.slotAt));
        return { output: typeof result.output === 'string' ? result.output : JSON.stringify(result.output), steps: result.steps };
      }),
    );
  }
  return runs;
}

/** The hourly sync: read the graph (a step), note the sync in it (an effect, reconciled against the ledger). */
function memorySyncRun({ memory, ledger, subagents }: JobContext): CompanyRun {
  return defineRun('memory-sync', async (run, slot: SlotOf) => {
    const lease = subagents.enter(`memory-sync ${slot.slotTime}`);
    try {
      const seen = await run.step('read-graph', async () => {
        const graph = (await memory.call('read_graph', {})) as { entities?: unknown[] };
        return { entities: graph.entities?.length ?? 0 };
      });
      await run.effect(
        'note-sync',
        async ({ idempotencyKey }) => {
          await memory.call('add_observations', { observations: [{ entityName: 'memory-sync', contents: [`synced ${slot.slotTime}`] }] });
          ledger.record({ job: 'memory-sync', slot: slot.slotTime, key: idempotencyKey, by: 'coo' });
        },
        { reconcile: ({ idempotencyKey }) => ({ done: ledger.wasDone(idempotencyKey) }) },
      );
      return seen;
    } finally {
      lease.dispose();
    }
  });
}
