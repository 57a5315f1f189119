/**
 * `warden demo`: the research pipeline of the seeds (search → extract → synthesize) as three
 * durable agents under a `rest_for_one` supervisor, calling a simulated model server (OpenAI and
 * Anthropic wire formats, started here on 127.0.0.1, port 0) through a chaos proxy that injects
 * 429s with Retry-After, 529s, a 503, latency and a stream cut midway. Runs journal to SQLite
 * (a fresh file under ./.warden/, deleted at the end unless --keep; or --db), with budgets and fallback across the two
 * providers. Midway the demo kills the synthesize agent's process, as kill -9 would; its
 * replacement replays the journaled steps instead of paying for them again.
 *
 * The terminal shows, as they happen, every fault, retry, fallback, breaker transition, model
 * call and its cost, guard, compaction, crash, restart and replay, the live tree at the start
 * and the end, and a report. Plain lines, no cursor movement: a CI log reads the same.
 *
 * `--virtual` runs the policies' waits on a virtual clock (a retry's delay and 200 ms per model
 * answer are the only time that passes), so a seed gives the same output line for line.
 * `--real` points the same pipeline at real providers from OPENAI_API_KEY / ANTHROPIC_API_KEY
 * (no simulated server, no injected faults).
 *
 * With `OTEL_TRACES_EXPORTER` / `OTEL_METRICS_EXPORTER` set (and the OpenTelemetry SDK
 * installed), the demo's traces and metrics are exported as those variables say (warden/otel).
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { Runtime, VirtualClock, isNormalExit, isWardenError, realClock, seededRandom, type Clock, type Pid, type WardenEvent } from '../../runtime/index.ts';
import { inspectTree, startSupervisor, stopSupervisor } from '../../supervisor/index.ts';
import { Budget, type PricingTable } from '../../resilience/index.ts';
import { anthropicMessages, createModelClient, openaiChat, type ProviderAdapter, type ResilientModelClient } from '../../llm/index.ts';
import { startChaosProxy, startSimServer, type ChaosProxy, type SimServer } from '../../sim/index.ts';
import { openStore, type Store } from '../../store/index.ts';
import { startTelemetryFromEnv, type Telemetry } from '../../otel/index.ts';
import { UsageError, booleanOptions, integerOption, stringOptions, type CliIO, type Command } from '../command.ts';
import { checkedLocation } from '../store-options.ts';
import { STAGES, pipelineAgents, pipelineTree, runIdOf, type Stage } from '../demo/pipeline.ts';
import { DemoStats, FAULT_NAMES, Painter, clockLabel, describeEvent, renderTree, treeLine, usd, wrap } from '../demo/render.ts';
import { QUESTION, demoChaos, demoScript } from '../demo/script.ts';

const SIM_PRICING: PricingTable = {
  'sim-small': { inputPerMTok: 0.15, outputPerMTok: 0.6 },
  'sim-large': { inputPerMTok: 0.8, outputPerMTok: 4 },
};

/** Prices for `--real` (USD per million tokens); an unknown model is priced high rather than free. */
const REAL_PRICING: PricingTable = {
  'gpt-4o-mini': { inputPerMTok: 0.15, outputPerMTok: 0.6, cachedInputPerMTok: 0.075 },
  'gpt-4.1-mini': { inputPerMTok: 0.4, outputPerMTok: 1.6, cachedInputPerMTok: 0.1 },
  'claude-3-5-haiku-latest': { inputPerMTok: 0.8, outputPerMTok: 4, cachedInputPerMTok: 0.08 },
  '*': { inputPerMTok: 5, outputPerMTok: 15 },
};

const HELP = `Usage: warden demo [--seed N] [--virtual] [--quiet] [--db <path|url> | --keep] [--real] [--question TEXT]

Runs a research pipeline of three agents, search → extract → synthesize, under a
rest_for_one supervisor. Each agent is a durable run: every model call and tool
call is journaled in SQLite. They call a simulated model server (OpenAI and
Anthropic wire formats, started here) through a chaos proxy that injects a 429
with Retry-After, a burst of 529s, a 503, latency and a stream cut midway; the
search agent calls a tool that does not exist once, the extract agent writes
broken JSON once, and the demo kills the synthesize agent's process midway.

Everything is shown as it happens: faults, retries, fallbacks between the two
providers, breaker states, model calls and their cost, guards, compaction,
crashes, restarts and what was replayed from the journal; then a report.

Options:
  --seed N          seed of the faults and retry jitter (default 7)
  --virtual         run the policies' waits on a virtual clock: instant, and the
                    same output for the same seed
  --quiet           print only the report
  --db <path|url>   journal to this database, and keep it (default: a fresh file
                    under ./.warden/, deleted at the end)
  --keep            keep the fresh file under ./.warden/ (the report names it), to
                    look at the runs afterwards with 'warden runs'
  --real            use real providers from OPENAI_API_KEY and/or ANTHROPIC_API_KEY
                    (OPENAI_BASE_URL, ANTHROPIC_BASE_URL, WARDEN_DEMO_OPENAI_MODEL,
                    WARDEN_DEMO_ANTHROPIC_MODEL); no simulated server, no faults
  --question TEXT   what to research (default: ${QUESTION})
  -h, --help        show this help

Telemetry: OTEL_TRACES_EXPORTER=otlp and/or OTEL_METRICS_EXPORTER=otlp export the
demo's traces and metrics to OTEL_EXPORTER_OTLP_ENDPOINT (OTEL_EXPORTER_OTLP_PROTOCOL
http/protobuf or http/json), with the OpenTelemetry SDK installed.
`;

interface Setup {
  readonly client: ResilientModelClient;
  readonly describeModels: string;
  readonly sim: SimServer | undefined;
  readonly proxy: ChaosProxy | undefined;
}

async function simulatedModels(rt: Runtime, clock: Clock, seed: number, budget: Budget): Promise<Setup> {
  const sim = await startSimServer({ script: demoScript() });
  const proxy = await startChaosProxy({ target: sim.url, rules: demoChaos(), seed, bus: rt.events, name: 'chaos' });
  const models = [
    openaiChat({ model: 'sim-small', apiKey: 'sk-demo', baseURL: `${proxy.url}/v1`, supportsPrefill: true, maxOutputTokens: 1024, clock }),
    anthropicMessages({ model: 'sim-large', apiKey: 'sk-demo', baseURL: proxy.url, maxOutputTokens: 1024, clock }),
  ];
  // Load both SDKs now: loading one at its first call takes real time, which would move the
  // events around it on the virtual clock and make two runs of one seed differ.
  await Promise.all(models.map((m) => m.loadSdk()));
  const client = createModelClient({
    name: 'pipeline',
    models,
    retry: { maxAttempts: 2, baseDelayMs: 200, maxDelayMs: 1_000, maxRetryAfterMs: 1_000 },
    breaker: { trip: { kind: 'consecutive', failures: 3 }, openMs: 600 },
    timeoutMs: 30_000,
    streamIdleTimeoutMs: 10_000,
    streamFailure: 'resume',
    budget,
    pricing: SIM_PRICING,
    clock,
    random: seededRandom(seed),
    bus: rt.events,
  });
  return { client, describeModels: 'openai:sim-small (primary) → anthropic:sim-large (fallback), through the chaos proxy', sim, proxy };
}

function realModels(rt: Runtime, io: CliIO, seed: number, budget: Budget): Setup {
  const models: ProviderAdapter[] = [];
  if ((io.env.OPENAI_API_KEY ?? '') !== '')
    models.push(openaiChat({ model: io.env.WARDEN_DEMO_OPENAI_MODEL || 'gpt-4o-mini', env: io.env, maxOutputTokens: 1024 }));
  if ((io.env.ANTHROPIC_API_KEY ?? '') !== '')
    models.push(anthropicMessages({ model: io.env.WARDEN_DEMO_ANTHROPIC_MODEL || 'claude-3-5-haiku-latest', env: io.env, maxOutputTokens: 1024 }));
  if (models.length === 0) {
    throw new UsageError(
      '--real needs a provider key: set OPENAI_API_KEY and/or ANTHROPIC_API_KEY (OPENAI_BASE_URL / ANTHROPIC_BASE_URL for another endpoint); ' +
        'without --real the demo runs against its own simulated model and needs no key',
    );
  }
  const client = createModelClient({
    name: 'pipeline',
    models,
    retry: { maxAttempts: 3 },
    timeoutMs: 120_000,
    budget,
    pricing: REAL_PRICING,
    random: seededRandom(seed),
    bus: rt.events,
  });
  return {
    client,
    describeModels: models.map((m, i) => `${m.name}:${m.model} (${i === 0 ? 'primary' : 'fallback'})`).join(' → '),
    sim: undefined,
    proxy: undefined,
  };
}

function stamp(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
}

export const demoCommand: Command = {
  name: 'demo',
  help: HELP,
  options: { ...stringOptions('seed', 'db', 'question'), ...booleanOptions('virtual', 'quiet', 'keep', 'real') },
  positionals: false,
  async run(args, io) {
    const seed = integerOption(args, 'seed', 7);
    const quiet = args.values.quiet === true;
    const virtual = args.values.virtual === true;
    const real = args.values.real === true;
    const question = args.values.question === undefined ? QUESTION : String(args.values.question).trim();
    if (question === '') throw new UsageError('--question must not be empty');
    if (args.values.db !== undefined && String(args.values.db) === '') throw new UsageError('--db must not be empty');
    if (args.values.db !== undefined) checkedLocation(io, { db: String(args.values.db), name: '--db' });
    /** A fresh file of its own is the demo's to delete, unless asked to keep it; a --db is the user's. */
    const temporary = args.values.db === undefined && args.values.keep !== true;
    if (real && virtual) throw new UsageError('--virtual cannot be combined with --real (real providers answer in real time)');
    const p = new Painter(io.isTTY && io.env.NO_COLOR === undefined);
    const clock: Clock = virtual ? new VirtualClock({ startMs: Date.UTC(2031, 0, 1) }) : realClock;
    const rt = new Runtime({ clock });
    const stats = new DemoStats();
    const t0 = clock.now();
    const out = (line: string): void => {
      if (!quiet) io.stdout.write(`${line}\n`);
    };
    const at = (): string => p.paint('dim', clockLabel(clock.now() - t0));

    const budget = new Budget({ scope: 'demo', limits: { usd: real ? 0.5 : 0.05 }, bus: rt.events });
    const perRun = real ? { usd: 0.2, steps: 12 } : { usd: 0.01, steps: 10 };
    const telemetry: Telemetry = await startTelemetryFromEnv({ env: io.env, warn: (line) => io.stderr.write(`${line}\n`) });
    const traced = telemetry.instrument(rt.events, { runtime: rt, budgets: [budget] });
    const setup = real ? realModels(rt, io, seed, budget) : await simulatedModels(rt, clock, seed, budget);
    stats.total = () => budget.spending.usd;
    const status = (): string => {
      const breakers = setup.client.breakers.map((b) => (b === undefined ? '' : `${b.config.name} ${b.state.kind}`)).filter((x) => x !== '');
      return `  breakers   ${breakers.join(', ')}\n  spend      ${usd(budget.spending.usd)} of ${usd(budget.config.limits.usd ?? 0)}, ${budget.spending.tokens} tokens`;
    };
    const db = args.values.db === undefined ? join(io.cwd, '.warden', `demo-${stamp(realClock.now())}-${process.pid}.db`) : String(args.values.db);
    const removeTemporary = (): void => {
      if (!temporary) return;
      for (const suffix of ['', '-wal', '-shm']) rmSync(`${db}${suffix}`, { force: true });
    };
    let store: Store | undefined;
    let root: Pid | undefined;
    const closeAll = async (): Promise<void> => {
      if (root !== undefined && rt.isAlive(root)) {
        const stopping = stopSupervisor(rt, root);
        if (clock instanceof VirtualClock) await clock.runUntil(() => !rt.isAlive(root as Pid));
        await stopping;
      }
      await setup.proxy?.close();
      await setup.sim?.close();
    };
    try {
      store = await openStore({ db, env: io.env, cwd: io.cwd });
      const earlier = (await store.listRuns({ name: 'agent:search' })).length;
      const runPrefix = `r${earlier + 1}-`;
      const agents = pipelineAgents(setup.client, budget, perRun);
      const shown = db.startsWith(io.cwd) ? `.${db.slice(io.cwd.length)}` : db;

      out(p.paint('bold', `warden demo: ${STAGES.join(' → ')} under rest_for_one, seed ${seed}, ${virtual ? 'virtual' : 'real'} clock`));
      out(`  models     ${setup.describeModels}`);
      if (setup.sim !== undefined && setup.proxy !== undefined) out(`  servers    simulated model ${setup.sim.url}, chaos proxy ${setup.proxy.url}`);
      out(`  journal    ${shown}${temporary ? ' (deleted at the end; --keep keeps it)' : ''}`);
      out(`  budget     ${usd(budget.config.limits.usd ?? 0)} for the demo; per run ${usd(perRun.usd)} and ${perRun.steps} model calls`);
      out(`  question   ${wrap(question, 78, '             ')}`);
      if (telemetry.enabled)
        out(
          `  telemetry  ${[telemetry.traces ? 'traces' : '', telemetry.metrics ? 'metrics' : ''].filter((x) => x !== '').join(' and ')} exported as OTEL_* says`,
        );

      // The virtual clock moves only by a retry's announced delay and 200 ms per model answer.
      if (clock instanceof VirtualClock) {
        let chain = Promise.resolve();
        const advance = (ms: number): void => {
          chain = chain.then(() => new Promise<void>((r) => setImmediate(r))).then(() => clock.advance(ms));
        };
        rt.events.on('retry.attempt_failed', (e) => {
          if (e.delayMs !== undefined) advance(e.delayMs);
        });
        rt.events.on('llm.response', () => advance(200));
      }
      let finished = false;
      // A full disk stops every journal write, and the tree gives up: the report says so.
      let diskFull: string | undefined;
      rt.events.on('supervisor.child_exited', (e) => {
        diskFull ??= diskFullIn(e.reason);
      });
      // After restarts, the tree is shown again once the restarted agents start.
      let restarted = false;
      rt.events.onAny((e: WardenEvent) => {
        if (finished) return;
        if (e.type === 'agent.started' && restarted) {
          restarted = false;
          out(`${at()}  ${treeLine(stats, STAGES, p)}`);
        }
        const line = describeEvent(e, stats, p);
        if (line !== undefined) out(`${at()}  ${line}`);
        if (e.type === 'supervisor.child_restarted') restarted = true;
      });
      // The demo's own fault: kill the synthesize agent's process once its second model call is
      // journaled (listening to every event, after the printer, so that call is shown first).
      let killed = false;
      rt.events.onAny((e) => {
        if (e.type !== 'agent.model_called' || killed || e.runId !== runIdOf({ runPrefix }, 'synthesize') || e.step !== 2 || e.replayed) return;
        const pid = stats.pids.get('synthesize');
        if (pid === undefined || !rt.isAlive(pid)) return;
        killed = true;
        out(
          `${at()}  ${p.paint(['bold', 'red'], 'demo'.padEnd(11))}killing synthesize ${String(pid)} mid-run, as kill -9 would: model#2 is journaled, its tool call is not done yet`,
        );
        rt.sendExit(pid, 'kill');
      });

      const ended = rt.events.next('supervisor.child_exited', (e) => e.childId === 'synthesize' && isNormalExit(e.reason));
      root = await startSupervisor(rt, pipelineTree({ agents, store, question, runPrefix, watchdogMs: real ? 120_000 : 30_000 }));
      out(`\n${renderTree(await inspectTree(rt, root), stats, p)}\n${status()}\n`);
      const rootPid = root;
      let deadline: { cancel(): void } | undefined;
      const outcome = await Promise.race([
        ended.then(() => 'done' as const),
        rt.whenExited(rootPid).then(() => 'gave_up' as const),
        new Promise<'timeout'>((resolve) => (deadline = realClock.setTimer(real ? 300_000 : 50_000, () => resolve('timeout')))),
      ]);
      deadline?.cancel();
      const board = rt.whereis('board');
      const answer = outcome === 'done' && board !== undefined ? await rt.call(board, { get: 'synthesize' }) : undefined;
      if (rt.isAlive(rootPid)) out(`\n${renderTree(await inspectTree(rt, rootPid), stats, p)}\n${status()}`);
      finished = true;
      const elapsedMs = clock.now() - t0;
      await closeAll();
      const runs = await storeSummary(store, runPrefix);
      await store.close();
      store = undefined;
      removeTemporary();
      io.stdout.write(
        `\n${report({ stats, answer, outcome, diskFull, elapsedMs, virtual, budget, runs, db: shown, kept: !temporary, client: setup.client, rt, p })}\n`,
      );
      if (outcome !== 'done' && diskFull !== undefined) io.stderr.write(`warden demo: ${diskFull}\n`);
      return outcome === 'done' && typeof answer === 'string' ? 0 : 1;
    } catch (e) {
      // The disk holding the journal is full before anything ran: one clear line, not a stack trace.
      if (!isWardenError(e, 'STORE_FULL')) throw e;
      io.stderr.write(`warden demo: ${e.message}\n`);
      return 1;
    } finally {
      await closeAll().catch(() => undefined);
      await store?.close().catch(() => undefined);
      removeTemporary();
      await telemetry.shutdown().catch((e: unknown) => io.stderr.write(`warden demo: telemetry export failed at shutdown: ${(e as Error).message}\n`));
      traced.dispose();
    }
  },
};

/** The message of a full-disk error (the store's, or a journal write's) in an exit reason, if that is why the child exited. */
function diskFullIn(reason: unknown): string | undefined {
  let e: unknown = (reason as { error?: unknown } | null)?.error ?? reason;
  for (let depth = 0; typeof e === 'object' && e !== null && depth < 5; depth++) {
    const code = (e as { code?: unknown }).code;
    if (code === 'STORE_FULL' || code === 'JOURNAL_FULL') return (e as Error).message;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

async function storeSummary(store: Store | undefined, prefix: string): Promise<{ runs: number; entries: number }> {
  if (store === undefined) return { runs: 0, entries: 0 };
  let runs = 0;
  let entries = 0;
  for (const stage of STAGES) {
    const id = `${prefix}${stage}`;
    if ((await store.getRun(id)) === undefined) continue;
    runs++;
    entries += (await store.readJournal(id)).length;
  }
  return { runs, entries };
}

function report(r: {
  stats: DemoStats;
  answer: unknown;
  outcome: 'done' | 'gave_up' | 'timeout';
  /** Why a journal write failed, when the disk holding it is full. */
  diskFull: string | undefined;
  elapsedMs: number;
  virtual: boolean;
  budget: Budget;
  runs: { runs: number; entries: number };
  db: string;
  /** Whether the database is still there (else it was the demo's own, deleted). */
  kept: boolean;
  client: ResilientModelClient;
  rt: Runtime;
  p: Painter;
}): string {
  const { stats, p } = r;
  const pad = (k: string): string => `  ${k.padEnd(12)} `;
  const indent = ' '.repeat(15);
  const lines = [p.paint('bold', 'report')];
  if (r.outcome === 'done' && typeof r.answer === 'string') lines.push(`${pad('answer')}${wrap(r.answer, 76, indent)}`);
  else if (r.diskFull !== undefined)
    lines.push(
      `${pad('answer')}${p.paint('red', 'none: the disk holding the journal filled up, so the agents could not record their steps; free some space and run the demo again')}`,
    );
  else
    lines.push(
      `${pad('answer')}${p.paint('red', r.outcome === 'timeout' ? 'none: the pipeline did not finish in time' : 'none: the tree gave up (too many failures)')}`,
    );
  const stageLines = STAGES.map((name: Stage) => {
    const s = stats.stage(name);
    const parts = [
      `${name} ${s.done ? p.paint('green', '✓') : p.paint('red', '✗')}`,
      `${s.modelCalls} model calls paid${s.replayedCalls > 0 ? `, ${s.replayedCalls} replayed` : ''}`,
      usd(s.costUsd),
      ...(s.crashes.length > 0 ? [`exited ${s.crashes.length}× (${s.crashes.map((c) => c.split(':')[0]).join(', ')})`] : []),
      ...(s.restarts > 0 ? [`restarted ${s.restarts}×`] : []),
      ...(s.replayedSteps > 0 ? [`${s.replayedSteps} journal entries replayed`] : []),
    ];
    return parts.join(' · ');
  });
  lines.push(`${pad('stages')}${stageLines.join(`\n${indent}`)}`);
  const paid = [...stats.stages.values()].reduce((n, s) => n + s.modelCalls, 0);
  const replayed = [...stats.stages.values()].reduce((n, s) => n + s.replayedCalls, 0);
  const saved = [...stats.stages.values()].reduce((n, s) => n + s.replayedUsd, 0);
  const answered = Object.values(stats.levels).reduce((a, b) => a + b, 0);
  const levels = [
    ...Object.entries(stats.levels)
      .filter(([, n]) => n > 0)
      .map(([l, n]) => `${n} ${l}`),
    ...(paid > answered ? [`${paid - answered} answer${paid - answered === 1 ? '' : 's'} rejected by the output schema`] : []),
  ].join(', ');
  lines.push(
    `${pad('model calls')}${paid} paid (${levels || 'none answered'}); ${replayed} replayed from the journal, not paid again${saved > 0 ? ` (${usd(saved)})` : ''}`,
  );
  if (stats.requests > 0) {
    const faults = [...stats.faults].map(([k, n]) => `${FAULT_NAMES[k] ?? k} ×${n}`).join(', ');
    lines.push(`${pad('faults')}${stats.requests} requests through the chaos proxy: ${faults || 'none injected'}`);
  }
  const breakers = r.client.breakers
    .map((b) =>
      b === undefined
        ? undefined
        : `${b.config.name} ${b.state.kind}${(stats.breakerOpenings.get(b.config.name) ?? 0) > 0 ? ` (opened ${stats.breakerOpenings.get(b.config.name)}×)` : ''}`,
    )
    .filter((x) => x !== undefined);
  lines.push(
    `${pad('recovery')}${stats.retries} retries, ${stats.fallbacks} fallbacks, ${stats.resumedStreams} cut stream resumed; breakers now: ${breakers.join(', ')}`,
  );
  const guards = [...stats.guards, ...(stats.reasks > 0 ? [`${stats.reasks} output re-ask`] : []), ...stats.compactions.map((c) => `compaction ${c}`)];
  lines.push(`${pad('guards')}${guards.join('; ') || 'none tripped'}`);
  const restarts = STAGES.map((s) => `${s} ${stats.stage(s).restarts}`).join(', ');
  lines.push(
    `${pad('restarts')}${[...stats.stages.values()].reduce((n, s) => n + s.restarts, 0)} (${restarts}); escalations ${stats.escalations}; dead letters ${stats.deadLettersAdded} added, ${stats.deadLettersDiscarded} discarded after the run completed`,
  );
  const spent = r.budget.spending;
  lines.push(
    `${pad('cost')}${usd(spent.usd)} of the ${usd(r.budget.config.limits.usd ?? 0)} budget: ${spent.steps} model calls (compaction summaries included), ${spent.tokens} tokens`,
  );
  const journal = `${r.runs.runs} runs, ${r.runs.entries} journal entries`;
  lines.push(
    `${pad('journal')}${r.kept ? `${r.db}: ${journal} (npx warden runs list --db ${r.db})` : `${journal}, in a file deleted at the end (--keep keeps it)`}`,
  );
  lines.push(`${pad('time')}${(r.elapsedMs / 1000).toFixed(2)} s (${r.virtual ? 'virtual' : 'real'} clock)`);
  lines.push(`${pad('processes')}${r.rt.processCount} left`);
  return lines.join('\n');
}
