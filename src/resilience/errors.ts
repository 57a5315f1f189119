/**
 * The resilience layer's error codes. Each policy's error lives beside the policy that throws it
 * (`BrokenCircuitError` in circuit-breaker.ts); here they are registered in `WardenErrorMap`, so
 * `isWardenError(e, 'BROKEN_CIRCUIT')` narrows `e` to `BrokenCircuitError`.
 *
 * | code | error | retryable |
 * |---|---|---|
 * | `HTTP_STATUS` | {@link HttpStatusError}: a non-2xx response | by status |
 * | `TIMEOUT` | {@link TimeoutError}: a call passed its deadline | yes |
 * | `BROKEN_CIRCUIT` | {@link BrokenCircuitError}: the breaker refused the call | unless isolated |
 * | `RATE_LIMITED` | {@link RateLimitedError}: a limiter refused the call | unless `over_capacity` |
 * | `BUDGET_EXCEEDED` | {@link BudgetExceededError}: a cap would be passed | no |
 * | `BUDGET_NO_PRICING` | {@link BudgetConfigError}: token usage with no pricing table | no |
 * | `UNPRICED_MODEL` | {@link UnpricedModelError}: no price for the model | no |
 * | `FALLBACK_EXHAUSTED` | {@link FallbackExhaustedError}: every candidate failed | no |
 * | `QUARANTINED` | {@link QuarantinedError}: the input crashed its handler too often | no |
 * | `SPAWN_CONFLICT` | {@link SpawnConflictError}: the key is already running | no |
 * | `DEADLOCK_DETECTED` | {@link DeadlockDetectedError}: the wait would deadlock | yes |
 * | `RESOURCE_TIMEOUT` | {@link ResourceTimeoutError}: a resource was not free in time | yes |
 */
import type { BudgetConfigError, BudgetExceededError } from './budget.ts';
import type { BrokenCircuitError } from './circuit-breaker.ts';
import type { FallbackExhaustedError } from './fallback.ts';
import type { UnpricedModelError } from './pricing.ts';
import type { QuarantinedError } from './quarantine.ts';
import type { RateLimitedError } from './rate-limited-error.ts';
import type { DeadlockDetectedError, ResourceTimeoutError } from './resource-locks.ts';
import type { SpawnConflictError } from './spawn-guard.ts';
import type { TimeoutError } from './timeout.ts';
import type { HttpStatusError } from './transient.ts';

declare module '../runtime/index.ts' {
  interface WardenErrorMap {
    HttpStatusError: HttpStatusError;
    TimeoutError: TimeoutError;
    BrokenCircuitError: BrokenCircuitError;
    RateLimitedError: RateLimitedError;
    BudgetExceededError: BudgetExceededError;
    BudgetConfigError: BudgetConfigError;
    UnpricedModelError: UnpricedModelError;
    FallbackExhaustedError: FallbackExhaustedError;
    QuarantinedError: QuarantinedError;
    SpawnConflictError: SpawnConflictError;
    DeadlockDetectedError: DeadlockDetectedError;
    ResourceTimeoutError: ResourceTimeoutError;
  }
}
