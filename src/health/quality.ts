/**
 * L4: a rolling quality score of one agent. Each sample is a number in [0, 1]; the score is the
 * mean of the newest `windowSize` samples, judged once there are `minSamples`. Samples come from
 * the agent's own events and from graders:
 * - `agent.completed`: 1 (a run that ended with an answer that passed its checks);
 * - `agent.output_rejected`: 0 (an answer that failed the output schema and was asked again);
 * - `agent.guard_tripped`: 0 (a hallucinated tool, a loop, too many steps, output invalid after
 *   the re-asks, a budget);
 * - `Health.grade(agent, score)`: your grader's score (a judge model, a user's thumbs up/down).
 *
 * When the score falls below `minScore` the actions run once (`health.quality_changed` with
 * `low`); when it is back at or above, the unhealthy mark is cleared and ladders with
 * `restoreAfterPasses` step back up. After a restart the window is emptied: the new incarnation
 * is judged on its own samples.
 *
 * The agent layer sits above this one; nothing of it is imported: the monitor only reads the
 * `agent.*` events off the one bus.
 */
import type { Disposable, EventBus } from '../runtime/index.ts';
import { actOnFailure, actOnPass, type ActionContext, type ActionSource } from './actions.ts';
import { QUALITY_MONITOR_DEFAULTS, type HealthAction, type QualityMonitorOptions } from './options.ts';
import type { QualityReport } from './report.ts';

export class QualityMonitor implements Disposable {
  private readonly source: ActionSource;
  private readonly actions: readonly HealthAction[];
  private readonly windowSize: number;
  private readonly minSamples: number;
  private readonly minScore: number;
  private readonly samples: number[] = [];
  private sum = 0;
  private status: 'unknown' | 'ok' | 'low' = 'unknown';
  private acting: Promise<void> = Promise.resolve();
  private readonly subscriptions: Disposable[];

  private readonly options: QualityMonitorOptions;
  private readonly bus: EventBus;
  private readonly ctx: ActionContext;

  constructor(options: QualityMonitorOptions, bus: EventBus, ctx: ActionContext) {
    this.options = options;
    this.bus = bus;
    this.ctx = ctx;
    this.source = { name: options.name, level: 'L4', child: options.child ?? options.agent };
    this.actions = options.actions ?? [{ kind: 'mark_unhealthy' }];
    this.windowSize = options.windowSize ?? QUALITY_MONITOR_DEFAULTS.windowSize;
    this.minSamples = options.minSamples ?? QUALITY_MONITOR_DEFAULTS.minSamples;
    this.minScore = options.minScore ?? QUALITY_MONITOR_DEFAULTS.minScore;
    const agent = options.agent;
    this.subscriptions = [
      bus.on('agent.completed', (e) => e.agent === agent && this.add(1)),
      bus.on('agent.output_rejected', (e) => e.agent === agent && this.add(0)),
      bus.on('agent.guard_tripped', (e) => e.agent === agent && this.add(0)),
    ];
  }

  get name(): string {
    return this.options.name;
  }

  get agent(): string {
    return this.options.agent;
  }

  get child(): string {
    return this.source.child;
  }

  /** The score now: the window's mean, or null when it is empty. */
  get score(): number | null {
    return this.samples.length === 0 ? null : this.sum / this.samples.length;
  }

  /** Add a sample in [0, 1] (checked by the caller). */
  add(sample: number): void {
    this.samples.push(sample);
    this.sum += sample;
    if (this.samples.length > this.windowSize) this.sum -= this.samples.shift() ?? 0;
    this.judge();
  }

  /** Resolves when the actions started so far have finished (their supervisor calls answered). */
  settled(): Promise<void> {
    return this.acting;
  }

  /** Empty the window (after a restart): the status is unknown until `minSamples` new samples. */
  reset(): void {
    this.samples.length = 0;
    this.sum = 0;
    this.status = 'unknown';
  }

  report(): QualityReport {
    return {
      name: this.options.name,
      agent: this.options.agent,
      child: this.source.child,
      status: this.status,
      score: this.score,
      samples: this.samples.length,
      minScore: this.minScore,
    };
  }

  dispose(): void {
    for (const s of this.subscriptions) s.dispose();
  }

  [Symbol.dispose](): void {
    this.dispose();
  }

  private judge(): void {
    if (this.samples.length < this.minSamples) return;
    const score = this.sum / this.samples.length;
    const next = score < this.minScore ? 'low' : 'ok';
    if (next === this.status) return;
    const was = this.status;
    this.status = next;
    this.bus.emit({
      type: 'health.quality_changed',
      health: this.ctx.health,
      monitor: this.options.name,
      agent: this.options.agent,
      status: next,
      score,
      minScore: this.minScore,
      samples: this.samples.length,
    });
    const ctx = this.ctx;
    const actions = this.actions;
    const report = (error: unknown): void => this.bus.emit({ type: 'event.listener_failed', eventType: 'health.quality_changed', error });
    if (next === 'low') this.acting = this.acting.then(() => actOnFailure(ctx, this.source, actions)).catch(report);
    else if (was === 'low') this.acting = this.acting.then(() => actOnPass(ctx, this.source, actions, restoreCount(actions))).catch(report);
  }
}

/** A recovered score counts as enough passes for every `restoreAfterPasses`. */
function restoreCount(actions: readonly HealthAction[]): number {
  let n = 1;
  for (const a of actions) if (a.kind === 'degrade' && a.restoreAfterPasses !== undefined) n = lcm(n, a.restoreAfterPasses);
  return n;
}

function lcm(a: number, b: number): number {
  const gcd = (x: number, y: number): number => (y === 0 ? x : gcd(y, x % y));
  return (a * b) / gcd(a, b);
}
