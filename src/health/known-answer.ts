/**
 * L3: a known-answer probe. On its schedule it asks its agent a question whose answer is known,
 * through the agent's real path (model client, policies, tools, guards), and judges the answer:
 * the expected one passes; a wrong one, a thrown error or no answer within `timeoutMs` fails.
 * After `failureThreshold` failures in a row its actions run; the next pass undoes what can be
 * undone (the unhealthy mark; the ladder, with `restoreAfterPasses`).
 *
 * Runs never overlap: the next one is scheduled `intervalMs` after the previous one ends, on the
 * injected clock. `stop()` cancels the timer and aborts a run in progress.
 */
import type { Clock, EventBus, Timer } from '../runtime/index.ts';
import { actOnFailure, actOnPass, type ActionContext, type ActionSource } from './actions.ts';
import { messageOf, withDeadline } from './deadline.ts';
import type { ProbeFailure } from './events.ts';
import { HEALTH_PROBE_DEFAULTS, type HealthAction, type KnownAnswerProbeOptions, type ProbeAnswer } from './options.ts';
import type { ProbeReport } from './report.ts';

const DETAIL_MAX = 200;

export class KnownAnswerProbe {
  private readonly source: ActionSource;
  private readonly actions: readonly HealthAction[];
  private readonly intervalMs: number;
  private readonly timeoutMs: number;
  private readonly threshold: number;
  private timer: Timer | undefined;
  private readonly stopping = new AbortController();
  private running: Promise<void> | undefined;
  private runs = 0;
  private failures = 0;
  private failuresInARow = 0;
  /** Failures in a row since the actions last ran. */
  private failuresSinceAction = 0;
  private passesInARow = 0;
  private lastRunAt: number | null = null;
  private lastFailure: ProbeFailure | null = null;
  private lastDetail: string | null = null;

  private readonly options: KnownAnswerProbeOptions;
  private readonly clock: Clock;
  private readonly bus: EventBus;
  private readonly ctx: ActionContext;

  constructor(options: KnownAnswerProbeOptions, clock: Clock, bus: EventBus, ctx: ActionContext) {
    this.options = options;
    this.clock = clock;
    this.bus = bus;
    this.ctx = ctx;
    this.source = { name: options.name, level: 'L3', child: options.child ?? options.name };
    this.actions = options.actions ?? [{ kind: 'mark_unhealthy' }];
    this.intervalMs = options.intervalMs ?? HEALTH_PROBE_DEFAULTS.intervalMs;
    this.timeoutMs = options.timeoutMs ?? HEALTH_PROBE_DEFAULTS.timeoutMs;
    this.threshold = options.failureThreshold ?? HEALTH_PROBE_DEFAULTS.failureThreshold;
  }

  get name(): string {
    return this.options.name;
  }

  get child(): string {
    return this.source.child;
  }

  /** Schedule the first run. */
  start(): void {
    this.schedule(this.options.initialDelayMs ?? HEALTH_PROBE_DEFAULTS.initialDelayMs);
  }

  /** Run once now (outside the schedule, which goes on); resolves when the verdict and its actions are done. */
  runNow(): Promise<void> {
    this.running ??= this.runOnce().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  /** Cancel the schedule and abort a run in progress; resolves once it has ended. */
  async stop(): Promise<void> {
    this.timer?.cancel();
    this.timer = undefined;
    this.stopping.abort(new Error('health stopped'));
    await this.running;
  }

  report(): ProbeReport {
    const status = this.lastRunAt === null ? 'unknown' : this.lastFailure !== null && this.failuresInARow > 0 ? 'failing' : 'passing';
    return {
      name: this.options.name,
      child: this.source.child,
      status,
      runs: this.runs,
      failures: this.failures,
      consecutiveFailures: this.failuresInARow,
      lastRunAt: this.lastRunAt,
      lastFailure: this.failuresInARow > 0 ? this.lastFailure : null,
      lastDetail: this.failuresInARow > 0 ? this.lastDetail : null,
    };
  }

  private schedule(delayMs: number): void {
    if (this.stopping.signal.aborted) return;
    this.timer = this.clock.setTimer(delayMs, () => {
      this.timer = undefined;
      void this.runNow()
        .catch((error: unknown) => this.bus.emit({ type: 'event.listener_failed', eventType: 'health.probe_failed', error }))
        .then(() => this.schedule(this.intervalMs));
    });
  }

  private async runOnce(): Promise<void> {
    const n = this.runs + 1;
    const outcome = await withDeadline(
      this.clock,
      this.timeoutMs,
      (signal) => this.options.agent.run(this.options.question, { signal, runId: `health-${this.options.name}-${n}` }),
      this.stopping.signal,
    );
    if (this.stopping.signal.aborted) return;
    this.runs = n;
    this.lastRunAt = this.clock.now();
    let failure: ProbeFailure | undefined;
    let detail = '';
    if (!outcome.ok) {
      failure = outcome.timedOut ? 'timeout' : 'error';
      detail = outcome.error;
    } else {
      const verdict = this.judge(outcome.value);
      if (verdict !== true) {
        failure = verdict === false ? 'wrong_answer' : 'error';
        detail = verdict === false ? String(outcome.value?.text) : verdict.error;
      }
    }
    if (failure === undefined) {
      this.failuresInARow = 0;
      this.failuresSinceAction = 0;
      this.passesInARow++;
      this.lastFailure = null;
      this.lastDetail = null;
      this.bus.emit({
        type: 'health.probe_passed',
        health: this.ctx.health,
        probe: this.options.name,
        child: this.source.child,
        durationMs: outcome.durationMs,
      });
      actOnPass(this.ctx, this.source, this.actions, this.passesInARow);
      return;
    }
    this.failures++;
    this.failuresInARow++;
    this.passesInARow = 0;
    this.lastFailure = failure;
    this.lastDetail = detail.slice(0, DETAIL_MAX);
    const consecutiveFailures = this.failuresInARow;
    this.bus.emit({
      type: 'health.probe_failed',
      health: this.ctx.health,
      probe: this.options.name,
      child: this.source.child,
      failure,
      detail: this.lastDetail,
      consecutiveFailures,
      durationMs: outcome.durationMs,
    });
    this.failuresSinceAction++;
    if (this.failuresSinceAction >= this.threshold) {
      this.failuresSinceAction = 0;
      await actOnFailure(this.ctx, this.source, this.actions);
    }
  }

  /** True for the known answer, false for another; an `expect` function that throws is an error. */
  private judge(answer: ProbeAnswer): boolean | { error: string } {
    const expect = this.options.expect;
    const text = typeof answer?.text === 'string' ? answer.text : '';
    if (typeof expect === 'string') return text.toLowerCase().includes(expect.toLowerCase());
    if (expect instanceof RegExp) return new RegExp(expect.source, expect.flags.replace('g', '')).test(text);
    try {
      return expect(answer) === true;
    } catch (error) {
      return { error: `expect threw: ${messageOf(error)}` };
    }
  }
}
