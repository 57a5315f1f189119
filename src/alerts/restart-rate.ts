/**
 * Restart-rate alerts: supervisor restarts per window passing a bound, per child (`by: 'child'`,
 * subject `<supervisor name>/<child id>`) or per supervisor. Set it below the supervisor's own
 * intensity to hear of a crash loop before the supervisor gives up and escalates.
 */
import { z } from 'zod';
import { realClock, type Clock, type Disposable, type EventBus } from '../runtime/index.ts';
import { parseWith } from '../runtime/internal.ts';
import type { SupervisorChildEvent } from '../supervisor/index.ts';
import type { AlertSeverity } from './alert.ts';
import { RateTracker } from './rate-monitor.ts';

export interface RestartRateOptions {
  /** @default 'restart-rate' */
  readonly name?: string;
  readonly bus: EventBus;
  /** @default realClock */
  readonly clock?: Clock;
  /** Most restarts within `windowMs`; more raises `restart_rate`. */
  readonly maxRestarts: number;
  /** @default 60_000 */
  readonly windowMs?: number;
  /** Count per child or per supervisor. @default 'child' */
  readonly by?: 'child' | 'supervisor';
  /** @default 60_000 */
  readonly cooldownMs?: number;
  /** @default 'critical' */
  readonly severity?: AlertSeverity;
}

export const RESTART_RATE_DEFAULTS = Object.freeze({ name: 'restart-rate', windowMs: 60_000, by: 'child', cooldownMs: 60_000, severity: 'critical' });

const tunablesSchema = z.strictObject({
  maxRestarts: z.number().int().min(0).optional(),
  windowMs: z.number().finite().gt(0).optional(),
  cooldownMs: z.number().finite().min(0).optional(),
  severity: z.enum(['warning', 'critical']).optional(),
});

/** What `configure` changes while the monitor runs. */
export type RestartRateTunables = Partial<Pick<RestartRateOptions, 'maxRestarts' | 'windowMs' | 'cooldownMs' | 'severity'>>;

const optionsSchema = z.strictObject({
  name: z.string().min(1).optional(),
  bus: z.custom<EventBus>((v) => typeof (v as EventBus | undefined)?.on === 'function', { message: 'must be an EventBus' }),
  clock: z.custom<Clock>((v) => typeof (v as Clock | undefined)?.now === 'function', { message: 'must be a Clock' }).optional(),
  maxRestarts: z.number().int().min(0),
  windowMs: z.number().finite().gt(0).optional(),
  by: z.enum(['child', 'supervisor']).optional(),
  cooldownMs: z.number().finite().min(0).optional(),
  severity: z.enum(['warning', 'critical']).optional(),
});

export class RestartRateMonitor implements Disposable {
  readonly name: string;
  private readonly bus: EventBus;
  private readonly tracker: RateTracker;
  private readonly subscription: Disposable;

  constructor(options: RestartRateOptions) {
    const o = parseWith(typeof options?.name === 'string' ? `restart-rate monitor "${options.name}"` : 'restart-rate monitor', optionsSchema, options);
    const d = RESTART_RATE_DEFAULTS;
    this.name = o.name ?? d.name;
    this.bus = o.bus;
    const windowMs = o.windowMs ?? d.windowMs;
    this.tracker = new RateTracker(
      {
        monitor: this.name,
        kind: 'restart_rate',
        max: o.maxRestarts,
        windowMs,
        severity: o.severity ?? 'critical',
        describe: (subject, value, rule) => `"${subject}" restarted ${value} times within ${rule.windowMs} ms (at most ${rule.max})`,
      },
      o.bus,
      o.clock ?? realClock,
      o.cooldownMs ?? d.cooldownMs,
    );
    const subjectOf = (e: SupervisorChildEvent): string => ((o.by ?? d.by) === 'child' ? `${e.name}/${e.childId}` : e.name);
    this.subscription = o.bus.on('supervisor.child_restarted', (e) => this.tracker.observe(subjectOf(e), 1));
  }

  /**
   * Change the bound, window, cool-down or severity while running (bind it to a `HotConfig`);
   * a bad value throws `InvalidSpecError` naming the field and changes nothing.
   */
  configure(patch: RestartRateTunables): void {
    const p = parseWith(`restart-rate monitor "${this.name}"`, tunablesSchema, patch);
    this.tracker.retune({ max: p.maxRestarts, windowMs: p.windowMs, cooldownMs: p.cooldownMs, severity: p.severity });
    this.bus.emit({ type: 'policy.configured', kind: 'restart_rate_monitor', policy: this.name, changed: Object.keys(p) });
  }

  /** Restarts of `subject` within the window ending now. */
  current(subject: string): number {
    return this.tracker.current(subject);
  }

  dispose(): void {
    this.subscription.dispose();
  }

  [Symbol.dispose](): void {
    this.dispose();
  }
}
