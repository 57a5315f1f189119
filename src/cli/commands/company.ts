/**
 * `warden company`: the one-person company of the seeds, for real. Eight department agents
 * (CEO, CFO, COO, Marketing, Accountant, Lawyer, CTO, Improver) under supervisors, sharing the
 * MCP memory server (a supervised child process, real MCP over HTTP), consulting each other over
 * the runtime's pub/sub topics, with scheduled work (a daily post at 14:00 UTC, an hourly
 * memory sync, a weekly report, the monthly accounts), against the simulated model through a
 * chaos proxy. Everything journals to one store.
 *
 * `--virtual --days 7 --seed N` runs a week of virtual time in about a minute, with the seed's
 * trouble (src/cli/company/plan.ts): provider faults, agent kills, memory-server kills (SIGKILL)
 * and whole-host restarts (the runtime killed where it stands, the store dropped, a new
 * runtime started on the same store after a while down). Time moves only when nothing is on the
 * wire, so a seed gives the same report line for line. The report's last line counts the due
 * slots against the ledger the side effects wrote: `slots: D due, O ran once, M missed, X doubled`.
 *
 * Without `--virtual` the company runs in real time until SIGINT or SIGTERM (or `--days` have
 * passed): the scheduler stops starting slots, the slots in flight finish, the tree shuts down
 * in order, and the report is printed.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { EventBus, VirtualClock, isWardenError, realClock, settle, type Clock } from '../../runtime/index.ts';
import { Budget } from '../../resilience/index.ts';
import { startTelemetryFromEnv } from '../../otel/index.ts';
import { HotConfig, watchConfigFile, type ConfigFileWatcher } from '../../config/index.ts';
import { COMPANY_CONFIG_DEFAULTS, companyConfigSchema } from '../company/config.ts';
import { startChaosProxy, startSimServer } from '../../sim/index.ts';
import { UsageError, booleanOptions, integerOption, stringOptions, type CliIO, type Command } from '../command.ts';
import { checkedLocation } from '../store-options.ts';
import { openStore } from '../../store/index.ts';
import { CompanyHost, type CompanyWorld } from '../company/host.ts';
import { Ledger } from '../company/ledger.ts';
import { DAY_MS, VIRTUAL_START_MS, companyPlan, type CompanyPlan, type HostRestart } from '../company/plan.ts';
import { renderReport, span, tallySlots } from '../company/report.ts';
import { COMPANY_RULES } from '../company/script.ts';
import { CompanyStats } from '../company/stats.ts';
import { Wire } from '../company/wire.ts';

const HELP = `Usage: warden company [--days N] [--virtual] [--seed N] [--db <path|url> | --keep] [--config FILE] [--quiet]

Runs a one-person company of eight department agents (CEO, CFO, COO, Marketing,
Accountant, Lawyer, CTO, Improver) under supervisors. They share Warden's MCP
memory server (a supervised child process), consult each other over pub/sub,
and do scheduled work: a daily post at 14:00 UTC, an hourly memory sync, a
weekly report (Monday 09:00) and the monthly accounts (the 1st, 06:00), against
a simulated model through a chaos proxy. Every slot is a durable run.

With --virtual the days pass on a virtual clock (a week in about a minute), with
the seed's trouble: provider faults, agent kills, memory-server kills and
whole-host restarts. The report counts the due slots against what their side
effects recorded and ends with
  slots: <due> due, <once> ran once, <missed> missed, <doubled> doubled

Options:
  --days N          how many days to run (default 7 with --virtual; without it,
                    until SIGINT/SIGTERM)
  --virtual         run on a virtual clock from 2031-01-01 00:00 UTC: fast, and
                    the same output for the same seed
  --seed N          seed of the faults, crashes and restarts (default 1)
  --db <path|url>   journal to this database, and keep it (default: a fresh
                    file under ./.warden/, deleted at the end)
  --keep            keep the fresh file under ./.warden/ (the report names it)
  --config FILE     the alerts' bounds as JSON, followed while it runs, e.g.
                    {"alerts": {"spend": {"maxPerWindow": 0.001, "windowMs": 3600000},
                     "restarts": {"maxRestarts": 2, "windowMs": 21600000}}}
  --quiet           print only the report
  -h, --help        show this help
`;

/** A free TCP port on 127.0.0.1 (the memory server needs a fixed one, to be found again after a restart). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** `c<n>-` for the next company run on the database (`c1-` on a fresh one). */
async function nextPrefix(db: string, io: CliIO): Promise<string> {
  const store = await openStore({ db, env: io.env, cwd: io.cwd });
  try {
    const ids = (await store.listRuns({ name: 'memory-sync' })).map((r) => /^schedule:c(\d+)-/.exec(r.id)?.[1]);
    return `c${Math.max(0, ...ids.map((n) => Number(n ?? 0))) + 1}-`;
  } finally {
    await store.close();
  }
}

function stamp(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
}

export const companyCommand: Command = {
  name: 'company',
  help: HELP,
  options: { ...stringOptions('days', 'seed', 'db', 'config'), ...booleanOptions('virtual', 'keep', 'quiet') },
  positionals: false,
  async run(args, io) {
    const virtual = args.values.virtual === true;
    const seed = integerOption(args, 'seed', 1);
    const days = args.values.days === undefined ? (virtual ? 7 : undefined) : integerOption(args, 'days', 7, 1);
    if (days !== undefined && days > 366) throw new UsageError(`--days must be at most 366 (got "${days}")`);
    const quiet = args.values.quiet === true;
    if (args.values.db !== undefined && String(args.values.db) === '') throw new UsageError('--db must not be empty');
    if (args.values.db !== undefined) checkedLocation(io, { db: String(args.values.db), name: '--db' });
    if (args.values.db !== undefined && args.values.keep === true) throw new UsageError('--keep applies to the fresh file; a --db is always kept');
    const temporary = args.values.db === undefined && args.values.keep !== true;
    const base = join(io.cwd, '.warden', `company-${stamp(realClock.now())}-${process.pid}`);
    const db = args.values.db === undefined ? `${base}.db` : String(args.values.db);
    mkdirSync(join(io.cwd, '.warden'), { recursive: true });
    const ledgerPath = `${base}.effects.jsonl`;
    const removeTemporary = (): void => {
      if (temporary) for (const suffix of ['', '-wal', '-shm', '.company.writer.sock']) rmSync(`${db}${suffix}`, { force: true });
      if (args.values.keep !== true) rmSync(ledgerPath, { force: true });
    };

    const clock: Clock = virtual ? new VirtualClock({ startMs: VIRTUAL_START_MS }) : realClock;
    const startMs = virtual ? VIRTUAL_START_MS : realClock.now();
    // Real time without --days: the plan's window is a year (the run ends at a signal).
    const plan = companyPlan(seed, days ?? 366, startMs);
    const realPlan: CompanyPlan = virtual ? plan : { ...plan, hostRestarts: [], memoryKills: [] };
    const out = (line: string): void => {
      if (!quiet) io.stdout.write(`${line}\n`);
    };
    const at = (): string => {
      const t = clock.now() - startMs;
      return `day ${Math.floor(t / DAY_MS) + 1} ${new Date(clock.now()).toISOString().slice(11, 16)}`;
    };
    const stats = new CompanyStats();
    const wire = new Wire();
    if (clock instanceof VirtualClock) clock.addQuiescenceSource(wire);
    const proxyBus = new EventBus(realClock);
    proxyBus.on('chaos.request', (e) => {
      if (e.fault !== undefined) stats.fault(e.rule ?? e.fault);
    });

    // The alerts' bounds, live: --config FILE is followed while the company runs.
    const config = new HotConfig({ name: 'company', schema: companyConfigSchema, initial: COMPANY_CONFIG_DEFAULTS, clock });
    let configFile: ConfigFileWatcher | undefined;
    if (args.values.config !== undefined) {
      try {
        configFile = await watchConfigFile(config, String(args.values.config), { clock: realClock });
      } catch (e) {
        throw new UsageError(`--config: ${(e as Error).message}`);
      }
    }
    // Traces and metrics go out when OTEL_TRACES_EXPORTER / OTEL_METRICS_EXPORTER ask for it.
    const telemetry = await startTelemetryFromEnv({ env: io.env, serviceName: 'warden-company' });
    // A company run of its own on this database: the prefix after the ones already there.
    let prefix: string;
    try {
      prefix = await nextPrefix(db, io);
    } catch (e) {
      if (!isWardenError(e)) throw e;
      io.stderr.write(`warden company: ${(e as Error).message}\n`);
      removeTemporary();
      return 1;
    }
    const sim = await startSimServer({ script: { rules: COMPANY_RULES } });
    const proxy = await startChaosProxy({ target: sim.url, rules: realPlan.chaos, seed, bus: proxyBus, name: 'chaos' });
    let pendingDeath: HostRestart | undefined;
    const world: CompanyWorld = {
      clock,
      db,
      env: io.env,
      cwd: io.cwd,
      plan: realPlan,
      prefix,
      ledger: new Ledger(ledgerPath),
      proxyUrl: proxy.url,
      budget: new Budget({ scope: 'company', limits: { usd: 5 } }),
      stats,
      wire,
      telemetry,
      config,
      done: new Set(),
      alerts: [],
      probes: { passed: 0, failed: 0 },
      log: (who, text) => out(`${at()}  ${who.padEnd(10)} ${text}`),
      hostDies: (restart) => {
        pendingDeath = restart;
      },
    };

    let host: CompanyHost | undefined;
    let incarnation = 0;
    const startHost = async (): Promise<CompanyHost> => {
      incarnation++;
      const h = await CompanyHost.start(world, incarnation, await freePort());
      h.markUp();
      return h;
    };
    /** Drive the virtual clock until `done()`, timer by timer, letting real I/O finish in between. */
    const runClockUntil = async (done: () => boolean): Promise<void> => {
      if (!(clock instanceof VirtualClock)) return;
      while (!done()) {
        if (clock.nextTimerAt() !== undefined) await clock.runNext();
        else await new Promise((r) => setTimeout(r, 5));
      }
    };

    /** Wait for `work`, driving the virtual clock meanwhile. */
    const untilDone = async (work: Promise<unknown>): Promise<void> => {
      let done = false;
      const watched = work.finally(() => {
        done = true;
      });
      await runClockUntil(() => done);
      await watched;
    };

    let stopping = false;
    const onSignal = (): void => {
      stopping = true;
      wakeUp?.();
    };
    let wakeUp: (() => void) | undefined;
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    try {
      out(
        `warden company: eight departments, ${days === undefined ? 'until stopped' : `${days} day${days === 1 ? '' : 's'}`}, seed ${seed}, ${virtual ? 'virtual' : 'real'} clock`,
      );
      out(`  journal    ${temporary ? 'a fresh SQLite file, deleted at the end (--keep keeps it)' : db}`);
      out('  tree       company (one_for_one): memory (MCP over HTTP, child process), departments (8 agents + 8 desks), scheduler');
      out('  schedule   daily post 14:00 UTC, memory sync hourly at :30, weekly report Monday 09:00, monthly accounts the 1st 06:00');
      if (virtual) {
        out(
          `  trouble    ${plan.chaos.length} provider-fault rules, ${plan.agentCrashes.length} agent kills, ${plan.memoryKills.length} memory-server kills, ${plan.hostRestarts.length} host restarts`,
        );
      }
      out('');
      host = await startHost();

      if (clock instanceof VirtualClock) {
        const actions: Array<{ at: number; run: () => Promise<void> }> = [
          ...plan.memoryKills.map((t) => ({
            at: t,
            run: async () => {
              if (await host?.killMemoryServer()) {
                stats.memoryKills++;
                world.log('memory', 'server process killed (SIGKILL)');
              }
            },
          })),
          ...plan.hostRestarts.flatMap((r) =>
            r.kind === 'at'
              ? [
                  {
                    at: r.atMs,
                    run: async () => {
                      if (host === undefined || host.isDead) return;
                      world.log('host', `dies (every process killed where it stands), down for ${span(r.downMs)}`);
                      host.kill();
                      pendingDeath = r;
                    },
                  },
                ]
              : [],
          ),
        ].sort((a, b) => a.at - b.at);
        for (;;) {
          if (pendingDeath !== undefined) {
            const death = pendingDeath;
            pendingDeath = undefined;
            await host!.release();
            stats.hostRestarts++;
            await clock.advanceTo(Math.min(clock.now() + death.downMs, plan.endMs));
            host = await startHost();
            world.log('host', `started again on the same store (incarnation ${incarnation}): the scheduler catches up, runs resume`);
            continue;
          }
          if (clock.now() >= plan.endMs) break;
          if (stopping) {
            world.log('company', 'stopping (signal): no new slots, the slots in flight finish');
            break;
          }
          const nextAction = actions[0]?.at ?? Infinity;
          const nextTimer = clock.nextTimerAt();
          const target = Math.min(nextAction, plan.endMs);
          if (nextTimer !== undefined && nextTimer <= target) {
            await clock.runNext();
            continue;
          }
          await clock.advanceTo(target);
          // An action whose time passed while the host was down is dropped: there was nothing to kill.
          while (actions[0] !== undefined && actions[0].at < clock.now()) actions.shift();
          if (actions[0] !== undefined && actions[0].at <= clock.now()) await actions.shift()!.run();
        }
      } else {
        out(`${at()}  company    running${days === undefined ? ' until SIGINT or SIGTERM' : ''}`);
        const endMs = days === undefined ? Infinity : startMs + days * DAY_MS;
        while (!stopping && realClock.now() < endMs) {
          await new Promise<void>((resolve) => {
            wakeUp = resolve;
            const t = setTimeout(resolve, Math.min(60_000, Math.max(0, endMs - realClock.now())));
            t.unref?.();
          });
        }
        out(`${at()}  company    ${stopping ? 'stopping (signal): no new slots, the slots in flight finish' : 'the days are over'}`);
      }
      // No new slots; the slots in flight finish (on the virtual clock, timers keep firing for them).
      // A pass at the end starts what came due while the last one was still reading the store.
      await untilDone(host.finishDue().then(() => host!.stopScheduling().then(() => host!.idle())));
      const scheduled = await host.scheduledCounts();
      const stopped = host.stop();
      await runClockUntil(() => host!.isStopped);
      await stopped;
      const endMs = virtual ? Math.min(plan.endMs, clock.now()) : realClock.now();
      const tally = tallySlots(world.ledger, startMs, endMs);
      io.stdout.write(
        `${renderReport({
          tally,
          stats,
          windowMs: endMs - startMs,
          spentUsd: world.budget.spending.usd,
          budgetUsd: world.budget.config.limits.usd ?? 0,
          alerts: world.alerts,
          extra: [
            `  ${'health'.padEnd(13)}known-answer probes through the CFO agent: ${world.probes.passed} passed, ${world.probes.failed} failed; readiness checks the store`,
            `  ${'scheduler'.padEnd(13)}its own record: ${scheduled.completed} slots completed, ${scheduled.failed} failed, ${scheduled.missed} missed`,
          ],
        })}\n`,
      );
      return tally.missed === 0 && tally.doubled === 0 ? 0 : 1;
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      if (host !== undefined && !host.isStopped) {
        host.kill();
        await host.release();
      }
      configFile?.close();
      await telemetry.shutdown();
      await proxy.close();
      await sim.close();
      await settle();
      removeTemporary();
    }
  },
};

export type { CliIO };
