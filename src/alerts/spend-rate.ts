/**
 * Spend-rate alerts: money or tokens spent per window, per subject, passing a bound (a loop
 * burning the budget is seen while it burns, not when the cap trips). Reads either the budget's
 * commits (`budget.spent`, one per scope it counts toward: subject = the scope) or the model
 * layer's metering (`llm.response`: subject = the client's name). Pick one source: the two report
 * the same calls.
 */
import { z } from 'zod';
import type { Usage } from '../llm/index.ts';
import { realClock, type Clock, type Disposable, type EventBus } from '../runtime/index.ts';
import { parseWith } from '../runtime/internal.ts';
import type { Spend } from '../resilience/index.ts';
import type { AlertSeverity } from './alert.ts';
import { RateTracker } from './rate-monitor.ts';

export interface SpendRateOptions {
  /** @default 'spend-rate' */
  readonly name?: string;
  readonly bus: EventBus;
  /** @default realClock */
  readonly clock?: Clock;
  /** `budget`: `budget.spent` events; `llm`: `llm.response` events. @default 'budget' */
  readonly from?: 'budget' | 'llm';
  /** @default 'usd' */
  readonly unit?: 'usd' | 'tokens';
  /** Most spend within `windowMs` (in `unit`); more raises `spend_rate`. */
  readonly maxPerWindow: number;
  /** @default 3_600_000 (an hour) */
  readonly windowMs?: number;
  /** Only this subject (budget scope or client name). @default every subject, each on its own */
  readonly subject?: string;
  /** @default 300_000 */
  readonly cooldownMs?: number;
  /** @default 'warning' */
  readonly severity?: AlertSeverity;
}

export const SPEND_RATE_DEFAULTS = Object.freeze({
  name: 'spend-rate',
  from: 'budget',
  unit: 'usd',
  windowMs: 3_600_000,
  cooldownMs: 300_000,
  severity: 'warning',
});

const tunablesSchema = z.strictObject({
  maxPerWindow: z.number().finite().gt(0).optional(),
  windowMs: z.number().finite().gt(0).optional(),
  cooldownMs: z.number().finite().min(0).optional(),
  severity: z.enum(['warning', 'critical']).optional(),
});

/** What `configure` changes while the monitor runs. */
export type SpendRateTunables = Partial<Pick<SpendRateOptions, 'maxPerWindow' | 'windowMs' | 'cooldownMs' | 'severity'>>;

const optionsSchema = z.strictObject({
  name: z.string().min(1).optional(),
  bus: z.custom<EventBus>((v) => typeof (v as EventBus | undefined)?.on === 'function', { message: 'must be an EventBus' }),
  clock: z.custom<Clock>((v) => typeof (v as Clock | undefined)?.now === 'function', { message: 'must be a Clock' }).optional(),
  from: z.enum(['budget', 'llm']).optional(),
  unit: z.enum(['usd', 'tokens']).optional(),
  maxPerWindow: z.number().finite().gt(0),
  windowMs: z.number().finite().gt(0).optional(),
  subject: z.string().min(1).optional(),
  cooldownMs: z.number().finite().min(0).optional(),
  severity: z.enum(['warning', 'critical']).optional(),
});

export class SpendRateMonitor implements Disposable {
  readonly name: string;
  private readonly bus: EventBus;
  private readonly tracker: RateTracker;
  private readonly subscription: Disposable;

  constructor(options: SpendRateOptions) {
    const o = parseWith(typeof options?.name === 'string' ? `spend-rate monitor "${options.name}"` : 'spend-rate monitor', optionsSchema, options);
    const d = SPEND_RATE_DEFAULTS;
    this.name = o.name ?? d.name;
    this.bus = o.bus;
    const unit = o.unit ?? 'usd';
    const windowMs = o.windowMs ?? d.windowMs;
    const shown = (n: number): string => (unit === 'usd' ? `$${n.toFixed(4).replace(/\.?0+$/, '')}` : `${n} tokens`);
    this.tracker = new RateTracker(
      {
        monitor: this.name,
        kind: 'spend_rate',
        max: o.maxPerWindow,
        windowMs,
        severity: o.severity ?? 'warning',
        describe: (subject, value, rule) => `"${subject}" spent ${shown(value)} within ${rule.windowMs} ms (at most ${shown(rule.max)})`,
      },
      o.bus,
      o.clock ?? realClock,
      o.cooldownMs ?? d.cooldownMs,
    );
    const wanted = (subject: string): boolean => o.subject === undefined || o.subject === subject;
    this.subscription =
      (o.from ?? 'budget') === 'budget'
        ? o.bus.on('budget.spent', (e) => {
            if (wanted(e.scope)) this.tracker.observe(e.scope, amountOf(e.spend, unit));
          })
        : o.bus.on('llm.response', (e) => {
            if (wanted(e.client)) this.tracker.observe(e.client, unit === 'usd' ? (e.costUsd ?? 0) : tokensOf(e.usage));
          });
  }

  /**
   * Change the bound, window, cool-down or severity while running (bind it to a `HotConfig`);
   * a bad value throws `InvalidSpecError` naming the field and changes nothing. The windows keep
   * the spend they hold.
   */
  configure(patch: SpendRateTunables): void {
    const p = parseWith(`spend-rate monitor "${this.name}"`, tunablesSchema, patch);
    this.tracker.retune({ max: p.maxPerWindow, windowMs: p.windowMs, cooldownMs: p.cooldownMs, severity: p.severity });
    this.bus.emit({ type: 'policy.configured', kind: 'spend_rate_monitor', policy: this.name, changed: Object.keys(p) });
  }

  /** Spend of `subject` within the window ending now. */
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

function amountOf(spend: Readonly<Spend>, unit: 'usd' | 'tokens'): number {
  return (unit === 'usd' ? spend.usd : spend.tokens) ?? 0;
}

function tokensOf(usage: Usage): number {
  return usage.totalTokens;
}
