/**
 * The health of a process: L1 liveness, L2 readiness, L3 known-answer probes, L4 quality
 * monitors, the actions they take, and restarts/MTBF/MTTR from the event stream, in one report.
 * `startHealth` checks every option first (nothing starts on a bad one), then starts the ping
 * process, the probes' schedules, the monitors' subscriptions, the reliability tracker and, with
 * `admin`, the HTTP endpoints. `stop()` undoes all of it.
 *
 * Readiness is the L2 checks *and* no child marked unhealthy: a child whose probe fails with
 * `mark_unhealthy` takes the process out of service (`/readyz` 503) until it passes again.
 */
import type { EventBus, Pid, Runtime } from '../runtime/index.ts';
import { InvalidSpecError } from '../runtime/index.ts';
import type { ActionContext } from './actions.ts';
import { startHealthServer, type HealthServer } from './health-server.ts';
import { KnownAnswerProbe } from './known-answer.ts';
import type { MovableLadder } from './level-ladder.ts';
import { checkPinger, spawnPinger } from './liveness.ts';
import { HEALTH_DEFAULTS, checkHealthOptions, type HealthServerOptions, type HealthOptions, type ReadinessCheck } from './options.ts';
import { QualityMonitor } from './quality.ts';
import { runReadinessCheck } from './readiness.ts';
import { ReliabilityTracker } from './reliability-tracker.ts';
import type { ReliabilityReport } from './reliability.ts';
import type { HealthReport, HealthStatus, HealthLevelResult } from './report.ts';
import './events.ts';

export class Health {
  readonly name: string;
  private admin: HealthServer | undefined;
  private readonly runtime: Runtime;
  private readonly bus: EventBus;
  private readonly livenessTimeoutMs: number;
  private readonly checks: readonly ReadinessCheck[];
  private readonly probes: readonly KnownAnswerProbe[];
  private readonly monitors: readonly QualityMonitor[];
  private readonly ladders: readonly MovableLadder[];
  private readonly unhealthy = new Map<string, Set<string>>();
  private readonly tracker: ReliabilityTracker;
  private readonly pinger: Pid;
  private lastReadiness: HealthLevelResult | null = null;
  private lastReady: boolean | undefined;
  private stopped = false;

  /** Use {@link startHealth}. */
  constructor(options: HealthOptions) {
    checkHealthOptions(options);
    this.name = options.name ?? HEALTH_DEFAULTS.name;
    this.runtime = options.runtime;
    this.bus = options.runtime.events;
    this.livenessTimeoutMs = options.livenessTimeoutMs ?? HEALTH_DEFAULTS.livenessTimeoutMs;
    this.checks = options.readiness ?? [];
    const ctx: ActionContext = {
      health: this.name,
      runtime: this.runtime,
      bus: this.bus,
      unhealthy: this.unhealthy,
      onRestarted: (source) => {
        for (const m of this.monitors) if (m.name === source.name || m.child === source.child) m.reset();
      },
    };
    this.tracker = new ReliabilityTracker(this.bus, this.runtime.clock);
    this.probes = (options.probes ?? []).map((p) => new KnownAnswerProbe(p, this.runtime.clock, this.bus, ctx));
    this.monitors = (options.quality ?? []).map((q) => new QualityMonitor(q, this.bus, ctx));
    const ladders = new Set<MovableLadder>(options.ladders ?? []);
    for (const list of [...(options.probes ?? []), ...(options.quality ?? [])]) {
      for (const a of list.actions ?? []) if (a.kind === 'degrade') ladders.add(a.ladder);
    }
    this.ladders = [...ladders];
    this.pinger = spawnPinger(this.runtime, this.name);
    for (const p of this.probes) p.start();
  }

  /** The admin HTTP server, when `admin` was given (or `serve()` was called). */
  get server(): HealthServer | undefined {
    return this.admin;
  }

  /** Serve `/healthz`, `/readyz` and `/health` on an admin port (127.0.0.1 by default). */
  async serve(options: HealthServerOptions = {}): Promise<HealthServer> {
    if (this.admin !== undefined) throw new InvalidSpecError(`health "${this.name}"`, 'admin', options, 'is already served');
    this.admin = await startHealthServer(this, options);
    return this.admin;
  }

  /** L1: the ping process answers. */
  async checkLiveness(): Promise<HealthLevelResult> {
    const checkedAt = this.runtime.clock.now();
    const ping = await checkPinger(this.runtime, this.pinger, this.livenessTimeoutMs);
    return { ok: ping.ok, checkedAt, checks: [ping] };
  }

  /** L2: every readiness check passes and no child is marked unhealthy. Emits `health.readiness_changed` on a change. */
  async checkReadiness(): Promise<HealthLevelResult> {
    const clock = this.runtime.clock;
    const checkedAt = clock.now();
    const checks = await Promise.all(this.checks.map((c) => runReadinessCheck(c, clock)));
    for (const [child, by] of [...this.unhealthy].sort(([a], [b]) => a.localeCompare(b))) {
      checks.push({ name: `child ${child}`, ok: false, durationMs: 0, error: `marked unhealthy by ${[...by].sort().join(', ')}` });
    }
    const result: HealthLevelResult = { ok: checks.every((c) => c.ok), checkedAt, checks };
    this.lastReadiness = result;
    if (result.ok !== this.lastReady) {
      this.lastReady = result.ok;
      this.bus.emit({ type: 'health.readiness_changed', health: this.name, ready: result.ok, failing: checks.filter((c) => !c.ok).map((c) => c.name) });
    }
    return result;
  }

  /** Run one probe now, outside its schedule (which goes on); resolves after its verdict and actions. */
  async runProbe(name: string): Promise<void> {
    const probe = this.probes.find((p) => p.name === name);
    if (probe === undefined)
      throw new InvalidSpecError(
        `health "${this.name}"`,
        'probe',
        name,
        `is not a probe here (probes: ${this.probes.map((p) => p.name).join(', ') || 'none'})`,
      );
    await probe.runNow();
  }

  /**
   * Record a grader's score (0 = bad, 1 = good) for an agent's output: a sample for every
   * quality monitor of that agent. Resolves once any actions it set off are done.
   */
  async grade(agent: string, score: number): Promise<void> {
    if (typeof score !== 'number' || !(score >= 0 && score <= 1)) {
      throw new InvalidSpecError(`health "${this.name}"`, 'score', score, 'must be a number from 0 to 1');
    }
    const monitors = this.monitors.filter((m) => m.agent === agent);
    for (const m of monitors) m.add(score);
    await Promise.all(monitors.map((m) => m.settled()));
  }

  /** Restarts, failures, MTBF and MTTR since the health started. */
  reliability(): ReliabilityReport {
    return this.tracker.report();
  }

  /**
   * The whole report. With `fresh` (what `/readyz` does) readiness is checked now; otherwise the
   * last readiness result is shown (what `/healthz` does, so liveness stays cheap).
   */
  async report(options: { readonly fresh?: boolean } = {}): Promise<HealthReport> {
    const liveness = await this.checkLiveness();
    const readiness = options.fresh === true ? await this.checkReadiness() : this.lastReadiness;
    const probes = this.probes.map((p) => p.report());
    const quality = this.monitors.map((m) => m.report());
    const ladders = this.ladders.map((l) => ({ name: l.name, level: l.level, index: l.levels.indexOf(l.level), levels: [...l.levels] }));
    const ready = readiness === null ? this.unhealthy.size === 0 : readiness.ok;
    const degraded = probes.some((p) => p.status === 'failing') || quality.some((q) => q.status === 'low') || ladders.some((l) => l.index > 0);
    const status: HealthStatus = !liveness.ok || !ready ? 'unhealthy' : degraded ? 'degraded' : 'ok';
    return {
      name: this.name,
      status,
      at: this.runtime.clock.now(),
      liveness,
      readiness,
      probes,
      quality,
      unhealthy: [...this.unhealthy.keys()].sort(),
      ladders,
      reliability: this.tracker.report(),
    };
  }

  /** Stop the probes (aborting a run in progress), the monitors, the tracker, the ping process and the admin server. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await Promise.all(this.probes.map((p) => p.stop()));
    for (const m of this.monitors) m.dispose();
    this.tracker.dispose();
    if (this.runtime.isAlive(this.pinger)) this.runtime.sendExit(this.pinger, 'kill');
    await this.admin?.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }
}

/**
 * Start the health checks of a process. Checks every option first: a bad one throws
 * `InvalidSpecError` naming the field, and nothing starts.
 */
export async function startHealth(options: HealthOptions): Promise<Health> {
  const health = new Health(options);
  if (options.admin !== undefined) {
    try {
      await health.serve(options.admin);
    } catch (error) {
      await health.stop();
      throw error;
    }
  }
  return health;
}
