/**
 * `defineAgent`: an agent is a model client, a system prompt, tools, an optional output schema
 * and policies (guards, compaction, a budget). Its options are checked when it is defined (a bad
 * one throws `InvalidSpecError` naming the field; see options.ts for each default), and it can
 * then run:
 * - durably, as a run definition (`agent.definition`, a durable run named `agent:<name>`): every
 *   model call, tool call and compaction is a journaled step, so a run resumed after a crash pays
 *   for nothing twice;
 * - under a supervisor, with `agentChild` / `runAgent` (see `agent-child.ts`, `run-agent.ts`);
 * - directly, with nothing journaled: `agent.run(input)`.
 */
import { defineRun, type RunDefinition } from '../durable/index.ts';
import type { AgentEnv } from './execution.ts';
import { checkInput, type AgentInput } from './input.ts';
import { durableJournal, ephemeralJournal, type ApprovalRequest } from './journal.ts';
import { executeAgent } from './loop.ts';
import { resolveAgent, type AgentOptions, type ResolvedAgent } from './options.ts';
import type { AgentResult } from './result.ts';

/** Options of one direct (unjournaled) run. */
export interface DirectRunOptions extends AgentEnv {
  /** @default a random id */
  readonly runId?: string;
  /** Decides irreversible tool calls (nothing journaled, so no approval gate). @default none: they are refused */
  readonly approve?: (request: ApprovalRequest) => boolean | PromiseLike<boolean>;
}

export interface Agent<O = string> {
  readonly name: string;
  /** The durable run's name: `agent:<name>`. */
  readonly runName: string;
  /** The configuration, resolved with its defaults. */
  readonly config: ResolvedAgent<O>;
  /** The durable run (events on the agent's `bus`). Register it with a `DurableHost`. */
  readonly definition: RunDefinition<AgentInput, AgentResult<O>>;
  /** The durable run with events, beats and signals of a particular process (what `runAgent` uses). */
  bind(env: AgentEnv): RunDefinition<AgentInput, AgentResult<O>>;
  /** Run once, directly: nothing is journaled, so nothing is resumed after a crash. */
  run(input: AgentInput, options?: DirectRunOptions): Promise<AgentResult<O>>;
}

function randomRunId(name: string): string {
  return `${name}-${crypto.randomUUID().slice(0, 8)}`;
}

/**
 * Define an agent.
 *
 * @example
 * ```ts
 * const researcher = defineAgent({
 *   name: 'researcher',
 *   model: createModelClient({ models: [openaiChat({ model: 'gpt-4o-mini' })] }),
 *   system: 'You research questions with the search tool and answer with sources.',
 *   tools: { search: tool({ description: 'Search the web', input: z.object({ q: z.string() }), run: ({ q }) => search(q) }) },
 *   output: z.object({ answer: z.string(), sources: z.array(z.string()) }),
 *   maxSteps: 12,
 *   compaction: { thresholdTokens: 60_000 },
 *   budget: { limits: { usd: 0.5 } },
 * });
 * const { output } = await researcher.run('What is a supervision tree?');
 * ```
 */
export function defineAgent<O = string>(options: AgentOptions<O>): Agent<O> {
  const config = resolveAgent(options);
  const runName = `agent:${config.name}`;
  const bind = (env: AgentEnv): RunDefinition<AgentInput, AgentResult<O>> =>
    defineRun<AgentInput, AgentResult<O>>(runName, (run, input) => executeAgent(config, durableJournal(run), checkInput(config.name, input), env));
  return Object.freeze({
    name: config.name,
    runName,
    config,
    definition: bind({ bus: options.bus }),
    bind,
    run(input: AgentInput, runOptions: DirectRunOptions = {}) {
      const checked = checkInput(config.name, input);
      const runId = runOptions.runId ?? randomRunId(config.name);
      const signal = runOptions.signal ?? new AbortController().signal;
      const env: AgentEnv = { bus: runOptions.bus ?? options.bus, beat: runOptions.beat, signal, stopSignal: runOptions.stopSignal };
      return executeAgent(config, ephemeralJournal(runId, signal, runOptions.approve), checked, env);
    },
  });
}
