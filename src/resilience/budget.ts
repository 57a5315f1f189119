/**
 * Budgets: caps on cost (USD), tokens, wall time and steps, in nested scopes
 * (global → agent → run, or any tree). Spend in a scope counts toward every scope above it.
 *
 * A call first *reserves* its estimate in its scope and every ancestor; the reservation is
 * refused with {@link BudgetExceededError} (naming the scope, unit, cap, spend, this reservation
 * and what remains) when, in any of those scopes, the spend plus the reservations of calls in
 * flight plus this estimate would pass the cap, or nothing is left. The call then *commits* what
 * it actually spent (or releases the reservation). Reserving and checking happen in one
 * synchronous step, so concurrent calls cannot both take the last of a budget: when every
 * estimate is an upper bound of what its call can spend (the model layer reserves the prompt plus
 * the whole output cap), the spend never passes the cap, however many calls run at once. An
 * estimate that is not an upper bound lets a call overshoot by what it spent beyond it.
 *
 * {@link Budget.acquire} (and `run`/`execute`, which use it) also reserves in the `ledger` of
 * every scope that has one, so the same holds across processes; `reserve()` alone stays per
 * process. A reservation settles its ledgers when it is committed or released
 * ({@link Reservation.recorded} resolves once they have recorded it).
 *
 * Wall time is the time since the scope was created, on the injected clock; once it reaches the
 * cap, the scope refuses further calls (a running call is not interrupted: pair it with a
 * `Timeout` for that). A step is one call unless the estimate says otherwise.
 */
import { z } from 'zod';
import { WardenError, realClock, type Clock, type EventBus } from '../runtime/index.ts';
import { LiveConfig, parseWith, reportConfigured, schemas, type WiringOptions } from './options.ts';
import { contextFor, type Policy, type PolicyContext, type Work } from './policy.ts';
import { costUsd, definePricing, totalTokens, type PricingTable, type TokenUsage } from './pricing.ts';
import type { BudgetLedger, LedgerReservation } from './sharing.ts';

export type BudgetUnit = 'usd' | 'tokens' | 'wall_ms' | 'steps';

/** Caps of one scope; an omitted cap is unlimited. */
export interface BudgetLimits {
  readonly usd?: number;
  readonly tokens?: number;
  readonly wallMs?: number;
  readonly steps?: number;
}

/**
 * An amount spent (or estimated) by a call, in a budget's units: the one shape of spend. A model
 * call commits one (`steps: 1` with its USD and tokens); an agent journals the USD and tokens each
 * step took (`StepSpend`, the same fields).
 */
export interface Spend {
  readonly usd?: number;
  readonly tokens?: number;
  readonly steps?: number;
}

/** A call was refused because a scope's cap would be passed (or has been reached). Not retryable. */
export class BudgetExceededError extends WardenError<
  'BUDGET_EXCEEDED',
  {
    /** Path of the scope whose cap stopped the call: `global/agent:ceo/run:42`. */
    scope: string;
    unit: BudgetUnit;
    limit: number;
    /** Committed spend of that scope in `unit` when the call was refused. */
    spent: number;
    /** What the refused call asked to reserve, plus what calls in flight hold, in `unit`. */
    requested: number;
    /** What the refused call alone asked to reserve, in `unit` (its upper bound for a model call). */
    reservation: number;
    /** What was left of the cap for this call: limit less spend less what calls in flight hold (never below 0). */
    remaining: number;
  }
> {
  constructor(scope: string, unit: BudgetUnit, limit: number, spent: number, requested: number, reservation = requested) {
    const inFlight = Math.max(0, requested - reservation);
    const remaining = Math.max(0, limit - spent - inFlight);
    super(
      'BUDGET_EXCEEDED',
      `budget "${scope}" would exceed its ${unit} cap: limit ${limit}, spent ${round(spent)}` +
        (inFlight > 0 ? `, held by calls in flight ${round(inFlight)}` : '') +
        (reservation > 0 ? `, this call reserves ${round(reservation)} with ${round(remaining)} remaining` : '') +
        '; raise the cap or stop the work',
      { scope, unit, limit, spent, requested, reservation: round(reservation), remaining: round(remaining) },
    );
  }
}

function round(n: number): number {
  return Math.round(n * 1e6) / 1e6;
}

export interface BudgetTunables {
  /** Caps of this scope. @default {} (unlimited) */
  readonly limits: BudgetLimits;
  /** What `execute(fn)` reserves per call. @default { steps: 1 } */
  readonly defaultEstimate: Spend;
}

export const BUDGET_DEFAULTS: BudgetTunables = Object.freeze({
  limits: Object.freeze({}),
  defaultEstimate: Object.freeze({ steps: 1 }),
});

export interface BudgetOptions extends Partial<BudgetTunables>, WiringOptions {
  /** Name of this scope (`'global'`, `'agent:ceo'`, `'run:42'`); children's paths extend it. */
  readonly scope: string;
  /** Prices for turning token usage into USD; children inherit it. @default the parent's, or none */
  readonly pricing?: PricingTable;
  /**
   * Count this scope's spend beyond this process too (see sharing.ts): `run` and `execute`
   * reserve each call's estimate in the ledger before it runs. @default none: per process
   */
  readonly ledger?: BudgetLedger;
}

const cap = schemas.msOrInfinity;
const amount = z.number().min(0).finite();
const limitsSchema = z.strictObject({ usd: cap.optional(), tokens: cap.optional(), wallMs: cap.optional(), steps: cap.optional() });
const spendSchema = z.strictObject({ usd: amount.optional(), tokens: amount.optional(), steps: amount.optional() });
const tunableShape = z.strictObject({ limits: limitsSchema, defaultEstimate: spendSchema });
const optionsSchema = tunableShape.partial().extend({
  scope: schemas.name,
  pricing: z.record(z.string(), z.unknown()).optional(),
  ledger: z
    .custom<BudgetLedger>((v) => typeof v === 'object' && v !== null && typeof (v as BudgetLedger).reserve === 'function', {
      message: 'must be a BudgetLedger (reserve)',
    })
    .optional(),
  clock: schemas.clock.optional(),
  bus: schemas.bus.optional(),
});

interface Amounts {
  usd: number;
  tokens: number;
  steps: number;
}

const COUNTED = ['usd', 'tokens', 'steps'] as const;

/** A reservation of budget for one call: commit what it spent, or release it. Settles once. */
export class Reservation {
  private readonly budget: Budget;
  readonly estimate: Readonly<Amounts>;
  private settled = false;
  private committed: Readonly<Amounts> | undefined;
  private ledgers: readonly LedgerReservation[] = [];
  private recording: Promise<void> = Promise.resolve();

  /** @hidden */
  constructor(budget: Budget, estimate: Amounts) {
    this.budget = budget;
    this.estimate = estimate;
  }

  /** True once committed or released. */
  get isSettled(): boolean {
    return this.settled;
  }

  /** What was committed (undefined until then, and after `release()`). */
  get spent(): Readonly<Amounts> | undefined {
    return this.committed;
  }

  /**
   * Resolves once the ledgers this reservation holds (see {@link Budget.acquire}) have recorded
   * its settlement; at once without ledgers. Rejects if a ledger failed to record it.
   */
  get recorded(): Promise<void> {
    return this.recording;
  }

  /** @hidden The ledger reservations `acquire` took for this reservation. */
  holdInLedgers(held: readonly LedgerReservation[]): void {
    this.ledgers = held;
  }

  /**
   * Record what the call spent (a `Spend`, or token usage priced with the scope's table) and free
   * the reservation. Omitted amounts count as estimated. Later calls do nothing.
   */
  commit(actual: Spend | TokenUsage = {}): void {
    if (this.settled) return;
    const spend = 'model' in actual ? this.budget.costOf(actual) : parseWith(`budget "${this.budget.scope}"`, spendSchema, actual);
    this.settled = true;
    this.committed = {
      usd: spend.usd ?? this.estimate.usd,
      tokens: spend.tokens ?? this.estimate.tokens,
      steps: spend.steps ?? this.estimate.steps,
    };
    this.budget.settle(this.estimate, this.committed);
    this.settleLedgers(this.committed);
  }

  /** Free the reservation without spending anything. */
  release(): void {
    if (this.settled) return;
    this.settled = true;
    this.budget.settle(this.estimate, undefined);
    this.settleLedgers(undefined);
  }

  private settleLedgers(actual: Readonly<Amounts> | undefined): void {
    if (this.ledgers.length === 0) return;
    const held = this.ledgers;
    this.recording = (async () => {
      for (const h of held) await h.settle(actual);
    })();
    // Whoever awaits `recorded` sees a failure; nobody awaiting it is no unhandled rejection.
    this.recording.catch(() => undefined);
  }
}

export class Budget implements Policy {
  /** This scope's path: the parent's path, `/`, this scope's name. */
  readonly scope: string;
  readonly parent: Budget | undefined;
  readonly clock: Clock;
  /** When this scope started (for the wall-time cap). */
  readonly startedAt: number;
  private readonly bus: EventBus | undefined;
  private readonly pricing: PricingTable | undefined;
  private readonly ledger: BudgetLedger | undefined;
  /** This scope or an ancestor has a ledger. */
  private readonly shared: boolean;
  private readonly live: LiveConfig<BudgetTunables>;
  private readonly spent: Amounts = { usd: 0, tokens: 0, steps: 0 };
  private readonly reserved: Amounts = { usd: 0, tokens: 0, steps: 0 };

  constructor(options: BudgetOptions, parent?: Budget) {
    const subject = typeof options?.scope === 'string' ? `budget "${options.scope}"` : 'budget';
    const { scope, pricing, ledger, clock, bus, ...rest } = parseWith(subject, optionsSchema, options);
    this.parent = parent;
    this.scope = parent === undefined ? scope : `${parent.scope}/${scope}`;
    this.clock = clock ?? parent?.clock ?? realClock;
    this.bus = bus ?? parent?.bus;
    this.pricing = pricing !== undefined ? definePricing(pricing as PricingTable) : parent?.pricing;
    this.ledger = ledger;
    this.shared = ledger !== undefined || parent?.shared === true;
    this.live = LiveConfig.withDefaults<BudgetTunables>(`budget "${this.scope}"`, tunableShape, BUDGET_DEFAULTS, rest);
    this.startedAt = this.clock.now();
  }

  /** A nested scope whose spend also counts here (and above). Clock, bus and pricing are inherited. */
  child(options: BudgetOptions): Budget {
    return new Budget(options, this);
  }

  get config(): Readonly<BudgetTunables> {
    return this.live.current;
  }

  /** Change caps at run time; calls already admitted are not affected. */
  configure(patch: Partial<BudgetTunables>): void {
    const { changed } = this.live.update(patch);
    reportConfigured(this.bus, 'budget', this.scope, changed);
  }

  /** What this scope has spent (committed), and its wall time so far. */
  get spending(): Readonly<Amounts & { wallMs: number }> {
    return { ...this.spent, wallMs: this.clock.now() - this.startedAt };
  }

  /** Token usage → spend, priced with this scope's table (inherited from the parent if none). */
  costOf(usage: TokenUsage): Required<Spend> {
    if (this.pricing === undefined) {
      throw new BudgetConfigError(this.scope);
    }
    return { usd: costUsd(this.pricing, usage), tokens: totalTokens(usage), steps: 1 };
  }

  /**
   * Reserve `estimate` here and in every ancestor, or throw `BudgetExceededError` for the first
   * scope (innermost first) that cannot afford it. `steps` defaults to 1.
   */
  reserve(estimate: Spend = {}): Reservation {
    const e = estimate === this.live.current.defaultEstimate ? estimate : parseWith(`budget "${this.scope}"`, spendSchema, estimate);
    const amounts: Amounts = { usd: e.usd ?? 0, tokens: e.tokens ?? 0, steps: e.steps ?? 1 };
    for (let b: Budget | undefined = this; b !== undefined; b = b.parent) b.check(amounts);
    for (let b: Budget | undefined = this; b !== undefined; b = b.parent) {
      b.reserved.usd += amounts.usd;
      b.reserved.tokens += amounts.tokens;
      b.reserved.steps += amounts.steps;
    }
    return new Reservation(this, amounts);
  }

  /**
   * Reserve `estimate` here, in every ancestor, and in the ledger of each of these scopes that
   * has one (all or none), or throw `BudgetExceededError` for the first that cannot afford it.
   * The reservation's `commit`/`release` settle the ledgers too (`recorded` resolves once they
   * have). Without ledgers, the same as `reserve`.
   */
  async acquire(estimate: Spend = {}): Promise<Reservation> {
    const r = this.reserve(estimate);
    if (this.shared) r.holdInLedgers(await this.reserveInLedgers(r));
    return r;
  }

  /**
   * Reserve (through `acquire`), run `fn`, and commit. `fn` may commit the actual spend itself
   * through the reservation it receives; otherwise the estimate is committed, whether `fn`
   * succeeds or fails (a failed call may still have cost money; counting the estimate errs on the
   * safe side).
   */
  async run<T>(
    fn: (reservation: Reservation, context: PolicyContext) => PromiseLike<T> | T,
    options: { estimate?: Spend; signal?: AbortSignal } = {},
  ): Promise<T> {
    const r = await this.acquire(options.estimate ?? this.live.current.defaultEstimate);
    try {
      return await fn(r, contextFor(options.signal));
    } finally {
      r.commit();
      await r.recorded;
    }
  }

  /** Run `fn` with the configured `defaultEstimate`. */
  execute<T>(fn: Work<T>, signal?: AbortSignal): Promise<T> {
    return this.run((_r, context) => fn(context), signal === undefined ? {} : { signal });
  }

  // ---- internals (called by Reservation for this scope, and up the chain) -------------------

  /** Reserve `r`'s estimate in the ledger of this scope and of each ancestor that has one, or release all and refuse. */
  private async reserveInLedgers(r: Reservation): Promise<LedgerReservation[]> {
    const held: LedgerReservation[] = [];
    try {
      for (let b: Budget | undefined = this; b !== undefined; b = b.parent) {
        if (b.ledger === undefined) continue;
        const answer = await b.ledger.reserve(b.scope, r.estimate, b.live.current.limits);
        if ('refused' in answer) {
          const { unit, limit, spent, requested } = answer.refused;
          return b.refuse(unit, limit, spent, requested, unit === 'wall_ms' ? 0 : r.estimate[unit]);
        }
        held.push(answer);
      }
      return held;
    } catch (e) {
      r.release();
      for (const h of held) await h.settle(undefined);
      throw e;
    }
  }

  private check(e: Amounts): void {
    const limits = this.live.current.limits;
    for (const unit of COUNTED) {
      const limit = limits[unit];
      if (limit === undefined) continue;
      const committed = this.spent[unit];
      const held = committed + this.reserved[unit];
      // Refuse when nothing is left, or when this estimate would pass the cap.
      if (held >= limit || held + e[unit] > limit) this.refuse(unit, limit, committed, this.reserved[unit] + e[unit], e[unit]);
    }
    const wall = limits.wallMs;
    if (wall !== undefined) {
      const elapsed = this.clock.now() - this.startedAt;
      if (elapsed >= wall) this.refuse('wall_ms', wall, elapsed, 0);
    }
  }

  private refuse(unit: BudgetUnit, limit: number, spent: number, requested: number, reservation = requested): never {
    if (this.bus?.wants('budget.exceeded')) {
      this.bus.emit({ type: 'budget.exceeded', scope: this.scope, unit, limit, spent, phase: 'refused' });
    }
    throw new BudgetExceededError(this.scope, unit, limit, spent, requested, reservation);
  }

  /** @hidden Free `estimate` and add `actual` (if any) in this scope and every ancestor. */
  settle(estimate: Readonly<Amounts>, actual: Readonly<Amounts> | undefined): void {
    for (let b: Budget | undefined = this; b !== undefined; b = b.parent) {
      b.reserved.usd -= estimate.usd;
      b.reserved.tokens -= estimate.tokens;
      b.reserved.steps -= estimate.steps;
      if (actual === undefined) continue;
      const limits = b.live.current.limits;
      for (const unit of COUNTED) {
        const before = b.spent[unit];
        b.spent[unit] = before + actual[unit];
        const limit = limits[unit];
        if (limit !== undefined && before < limit && b.spent[unit] > limit && b.bus?.wants('budget.exceeded')) {
          b.bus.emit({ type: 'budget.exceeded', scope: b.scope, unit, limit, spent: b.spent[unit], phase: 'crossed' });
        }
      }
      if (b.bus?.wants('budget.spent')) b.bus.emit({ type: 'budget.spent', scope: b.scope, spend: actual, total: { ...b.spent } });
    }
  }
}

/** Token usage was committed to a scope that has no pricing table (here or above). */
export class BudgetConfigError extends WardenError<'BUDGET_NO_PRICING', { scope: string }> {
  constructor(scope: string) {
    super('BUDGET_NO_PRICING', `budget "${scope}" has no pricing table to price token usage: pass \`pricing\` to it or an ancestor`, { scope });
  }
}
