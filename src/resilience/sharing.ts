/**
 * Hooks through which a circuit breaker's state and a budget's spend reach beyond this process:
 * the breaker and the budget call them, and something else implements them (`warden/cluster`
 * does, on Postgres). Without one, nothing changes: both stay per process, as they were.
 *
 * - {@link BreakerSharing}: the breaker publishes each transition it makes itself (opened,
 *   closed, isolated; not the move to half-open, which every process makes on its own once the
 *   open period ends), takes a cluster-wide probe slot before a half-open probe runs, and is
 *   handed the transitions other processes made through `adopt`. Trip counts stay per process.
 * - {@link BudgetLedger}: `Budget.acquire` (and `run`/`execute`, which use it; the model layer
 *   reserves every attempt through it) reserves each call's estimate in the ledger (after the
 *   scope's own check) before the call runs, and settles it with what was spent after.
 *   `reserve()` on its own stays per process.
 */
import type { BudgetLimits, BudgetUnit } from './budget.ts';
import type { BreakerState } from './circuit-breaker.ts';

/** What a breaker gives its sharing adapter when it is built. */
export interface SharedBreakerLink {
  /** The breaker's name: the key its state is shared under. */
  readonly name: string;
  /**
   * Apply a state another process reached (`open`, `closed` or `isolated`): the breaker moves to
   * it at once, emitting `breaker.state_changed` only (the process that made the transition
   * emitted the specific event), and does not publish it again.
   */
  adopt(state: BreakerState): void;
}

/** Shares a breaker's transitions and half-open probe slots; see the module comment. */
export interface BreakerSharing {
  /** Called once, by the breaker's constructor. */
  attach(breaker: SharedBreakerLink): void;
  /** A transition this breaker made itself (never `half_open`). Not awaited: the adapter reports its own failures. */
  publish(state: BreakerState): void;
  /**
   * A half-open probe is about to run: take one of `maxProbes` slots counted across every
   * process. Resolves with the function that frees it, or undefined when every slot is taken
   * (the call is then refused as half-open).
   */
  acquireProbe(maxProbes: number): Promise<(() => void) | undefined>;
}

/** Amounts in a budget's counted units. */
export interface LedgerAmounts {
  readonly usd: number;
  readonly tokens: number;
  readonly steps: number;
}

/** A call's estimate held in a ledger until it is settled. */
export interface LedgerReservation {
  /** Free the estimate and add `actual` (nothing when undefined). Resolves once recorded. */
  settle(actual: LedgerAmounts | undefined): Promise<void>;
}

/** A ledger refused a reservation: the scope's shared spend would pass `limit` in `unit`. */
export interface LedgerRefusal {
  readonly refused: { readonly unit: BudgetUnit; readonly limit: number; readonly spent: number; readonly requested: number };
}

/** Spend of a budget scope counted beyond this process; see the module comment. */
export interface BudgetLedger {
  /** Reserve `estimate` in `scope` (a budget's path) under `limits`, atomically with every other process. */
  reserve(scope: string, estimate: LedgerAmounts, limits: BudgetLimits): Promise<LedgerReservation | LedgerRefusal>;
}
