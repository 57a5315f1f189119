/**
 * The resilience layer's events, on the one stream. A policy builds an event only when someone
 * listens (`bus.wants(type)`), and emits it after the state change it reports: `breaker.opened`
 * once the breaker is open, `budget.spent` once the spend is committed.
 */
import type { BudgetUnit, Spend } from './budget.ts';
import type { BreakerStateKind } from './circuit-breaker.ts';
import type { DegradationLevel } from './degradation.ts';
import type { LimiterKind, RateLimitReason } from './rate-limited-error.ts';
import type { WaitLink } from './resource-locks.ts';
import type { RetryGiveUpReason } from './retry.ts';
import type { TimeoutStrategy } from './timeout.ts';

declare module '../runtime/index.ts' {
  interface WardenEventMap {
    // Any policy
    /** A policy's options were changed at run time by `configure()`. */
    'policy.configured': {
      readonly policy: string;
      readonly kind: string;
      readonly changed: readonly string[];
    };

    // Retry
    /** An attempt failed; `delayMs` is the wait before the next one, or undefined if none follows. */
    'retry.attempt_failed': {
      readonly policy: string;
      readonly attempt: number;
      readonly error: unknown;
      readonly transient: boolean;
      readonly delayMs: number | undefined;
    };
    /** The policy stopped retrying; the last attempt's error is rethrown. */
    'retry.gave_up': {
      readonly policy: string;
      readonly attempts: number;
      readonly error: unknown;
      readonly reason: RetryGiveUpReason;
      /** With `not_transient`: the classifier's verdict on the error (`http 400`, `abort`, `unknown`). */
      readonly classification?: string;
      /** With `not_transient`: why the error was not retried and how to have it retried. */
      readonly hint?: string;
    };
    /** The work succeeded after at least one failed attempt. */
    'retry.recovered': { readonly policy: string; readonly attempts: number };

    // Timeout
    /** A call passed its deadline; its signal was aborted. */
    'timeout.timed_out': { readonly policy: string; readonly timeoutMs: number; readonly strategy: TimeoutStrategy };

    // Circuit breaker
    'breaker.opened': {
      readonly breaker: string;
      /** `tripped`: the trip condition fired while closed; `probe_failed`: a half-open probe failed. */
      readonly reason: 'tripped' | 'probe_failed';
      readonly openMs: number;
      readonly error: unknown;
    };
    'breaker.half_opened': { readonly breaker: string };
    'breaker.closed': { readonly breaker: string; readonly reason: 'probes_succeeded' | 'released' | 'reset' };
    'breaker.isolated': { readonly breaker: string };
    /** Every transition, after its specific event. */
    'breaker.state_changed': { readonly breaker: string; readonly from: BreakerStateKind; readonly to: BreakerStateKind };
    /** A call was refused without running. */
    'breaker.rejected': { readonly breaker: string; readonly state: Exclude<BreakerStateKind, 'closed'> };

    // Limiters (semaphore, token bucket, provider limiter)
    /** A limiter refused a call. */
    'limiter.rejected': {
      readonly limiter: string;
      readonly kind: LimiterKind;
      readonly reason: RateLimitReason;
      readonly queued: number;
    };
    /** A queued call was let through after waiting. */
    'limiter.waited': { readonly limiter: string; readonly kind: LimiterKind; readonly waitedMs: number };

    // Budget
    /** A call committed its spend; reported once per scope it counts toward. */
    'budget.spent': {
      readonly scope: string;
      readonly spend: Readonly<Spend>;
      readonly total: Readonly<Required<Spend>>;
    };
    /** A call was refused (`refused`), or a commit took a scope past a cap (`crossed`). */
    'budget.exceeded': {
      readonly scope: string;
      readonly unit: BudgetUnit;
      readonly limit: number;
      readonly spent: number;
      readonly phase: 'refused' | 'crossed';
    };

    // Fallback
    /** A candidate other than the first answered. */
    'fallback.used': { readonly policy: string; readonly source: string; readonly index: number; readonly failures: number };

    // Degradation ladder
    /** A ladder answered from a level below primary. */
    'degradation.degraded': {
      readonly ladder: string;
      readonly level: Exclude<DegradationLevel, 'primary'>;
      readonly source: string;
      readonly failures: number;
    };

    // Quarantine
    'quarantine.crash_recorded': { readonly quarantine: string; readonly key: string; readonly crashes: number };
    'quarantine.quarantined': { readonly quarantine: string; readonly key: string; readonly crashes: number };
    'quarantine.refused': { readonly quarantine: string; readonly key: string };
    'quarantine.released': { readonly quarantine: string; readonly key: string };

    // Resource locks
    'resource.acquired': { readonly manager: string; readonly resource: string; readonly holder: string; readonly waitedMs: number };
    'resource.released': { readonly manager: string; readonly resource: string; readonly holder: string };
    'resource.timed_out': { readonly manager: string; readonly resource: string; readonly holder: string; readonly timeoutMs: number };
    'deadlock.detected': { readonly manager: string; readonly holder: string; readonly resource: string; readonly cycle: readonly WaitLink[] };

    // Spawn guard
    'spawn.started': { readonly guard: string; readonly key: string };
    'spawn.joined': { readonly guard: string; readonly key: string; readonly waiting: number };
    'spawn.refused': { readonly guard: string; readonly key: string; readonly heldElsewhere: boolean };
    'spawn.finished': { readonly guard: string; readonly key: string; readonly outcome: 'ok' | 'error' | 'expired' };
  }
}
