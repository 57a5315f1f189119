/**
 * `runAgent(ctx, agent, { input, store })`: one task of an agent, run inside a supervised process.
 *
 * With a store, the task is a durable run with a stable id: the process's host is fenced by
 * `ctx.fence` (once the supervisor has declared this incarnation dead, nothing it still does is
 * written), and a restarted incarnation calling `runAgent` with the same id takes the run back and
 * replays its journal: completed model and tool calls are read back, not paid for again. A run
 * that failed before (a provider down, a guard) is resumed from its failed step, so the model is
 * asked again. Without a store the task runs directly and is simply started again after a restart.
 *
 * How it ends:
 * - an answer: the `AgentResult` is returned;
 * - a failure: the typed error is thrown (`UNKNOWN_TOOL`, `TOOL_LOOP_DETECTED`, `BUDGET_EXCEEDED`,
 *   ...), so the process crashes with it and its supervisor restarts or escalates; the run goes
 *   to the dead-letter queue once (a later success after a restart discards that letter);
 * - a soft stop (`ctx.stopSignal`, a watchdog): nothing more is recorded and the process exits
 *   with the stop's reason, so it is restarted and resumes;
 * - a suspension (an irreversible tool waiting for approval): the process waits, checking the
 *   store every `pollMs` (each check is progress for a watchdog), and carries on when the run is
 *   resumed (here or by any host).
 */
import { hostname } from 'node:os';
import { InvalidSpecError, type ProcessContext } from '../runtime/index.ts';
import { stableHash } from '../resilience/index.ts';
import { DurableHost, outcomeOfRecord, type ApprovalPolicy, type RunOutcome } from '../durable/index.ts';
import type { Store, StoredError } from '../store/index.ts';
import type { Agent } from './define.ts';
import { AgentRunError, AgentStoppedError, errorFromStored } from './errors.ts';
import type { AgentEnv } from './execution.ts';
import { checkInput, type AgentInput } from './input.ts';
import { ephemeralJournal, type ApprovalRequest } from './journal.ts';
import { executeAgent } from './loop.ts';
import type { AgentResult } from './result.ts';

export interface RunAgentOptions {
  /** The task. */
  readonly input: AgentInput;
  /** Journal the run here (durable); without it the run is direct. @default none */
  readonly store?: Store;
  /** The run's id: a restarted process resumes the run with this id. @default `<agent>-<hash of the input>` */
  readonly runId?: string;
  /** This process's owner name in the store; a restart under the same name takes its runs back at once. @default `<hostname>:<pid>` */
  readonly owner?: string;
  /** Which actions need approval besides irreversible tools (durable runs). @default [] */
  readonly approvalPolicies?: readonly ApprovalPolicy[];
  /** Put a failed durable run in the dead-letter queue (once per run). @default true */
  readonly deadLetter?: boolean;
  /** How often a suspended run's record is checked, ms. @default 1_000 */
  readonly pollMs?: number;
  /** Decides irreversible tool calls of a direct run. @default none: they are refused */
  readonly approve?: (request: ApprovalRequest) => boolean | PromiseLike<boolean>;
}

export const RUN_AGENT_DEFAULTS = Object.freeze({ deadLetter: true, pollMs: 1_000 });

/** The default id of a task's run: the same task gets the same run, so a restart resumes it. */
export function defaultRunId(agent: string, input: AgentInput): string {
  return `${agent}-${stableHash(input).slice(0, 16)}`;
}

function processEnv(ctx: ProcessContext): AgentEnv {
  // Code of a killed incarnation may still run to its next step; its beats are simply dropped.
  return { bus: ctx.runtime.events, beat: () => ctx.isAlive && ctx.beat(), signal: ctx.signal, stopSignal: ctx.stopSignal };
}

/**
 * Run one task of `agent` in this process (see the module doc for how it ends).
 *
 * @example
 * ```ts
 * const pipeline = supervisor({
 *   strategy: 'rest_for_one',
 *   children: [
 *     { id: 'search', restart: 'transient', start: worker(async (ctx) => {
 *         const found = await runAgent(ctx, searcher, { input: question, store, runId: 'search-1' });
 *         ctx.cast('board', { search: found.output });
 *     }) },
 *   ],
 * });
 * ```
 */
export async function runAgent<O>(ctx: ProcessContext, agent: Agent<O>, options: RunAgentOptions): Promise<AgentResult<O>> {
  const input = checkInput(agent.name, options.input);
  const runId = options.runId ?? defaultRunId(agent.name, input);
  if (typeof runId !== 'string' || runId === '') throw new InvalidSpecError(`runAgent "${agent.name}"`, 'runId', runId, 'must be a non-empty string');
  const env = processEnv(ctx);
  if (options.store === undefined) {
    try {
      return await executeAgent(agent.config, ephemeralJournal(runId, ctx.signal, options.approve), input, env);
    } catch (e) {
      if (e instanceof AgentStoppedError && ctx.isAlive) ctx.exit(ctx.stopSignal.reason);
      throw e;
    }
  }
  const store = options.store;
  const definition = agent.bind(env);
  const host = new DurableHost({
    store,
    runs: [definition],
    owner: options.owner ?? `${hostname()}:${process.pid}`,
    clock: ctx.clock,
    bus: ctx.runtime.events,
    fence: ctx.fence,
    approvalPolicies: options.approvalPolicies ?? [],
    deadLetterOnFailure: false,
  });
  // A killed or soft-stopped incarnation stops at its next step with nothing recorded.
  const close = (): void => void host.close();
  ctx.signal.addEventListener('abort', close, { once: true });
  ctx.stopSignal.addEventListener('abort', close, { once: true });
  try {
    const existing = await store.getRun(runId);
    if (existing !== undefined && existing.name !== definition.name) {
      throw new InvalidSpecError(`runAgent "${agent.name}"`, 'runId', runId, `is the id of a run of "${existing.name}", not of ${definition.name}`);
    }
    const handle = existing?.status === 'failed' ? await host.resume(runId) : await host.start(definition, input, { id: runId });
    const outcome = await outcomeAfterSuspensions(ctx, host, store, agent.name, runId, await handle.result, options.pollMs ?? RUN_AGENT_DEFAULTS.pollMs);
    const deadLetter = options.deadLetter ?? RUN_AGENT_DEFAULTS.deadLetter;
    switch (outcome.status) {
      case 'completed':
        if (deadLetter) await discardLetters(host, definition.name, runId);
        return outcome.output as AgentResult<O>;
      case 'failed': {
        if (deadLetter) await deadLetterOnce(host, store, definition.name, runId, outcome.error);
        throw errorFromStored(agent.name, runId, outcome.error);
      }
      case 'cancelled':
        throw new AgentRunError(agent.name, runId, { name: 'RunCancelledError', code: 'RUN_CANCELLED', message: `the run was cancelled: ${outcome.reason}` });
      case 'interrupted':
        if (ctx.stopSignal.aborted && ctx.isAlive) ctx.exit(ctx.stopSignal.reason);
        throw new AgentRunError(agent.name, runId, { name: 'AgentRunInterrupted', code: 'AGENT_RUN_INTERRUPTED', message: outcome.why, retryable: true });
    }
  } finally {
    ctx.signal.removeEventListener('abort', close);
    ctx.stopSignal.removeEventListener('abort', close);
    await host.close();
  }
}

/**
 * The run's outcome once it is no longer suspended: while it waits (for an approval, or for a
 * person to resolve an uncertain effect), check every `pollMs` whether it was resumed, here or by
 * any host (`agent.suspended` is emitted once per wait).
 */
async function outcomeAfterSuspensions(
  ctx: ProcessContext,
  host: DurableHost,
  store: Store,
  agent: string,
  runId: string,
  first: RunOutcome,
  pollMs: number,
): Promise<Exclude<RunOutcome, { status: 'suspended' }>> {
  let outcome = first;
  let announced = false;
  while (outcome.status === 'suspended') {
    if (!announced && ctx.runtime.events.wants('agent.suspended')) ctx.runtime.events.emit({ type: 'agent.suspended', agent, runId, reason: outcome.reason });
    announced = true;
    await ctx.sleep(pollMs);
    // Waiting for a person is not a hang: each check beats the watchdog (a check that hangs does not).
    if (ctx.isAlive) ctx.beat();
    const mine = (await host.recover()).find((h) => h.id === runId);
    if (mine !== undefined) {
      outcome = await mine.result;
      announced = false;
      continue;
    }
    // A decision (here or in any process) leaves a resume request that `recover` picked up above.
    const record = await store.getRun(runId);
    const stored = record === undefined ? undefined : outcomeOfRecord(record);
    if (stored !== undefined && (stored.status === 'completed' || stored.status === 'failed' || stored.status === 'cancelled')) outcome = stored;
  }
  return outcome;
}

/** Put a failed run in the dead-letter queue, unless a letter for it is already pending. */
async function deadLetterOnce(host: DurableHost, store: Store, source: string, runId: string, error: StoredError): Promise<void> {
  const pending = await store.listDeadLetters({ status: 'pending', source });
  if (pending.some((l) => l.runId === runId)) return;
  const run = await store.getRun(runId);
  await host.deadLetters.add({ source, runId, input: run?.input ?? null, error, ...(run === undefined ? {} : { traceId: run.traceId }) });
}

/** Discard the pending letters of a run that completed after a restart. */
async function discardLetters(host: DurableHost, source: string, runId: string): Promise<void> {
  const pending = await host.store.listDeadLetters({ status: 'pending', source });
  for (const letter of pending) {
    if (letter.runId === runId) await host.deadLetters.discard(letter.id, { by: 'warden', reason: 'the run completed after a restart' }).catch(() => undefined);
  }
}
