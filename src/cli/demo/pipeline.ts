/**
 * The demo's research pipeline: three agents (search → extract → synthesize) under a
 * `rest_for_one` supervisor, each a durable agent run in its own supervised process, sharing one
 * model client (so a provider's breaker is shared) and a store. A small board server holds each
 * stage's result; a stage waits for the one before it.
 *
 *   root        one_for_one   intensity 3 / 30 s
 *   ├─ board    server: the stages' results
 *   └─ pipeline rest_for_one  intensity 5 / 30 s
 *      ├─ search      transient, watchdog 30 s: web_search → sources (JSON)
 *      ├─ extract     transient, watchdog 30 s: fetch_page → facts (JSON), with compaction
 *      └─ synthesize  transient, watchdog 30 s: cite_source → the answer (text)
 *
 * When search crashes, extract and synthesize (waiting for it) are restarted too; when
 * synthesize is killed, only it is. A restarted stage resumes its run from the journal.
 */
import { z } from 'zod';
import { reply, type ProcessContext, type ServerBehaviour } from '../../runtime/index.ts';
import { server, supervisor, worker, type ChildStart, type SupervisorSpec } from '../../supervisor/index.ts';
import { withWatchdog } from '../../isolation/index.ts';
import type { Budget } from '../../resilience/index.ts';
import type { ModelClient } from '../../llm/index.ts';
import type { Json, Store } from '../../store/index.ts';
import { ToolFailure, defineAgent, runAgent, tool, type Agent } from '../../agent/index.ts';
import { pageAt, search } from './corpus.ts';
import { EXTRACT_SYSTEM, SEARCH_SYSTEM, SYNTHESIZE_SYSTEM } from './script.ts';

export const STAGES = ['search', 'extract', 'synthesize'] as const;
export type Stage = (typeof STAGES)[number];

const sourcesSchema = z.object({
  sources: z
    .array(z.object({ url: z.string(), title: z.string() }))
    .min(1)
    .max(6),
});
const factsSchema = z.object({ facts: z.array(z.object({ source: z.string(), fact: z.string() })).min(1) });

export interface PipelineAgents {
  readonly search: Agent<z.infer<typeof sourcesSchema>>;
  readonly extract: Agent<z.infer<typeof factsSchema>>;
  readonly synthesize: Agent<string>;
}

/** The three agents, on one model client, each run capped by `limits` inside `budget`. */
export function pipelineAgents(model: ModelClient, budget: Budget, limits: { usd: number; steps: number }): PipelineAgents {
  const perRun = { limits, parent: budget };
  return {
    search: defineAgent({
      name: 'search',
      model,
      system: SEARCH_SYSTEM,
      tools: {
        web_search: tool({
          description: 'Search the web; returns up to three pages (title, url, snippet).',
          input: z.object({ q: z.string().min(1).describe('the query') }),
          run: ({ q }) => ({ query: q, results: search(q) }),
        }),
      },
      output: sourcesSchema,
      maxSteps: 8,
      budget: perRun,
    }),
    extract: defineAgent({
      name: 'extract',
      model,
      system: EXTRACT_SYSTEM,
      tools: {
        fetch_page: tool({
          description: 'Read a page by its URL.',
          input: z.object({ url: z.string() }),
          run: ({ url }) => {
            const p = pageAt(url);
            if (p === undefined) throw new ToolFailure(`404: no page at ${url}`);
            return p.text;
          },
        }),
      },
      output: factsSchema,
      maxSteps: 10,
      compaction: { thresholdTokens: 800, keepRecentMessages: 5, keepToolResults: 0 },
      budget: perRun,
    }),
    synthesize: defineAgent({
      name: 'synthesize',
      model,
      system: SYNTHESIZE_SYSTEM,
      tools: {
        cite_source: tool({
          description: 'Check that a source exists before citing it; returns its id and title.',
          input: z.object({ url: z.string() }),
          run: ({ url }) => {
            const p = pageAt(url);
            if (p === undefined) throw new ToolFailure(`no such source: ${url}`);
            return `cite-ok:${p.id} "${p.title}"`;
          },
        }),
      },
      maxSteps: 8,
      budget: perRun,
    }),
  };
}

type BoardState = Partial<Record<Stage, unknown>>;

/** The stages' results. `{ get: stage }` answers the result (or undefined); `{ put: stage, value }` stores it and tells the subscribers. */
const board: ServerBehaviour<BoardState, void> = {
  init: () => ({}),
  handleCall: (request, _from, state) => reply(state[(request as { get: Stage }).get], state),
  handleCast: (message, state, ctx) => {
    const { put, value } = message as { put: Stage; value: unknown };
    const next = { ...state, [put]: value };
    ctx.publish('pipeline', { done: put });
    return next;
  },
};

/**
 * Wait for a stage's result on the board (subscribe first, then ask, so no announcement is
 * missed), beating while waiting: waiting for the stage before is not being stuck.
 */
async function resultOf(ctx: ProcessContext, stage: Stage, beatEveryMs: number): Promise<Json> {
  ctx.subscribe('pipeline');
  for (;;) {
    const value = await ctx.call<Json | undefined>('board', { get: stage }, { timeoutMs: 10_000 });
    if (value !== undefined) return value;
    const announced = (m: unknown): m is { done: Stage } => typeof m === 'object' && m !== null && (m as { done?: unknown }).done === stage;
    while ((await ctx.receive(announced, { timeoutMs: beatEveryMs })) === undefined) ctx.beat();
  }
}

export interface PipelineOptions {
  readonly agents: PipelineAgents;
  readonly store: Store;
  readonly question: string;
  /** Prefix of the runs' ids (several demos can share a database). */
  readonly runPrefix: string;
  readonly watchdogMs: number;
}

function stage(name: Stage, o: PipelineOptions, run: (ctx: ProcessContext) => Promise<unknown>): { id: Stage; restart: 'transient'; start: ChildStart } {
  const body = worker(
    async (ctx: ProcessContext) => {
      const value = await run(ctx);
      ctx.cast('board', { put: name, value });
    },
    { label: name },
  );
  return { id: name, restart: 'transient', start: withWatchdog(body, { timeoutMs: o.watchdogMs, graceMs: 2_000 }) };
}

/** The run id of a stage. */
export function runIdOf(o: Pick<PipelineOptions, 'runPrefix'>, name: Stage): string {
  return `${o.runPrefix}${name}`;
}

/** The demo's supervision tree. */
export function pipelineTree(o: PipelineOptions): SupervisorSpec {
  const { agents, store, question } = o;
  return {
    name: 'root',
    strategy: 'one_for_one',
    intensity: 3,
    periodSeconds: 30,
    children: [
      { id: 'board', start: server(board, undefined, { name: 'board' }) },
      {
        id: 'pipeline',
        start: supervisor({
          name: 'pipeline',
          strategy: 'rest_for_one',
          intensity: 5,
          periodSeconds: 30,
          children: [
            stage('search', o, async (ctx) => (await runAgent(ctx, agents.search, { store, runId: runIdOf(o, 'search'), input: { task: question } })).output),
            stage('extract', o, async (ctx) => {
              const found = await resultOf(ctx, 'search', o.watchdogMs / 3);
              return (
                await runAgent(ctx, agents.extract, {
                  store,
                  runId: runIdOf(o, 'extract'),
                  input: { task: `Extract the key facts for: ${question}`, data: found as Json },
                })
              ).output;
            }),
            stage('synthesize', o, async (ctx) => {
              const facts = await resultOf(ctx, 'extract', o.watchdogMs / 3);
              return (await runAgent(ctx, agents.synthesize, { store, runId: runIdOf(o, 'synthesize'), input: { task: question, data: facts as Json } }))
                .output;
            }),
          ],
        }),
      },
    ],
  };
}
