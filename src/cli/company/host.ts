/**
 * One incarnation of the company's host: a runtime, the store opened on the company's database,
 * and the supervision tree on them.
 *
 *   company       one_for_one   intensity 20 / 60 s
 *   ├─ memory       the MCP memory server, a child OS process (Streamable HTTP on a fixed port,
 *   │               the graph in the company's store); killed, it is started again on that port
 *   ├─ departments  one_for_one   intensity 30 / 60 s
 *   │  ├─ ceo, cfo, coo, marketing, accountant, lawyer, cto, improver   (agents, by name)
 *   │  └─ ceo-desk, ...   (each subscribed to consult.<department>)
 *   └─ scheduler    starts each due slot of the four jobs as a durable run
 *
 * Each incarnation publishes its snapshot (the tree, the model's breakers, the budget, health
 * and alerts) to the store for `warden dashboard --db`, every virtual 10 minutes on the virtual
 * clock, every 2 s on the real one; its writes are counted on the wire like every store call.
 *
 * `kill()` is the host dying at once (power cut, kill -9): every process killed where it stands,
 * nothing shut down in order, no more snapshots (the last one goes stale); `close()` afterwards lets go of what a dead process would have
 * lost anyway (its store connections, its sockets). A new `CompanyHost` on the same database
 * is the restart: it reopens the store, its scheduler finds the slots that are due or were left
 * half done, and their runs resume from the journal.
 */
import { Runtime, VirtualClock, isNormalExit, reply, seededRandom, type Clock, type Disposable, type Pid, type Timer } from '../../runtime/index.ts';
import type { Telemetry } from '../../otel/index.ts';
import type { HotConfig } from '../../config/index.ts';
import type { CompanyConfig } from './config.ts';
import { server, startSupervisor, stopSupervisor, supervisor, whichChildren, type ChildSpec } from '../../supervisor/index.ts';
import { agentChild } from '../../agent/index.ts';
import { DurableHost, HOST_SNAPSHOT_DEFAULTS, publishHostSnapshots, type HostSnapshotPublisher } from '../../durable/index.ts';
import { anthropicMessages, createModelClient, openaiChat } from '../../llm/index.ts';
import type { Budget, PricingTable } from '../../resilience/index.ts';
import { memoryServer } from '../../memory/index.ts';
import { defineSchedule, schedulerChild, type Scheduler } from '../../scheduler/index.ts';
import { startHealth, type Health, type HealthOptions } from '../../health/index.ts';
import { AlertHistory, RestartRateMonitor, SpendRateMonitor, SubagentCountMonitor } from '../../alerts/index.ts';
import { openStore, type Store } from '../../store/index.ts';
import { DEPARTMENTS, departmentAgents, desk } from './departments.ts';
import { COMPANY_JOBS, companyRuns, type CompanyRun } from './jobs.ts';
import type { Ledger } from './ledger.ts';
import { MemoryClient } from './memory-client.ts';
import { withoutPrefix, type CompanyPlan, type HostRestart } from './plan.ts';
import type { CompanyStats } from './stats.ts';
import type { Wire, WireScope } from './wire.ts';

export const OWNER = 'solo-co';

/** How often a host publishes its snapshot on the virtual clock (a week is 1008 of them). */
export const VIRTUAL_SNAPSHOT_MS = 10 * 60_000;

export const SIM_PRICING: PricingTable = {
  'sim-small': { inputPerMTok: 0.15, outputPerMTok: 0.6 },
  'sim-large': { inputPerMTok: 0.8, outputPerMTok: 4 },
};

/** What outlives a host: the clock, the database, the provider, the ledger, the plan, the counts. */
export interface CompanyWorld {
  readonly clock: Clock;
  readonly db: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  readonly plan: CompanyPlan;
  /** This company run's prefix on schedule and run ids (`c1-`: see `PREFIX`). */
  readonly prefix: string;
  readonly ledger: Ledger;
  readonly proxyUrl: string;
  readonly budget: Budget;
  readonly stats: CompanyStats;
  readonly wire: Wire;
  /** Faults of the plan already done (each happens once, whichever incarnation meets it). */
  readonly done: Set<string>;
  /** The live configuration (the alerts' bounds), bound by every incarnation. */
  readonly config: HotConfig<CompanyConfig>;
  /** OpenTelemetry export, when the OTEL_* variables ask for it (else a handle that does nothing). */
  readonly telemetry: Telemetry;
  /** The alerts raised, as report lines, across incarnations. */
  readonly alerts: string[];
  /** Known-answer probes passed and failed, across incarnations. */
  readonly probes: { passed: number; failed: number };
  /** A line for the running log. */
  log(who: string, text: string): void;
  /** The plan asks for the host to die now, in the middle of a run. */
  hostDies(restart: HostRestart): void;
}

export class CompanyHost {
  readonly rt: Runtime;
  readonly store: Store;
  readonly incarnation: number;
  private readonly world: CompanyWorld;
  private readonly scope: WireScope;
  private readonly memory: MemoryClient;
  private readonly durable: DurableHost;
  private root: Pid | undefined;
  private dead = false;
  private stopped = false;
  private scheduler: Scheduler | undefined;
  private health: Health | undefined;
  private instrumented: Disposable | undefined;
  private publisher: HostSnapshotPublisher | undefined;
  /** The publisher's timers, which die with the host (a dead process publishes nothing). */
  private readonly timers: HostTimers;
  /** This incarnation's monitors bound to the live configuration. */
  private readonly bindings: Disposable[] = [];

  private constructor(world: CompanyWorld, incarnation: number, rt: Runtime, store: Store, scope: WireScope, memory: MemoryClient, durable: DurableHost) {
    this.world = world;
    this.incarnation = incarnation;
    this.rt = rt;
    this.store = store;
    this.scope = scope;
    this.memory = memory;
    this.durable = durable;
    this.timers = new HostTimers(world.clock);
  }

  /** Open the store and start the tree; `memoryPort` is this incarnation's memory server port. */
  static async start(world: CompanyWorld, incarnation: number, memoryPort: number): Promise<CompanyHost> {
    const { clock } = world;
    const rt = new Runtime({ clock });
    const scope = world.wire.scope();
    const store = scope.countStore(await openStore({ db: world.db, env: world.env, cwd: world.cwd }));
    scope.followModel(rt.events);
    const memory = new MemoryClient({ url: `http://127.0.0.1:${memoryPort}/mcp`, clock, onWire: (d) => scope.add(d) });
    const models = [
      openaiChat({ model: 'sim-small', apiKey: 'sk-company', baseURL: `${world.proxyUrl}/v1`, maxOutputTokens: 512, clock }),
      anthropicMessages({ model: 'sim-large', apiKey: 'sk-company', baseURL: world.proxyUrl, maxOutputTokens: 512, clock }),
    ];
    await Promise.all(models.map((m) => m.loadSdk()));
    const model = createModelClient({
      name: 'company',
      models,
      retry: { maxAttempts: 3, baseDelayMs: 500, maxDelayMs: 4_000, maxRetryAfterMs: 5_000 },
      timeoutMs: 60_000,
      budget: world.budget,
      pricing: SIM_PRICING,
      clock,
      random: seededRandom(world.plan.seed * 31 + incarnation),
      bus: rt.events,
    });
    const office = { rt, model, memory, ledger: world.ledger, budget: world.budget };
    const agents = departmentAgents(office);
    // Anomaly alerts on this incarnation's stream: two memory syncs at once (the seed's
    // incident), restarts coming too fast, spend per hour over its bound.
    const subagents = new SubagentCountMonitor({
      bus: rt.events,
      clock,
      runtime: rt,
      limits: [
        { kind: 'memory-sync', max: 1, action: 'alert' },
        { kind: 'memory-server', max: 1, action: 'alert' },
      ],
    });
    const bounds = world.config.current.alerts;
    const restarts = new RestartRateMonitor({ bus: rt.events, clock, ...bounds.restarts, by: 'child', cooldownMs: 6 * 3_600_000 });
    const spend = new SpendRateMonitor({ bus: rt.events, clock, from: 'llm', ...bounds.spend, cooldownMs: 6 * 3_600_000 });
    const runs = companyRuns({ rt, memory, ledger: world.ledger, prefix: world.prefix, subagents });
    const durable = new DurableHost({ store, runs: Object.values(runs), owner: OWNER, clock, bus: rt.events, pollMs: 10 * 60_000 });
    const host = new CompanyHost(world, incarnation, rt, store, scope, memory, durable);
    host.instrumented = world.telemetry.instrument(rt.events, { runtime: rt });
    host.bindings.push(world.config.bind('alerts.restarts', restarts), world.config.bind('alerts.spend', spend));
    host.follow();

    const departments: ChildSpec[] = DEPARTMENTS.flatMap((d) => [
      { id: d, start: agentChild(agents[d], { store, register: d, owner: OWNER, pollMs: 1_000 }) },
      { id: `${d}-desk`, start: desk(d) },
    ]);
    host.root = await startSupervisor(rt, {
      name: 'company',
      strategy: 'one_for_one',
      intensity: 20,
      periodSeconds: 60,
      children: [
        { id: 'memory', start: memoryServer({ backend: { db: world.db, graph: 'company' }, http: { port: memoryPort } }) },
        { id: 'departments', start: supervisor({ name: 'departments', strategy: 'one_for_one', intensity: 30, periodSeconds: 60, children: departments }) },
        { id: 'scheduler', start: host.schedulerChild(runs) },
        {
          id: 'health',
          start: host.healthChild({
            name: 'company',
            readiness: [{ kind: 'store', store }],
            // L3: every six hours the CFO is asked a question whose answer is known, through the real agent and model.
            probes: [
              {
                name: 'cfo-arithmetic',
                agent: agents.cfo,
                question: 'What is 2 + 2? Answer with the number.',
                expect: '4',
                child: 'cfo',
                intervalMs: 6 * 3_600_000,
                timeoutMs: 60_000,
                actions: [{ kind: 'mark_unhealthy' }],
              },
            ],
          }),
        },
      ],
    });
    const history = new AlertHistory({ bus: rt.events });
    host.bindings.push(history);
    host.publisher = await publishHostSnapshots({
      store,
      host: OWNER,
      runtime: rt,
      trees: [{ name: 'company', supervisor: host.root }],
      breakers: model.breakers.filter((b) => b !== undefined),
      budgets: [world.budget],
      health: () => host.health?.report(),
      alerts: () => history.list(),
      extra: () => ({ incarnation }),
      intervalMs: clock instanceof VirtualClock ? VIRTUAL_SNAPSHOT_MS : HOST_SNAPSHOT_DEFAULTS.intervalMs,
      clock: host.timers,
    });
    await memory.call('create_entities', {
      entities: [
        { name: 'Solo Co.', entityType: 'company', observations: ['a one-person company run by eight department agents'] },
        { name: 'memory-sync', entityType: 'job', observations: [] },
      ],
    });
    // What a dead incarnation left half done (the slot runs it was executing) resumes here.
    await durable.recover();
    durable.serve();
    return host;
  }

  get isDead(): boolean {
    return this.dead;
  }

  get isStopped(): boolean {
    return this.stopped;
  }

  /** Resolves when the slot runs in flight here have ended. */
  async idle(): Promise<void> {
    await this.scheduler?.idle();
  }

  /** One last scheduler pass (every slot due by now is started), then wait for the slot runs to end. */
  async finishDue(): Promise<void> {
    if (this.scheduler === undefined || this.dead) return;
    await this.scheduler.tick();
    await this.scheduler.idle();
  }

  /** Start no more slots (the ones in flight go on). */
  async stopScheduling(): Promise<void> {
    await this.scheduler?.close();
  }

  /** The scheduler's own record of the slots (for comparison with the ledger). */
  async scheduledCounts(): Promise<{ completed: number; failed: number; missed: number }> {
    const infos = ((await this.scheduler?.schedules.list()) ?? []).filter((i) => i.id.startsWith(this.world.prefix));
    return infos.reduce((a, i) => ({ completed: a.completed + i.counts.completed, failed: a.failed + i.counts.failed, missed: a.missed + i.counts.missed }), {
      completed: 0,
      failed: 0,
      missed: 0,
    });
  }

  /**
   * The durable scheduler as a supervised child: each job a schedule in the store, each slot a
   * durable run whose id names the slot. Slots that came due while the host was down are caught
   * up (`catchUp: 'all'`), one waiting for the one before (`overlap: 'queue'`); a slot left half
   * done by a dead host is resumed by the durable host's recovery, not started again.
   */
  private schedulerChild(runs: Record<string, CompanyRun>) {
    const { plan } = this.world;
    return schedulerChild({
      host: this.durable,
      schedules: COMPANY_JOBS.map((job) =>
        defineSchedule({
          id: `${this.world.prefix}${job.name}`,
          run: runs[job.name]!,
          cron: job.cron,
          timeZone: 'UTC',
          catchUp: 'all',
          catchUpLimit: 48,
          overlap: 'queue',
          queueLimit: 48,
          startAt: plan.startMs,
          endAt: plan.endMs - 1,
          description: job.describe,
        }),
      ),
      // Slots wake the scheduler at their time; the poll only notices runs that ended elsewhere.
      pollMs: 10 * 60_000,
      random: seededRandom(plan.seed),
      onOpen: (scheduler) => {
        this.scheduler = scheduler;
      },
    });
  }

  /**
   * The health checks as a supervised child (what `healthChild` does), keeping a handle on them:
   * when the host dies, its probe timers die with it, as they would with the process.
   */
  private healthChild(options: Omit<HealthOptions, 'runtime'>) {
    return server<Health, undefined>({
      trapExits: true,
      init: async (ctx) => {
        this.health = await startHealth({ ...options, runtime: ctx.runtime });
        return this.health;
      },
      handleCall: async (_request, _from, health) => reply(await health.report({ fresh: true }), health),
      terminate: (_reason, health) => health.stop(),
    });
  }

  /** Listen to this incarnation's events: the counts, the log, and the plan's crashes. */
  private follow(): void {
    const { rt, world } = this;
    const { stats, plan, done, clock } = world;
    rt.events.on('agent.model_called', (event) => {
      const e = { ...event, runId: withoutPrefix(event.runId) };
      if (e.replayed) {
        stats.replayedCalls++;
        stats.replayedUsd += e.costUsd;
      }
      if (e.replayed || this.dead) return;
      const crash = plan.agentCrashes.find((c) => c.runId === e.runId && c.department === e.agent);
      const crashKey = `crash ${e.runId}`;
      if (crash !== undefined && e.step === 1 && !done.has(crashKey)) {
        const pid = rt.whereis(crash.department);
        if (pid !== undefined) {
          done.add(crashKey);
          stats.agentCrashes++;
          world.log(crash.department, `killed mid-run (${e.runId}, model#1 journaled)`);
          rt.sendExit(pid, 'kill');
        }
      }
      const restart = plan.hostRestarts.find((r) => r.kind === 'mid-run' && r.runId === e.runId && r.step === e.step);
      const restartKey = `host ${e.runId}`;
      if (restart !== undefined && !done.has(restartKey)) {
        done.add(restartKey);
        world.log('host', `dies mid-run (${e.runId}, model#${e.step} journaled, its post not sent yet)`);
        this.kill();
        world.hostDies(restart);
      }
    });
    rt.events.on('run.step_replayed', () => stats.replayedSteps++);
    rt.events.on('llm.response', () => stats.paidCalls++);
    rt.events.on('alert.raised', ({ alert }) => {
      const line = `${alert.severity} ${alert.kind} ${alert.subject}: ${alert.message}`;
      world.alerts.push(`${dayClock(plan.startMs, clock.now())}  ${line}`);
      world.log('alert', line);
    });
    rt.events.on('health.probe_passed', () => world.probes.passed++);
    rt.events.on('health.probe_failed', (e) => {
      world.probes.failed++;
      world.log('health', `probe ${e.probe} failed (${e.failure}: ${e.detail.slice(0, 100)})`);
    });
    rt.events.on('retry.attempt_failed', () => stats.retries++);
    rt.events.on('llm.fallback', () => stats.fallbacks++);
    rt.events.on('supervisor.child_exited', (e) => {
      if (this.dead || isNormalExit(e.reason) || e.reason === 'shutdown') return;
      stats.down(e.childId, clock.now());
      if (e.childId === 'memory') this.scope.setMemoryDown(true);
    });
    rt.events.on('supervisor.child_restarted', (e) => {
      stats.restarts++;
      stats.up(e.childId, clock.now());
      if (e.childId === 'memory') {
        this.scope.setMemoryDown(false);
        world.log('memory', 'restarted by its supervisor on the same port');
      }
    });
  }

  /** SIGKILL the memory server's OS process (its supervisor starts it again). */
  async killMemoryServer(): Promise<boolean> {
    if (this.dead || this.root === undefined) return false;
    const child = (await whichChildren(this.rt, this.root)).find((c) => c.id === 'memory');
    if (child === undefined || child.pid === 'restarting' || child.pid === undefined) return false;
    const { osPid } = await this.rt.call<{ osPid: number }>(child.pid as Pid, 'os_pid');
    this.scope.setMemoryDown(true);
    process.kill(osPid, 'SIGKILL');
    return true;
  }

  /** Die at once: every process killed where it stands, the host's timers and listeners with them. */
  kill(): void {
    if (this.dead) return;
    this.dead = true;
    const now = this.world.clock.now();
    for (const d of DEPARTMENTS) this.world.stats.down(d, now);
    this.world.stats.down('memory', now);
    this.rt.killAll();
    this.timers.cancelAll();
    // What lived in the dead process besides its Warden processes goes with it: the probes'
    // timers, the durable host's polls and lease renewals.
    void this.health?.stop();
    void this.durable.close();
    this.instrumented?.dispose();
    for (const b of this.bindings) b.dispose();
    this.scope.drop();
  }

  /** After `kill()`: let go of the store, the durable host and the memory session, as the dead process would have. */
  async release(): Promise<void> {
    await this.durable.close().catch(() => undefined);
    await this.memory.close().catch(() => undefined);
    await this.store.close().catch(() => undefined);
  }

  /** Orderly shutdown: the tree stopped in reverse order, the runs in flight left for recovery. */
  async stop(): Promise<void> {
    await this.scheduler?.close();
    // A last snapshot marked stopped, while the tree is still there to show.
    if (!this.dead) await this.publisher?.stop().catch(() => undefined);
    if (!this.dead && this.root !== undefined && this.rt.isAlive(this.root)) await stopSupervisor(this.rt, this.root);
    this.dead = true;
    this.instrumented?.dispose();
    for (const b of this.bindings) b.dispose();
    this.scope.drop();
    await this.release();
    this.stopped = true;
  }

  /** The host is up again: the components it brought back are up. */
  markUp(): void {
    const now = this.world.clock.now();
    for (const d of DEPARTMENTS) this.world.stats.up(d, now);
    this.world.stats.up('memory', now);
  }
}

/** The host's clock for what dies with the host: `cancelAll()` cancels every timer it set and refuses new ones. */
class HostTimers implements Clock {
  private readonly clock: Clock;
  private readonly live = new Set<Timer>();
  private dead = false;
  constructor(clock: Clock) {
    this.clock = clock;
  }
  now(): number {
    return this.clock.now();
  }
  setTimer(delayMs: number, callback: () => void): Timer {
    if (this.dead) return { cancel() {} };
    const timer = this.clock.setTimer(delayMs, () => {
      this.live.delete(timer);
      callback();
    });
    this.live.add(timer);
    return {
      cancel: () => {
        this.live.delete(timer);
        timer.cancel();
      },
    };
  }
  sleep(delayMs: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted === true) return reject(signal.reason);
      const onAbort = (): void => {
        timer.cancel();
        reject(signal?.reason);
      };
      const timer = this.setTimer(delayMs, () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      });
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
  cancelAll(): void {
    this.dead = true;
    for (const t of this.live) t.cancel();
    this.live.clear();
  }
}

/** `day 3 14:00`: a time in the run's window. */
export function dayClock(startMs: number, nowMs: number): string {
  return `day ${Math.floor((nowMs - startMs) / 86_400_000) + 1} ${new Date(nowMs).toISOString().slice(11, 16)}`;
}
