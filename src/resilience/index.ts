/**
 * Warden's resilience policies (`warden/resilience`): small, composable, each usable on its own.
 *
 * Every policy runs on the injected `Clock` and `Random`, reports on the one `EventBus`, validates
 * its options when built and on every `configure(patch)` at run time (a bad value throws
 * `InvalidSpecError` naming the field and changes nothing), and throws one typed error per idea,
 * identified by a stable `code`.
 *
 * <!-- docs-test: prelude fetch-url -->
 * ```ts
 * import { Retry, CircuitBreaker, Timeout, wrap, ensureOk } from 'warden/resilience';
 *
 * const policy = wrap(
 *   new Retry({ maxAttempts: 4 }),                   // transient failures only, full jitter, Retry-After
 *   new CircuitBreaker({ name: 'search-api' }),       // stop calling a dependency that keeps failing
 *   new Timeout({ timeoutMs: 10_000 }),               // bound each attempt
 * );
 * const body = await policy.execute(async ({ signal }) => (await ensureOk(await fetch(url, { signal }))).json());
 * ```
 *
 * The policies: {@link Retry} (F6), {@link Timeout}, {@link CircuitBreaker} (F7), {@link Budget}
 * (F8), {@link Semaphore}, {@link TokenBucket} and {@link ProviderLimiter} (F9), {@link Fallback}
 * and {@link DegradationLadder} (F10), {@link Quarantine} (F11), {@link SpawnGuard} (F12),
 * {@link ResourceManager} (F13), composed with {@link wrap} and tuned live with `configure` (F28).
 */
import './errors.ts';
import './events.ts';

export { wrap, WrappedPolicy, NEVER_ABORTED } from './policy.ts';
export type { Policy, PolicyContext, Work } from './policy.ts';

export { formatPath, issuesToErrors, parseWith } from './options.ts';
export type { WiringOptions } from './options.ts';

export {
  classifyFailure,
  retryAfterFromHeaders,
  readHeader,
  ensureOk,
  HttpStatusError,
  TRANSIENT_STATUSES,
  TRANSIENT_CODES,
} from './transient.ts';
export type { FailureClass, ResponseLike } from './transient.ts';

export { backoffCap, fullJitterDelay } from './backoff.ts';
export type { BackoffOptions } from './backoff.ts';

export { Retry, RETRY_DEFAULTS } from './retry.ts';
export type { RetryOptions, RetryTunables, RetryContext, RetryGiveUpReason } from './retry.ts';

export { Timeout, TimeoutError, TIMEOUT_DEFAULTS } from './timeout.ts';
export type { TimeoutOptions, TimeoutTunables, TimeoutStrategy } from './timeout.ts';

export { CircuitBreaker, BrokenCircuitError, BREAKER_DEFAULTS, RATE_TRIP_DEFAULTS } from './circuit-breaker.ts';
export type {
  BreakerOptions,
  BreakerTunables,
  BreakerState,
  BreakerStateKind,
  BreakerSnapshot,
  IsolationHandle,
  TripSpecInput,
} from './circuit-breaker.ts';
export type { TripSpec, ConsecutiveTrip, RateTrip, TripSnapshot } from './trip-condition.ts';

export { Budget, Reservation, BudgetExceededError, BudgetConfigError, BUDGET_DEFAULTS } from './budget.ts';
export type { BudgetOptions, BudgetTunables, BudgetLimits, BudgetUnit, Spend } from './budget.ts';
export type { BreakerSharing, SharedBreakerLink, BudgetLedger, LedgerAmounts, LedgerReservation, LedgerRefusal } from './sharing.ts';
export { costUsd, totalTokens, definePricing, UnpricedModelError } from './pricing.ts';
export type { PricingTable, ModelPrice, TokenUsage } from './pricing.ts';

export { RateLimitedError } from './rate-limited-error.ts';
export type { RateLimitReason, LimiterKind } from './rate-limited-error.ts';
export { Semaphore, SEMAPHORE_DEFAULTS } from './semaphore.ts';
export type { SemaphoreOptions, SemaphoreTunables, Permit } from './semaphore.ts';
export { TokenBucket, TOKEN_BUCKET_DEFAULTS } from './token-bucket.ts';
export type { TokenBucketOptions, TokenBucketTunables } from './token-bucket.ts';
export { ProviderLimiter, PROVIDER_LIMITER_DEFAULTS } from './provider-limiter.ts';
export type { ProviderLimiterOptions, ProviderLimits } from './provider-limiter.ts';

export { Fallback, FallbackExhaustedError, FALLBACK_DEFAULTS } from './fallback.ts';
export type { FallbackOptions, FallbackTunables, FallbackResult, Candidate } from './fallback.ts';
export { DegradationLadder, LADDER_DEFAULTS } from './degradation.ts';
export type { LadderOptions, LadderTunables, DegradedResult, DegradationLevel } from './degradation.ts';
export { InProcessResultCache, IN_PROCESS_RESULT_CACHE_DEFAULTS } from './result-cache.ts';
export type { ResultCache, CachedValue } from './result-cache.ts';

export { canonicalJson, stableHash } from './stable-hash.ts';
export { Quarantine, QuarantinedError, InProcessQuarantineStore, QUARANTINE_DEFAULTS } from './quarantine.ts';
export type { QuarantineOptions, QuarantineTunables, QuarantineRecord, QuarantineStore } from './quarantine.ts';

export { SpawnGuard, SpawnConflictError, InProcessSpawnKeyStore, SPAWN_GUARD_DEFAULTS } from './spawn-guard.ts';
export type { SpawnGuardOptions, SpawnGuardTunables, SpawnKeyStore, OnConflict } from './spawn-guard.ts';

export {
  ResourceManager,
  DeadlockDetectedError,
  ResourceTimeoutError,
  RESOURCE_MANAGER_DEFAULTS,
} from './resource-locks.ts';
export type { ResourceManagerOptions, ResourceManagerTunables, ResourceSpec, ResourceLease, WaitLink } from './resource-locks.ts';
