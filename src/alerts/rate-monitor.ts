/**
 * What the spend-rate and restart-rate monitors share: a sliding-window sum per subject on the
 * injected clock, an alert through the {@link AlertGate} when a subject's sum passes the bound,
 * and `alert.resolved` once a later observation finds it back within the bound.
 */
import type { Clock, EventBus } from '../runtime/index.ts';
import { AlertGate, type AlertKind, type AlertSeverity } from './alert.ts';
import { SlidingWindow } from './sliding-window.ts';

export interface RateRule {
  readonly monitor: string;
  readonly kind: AlertKind;
  max: number;
  windowMs: number;
  severity: AlertSeverity;
  /** The alert's message for a subject at `value`. */
  readonly describe: (subject: string, value: number, rule: RateRule) => string;
}

export class RateTracker {
  private readonly windows = new Map<string, SlidingWindow>();
  private readonly rule: RateRule;
  private readonly clock: Clock;
  private readonly gate: AlertGate;

  constructor(rule: RateRule, bus: EventBus, clock: Clock, cooldownMs: number) {
    this.rule = rule;
    this.clock = clock;
    this.gate = new AlertGate(rule.monitor, bus, clock, cooldownMs);
  }

  /** Count `amount` for `subject` now; alert if its window's sum passes the bound. */
  observe(subject: string, amount: number): void {
    if (!(amount > 0)) return;
    let window = this.windows.get(subject);
    if (window === undefined) {
      window = new SlidingWindow(this.rule.windowMs);
      this.windows.set(subject, window);
    }
    const now = this.clock.now();
    window.add(now, amount);
    const value = window.sum(now);
    const { kind, max, windowMs, severity } = this.rule;
    if (value > max) this.gate.raise({ kind, severity, subject, message: this.rule.describe(subject, value, this.rule), value, threshold: max, windowMs });
    else this.gate.resolve(kind, subject);
  }

  /** Change the bound, the window or the cool-down (each given); the windows keep what they hold. */
  retune(change: {
    readonly max?: number | undefined;
    readonly windowMs?: number | undefined;
    readonly severity?: AlertSeverity | undefined;
    readonly cooldownMs?: number | undefined;
  }): void {
    if (change.max !== undefined) this.rule.max = change.max;
    if (change.severity !== undefined) this.rule.severity = change.severity;
    if (change.cooldownMs !== undefined) this.gate.cooldownMs = change.cooldownMs;
    if (change.windowMs !== undefined) {
      this.rule.windowMs = change.windowMs;
      for (const w of this.windows.values()) w.windowMs = change.windowMs;
    }
  }

  /** The sum for `subject` over the window ending now. */
  current(subject: string): number {
    return this.windows.get(subject)?.sum(this.clock.now()) ?? 0;
  }
}
