/**
 * The one interface every resilience policy shares, and `wrap`, which composes policies.
 *
 * A policy runs work: `execute(fn, signal)` calls `fn` with a context whose `signal` aborts when
 * the caller's signal aborts or the policy gives up on the work (a timeout, say), and resolves or
 * rejects with what the work (or the policy) decided. Policies hold no per-call state outside
 * that call, so one policy object serves any number of concurrent calls.
 *
 * `wrap(a, b, c)` is the policy `a(b(c(fn)))`: `a` is outermost. Each inner policy receives the
 * signal of the context its outer policy passed down, so aborting the caller's signal or a
 * timeout anywhere up the chain reaches the work.
 */
import { InvalidSpecError } from '../runtime/index.ts';

/** What a policy passes to the work it runs. */
export interface PolicyContext {
  /** Aborts when the caller aborts or a policy gives up on this call; pass it to the work's I/O. */
  readonly signal: AbortSignal;
}

/** Work a policy can run: sync or async, receiving the policy's context. */
export type Work<T, C extends PolicyContext = PolicyContext> = (context: C) => PromiseLike<T> | T;

/** A resilience policy: retry, breaker, timeout, budget, limiter, ... or a `wrap` of them. */
export interface Policy<C extends PolicyContext = PolicyContext> {
  /** Run `fn` under this policy. `signal` aborts the call (and is passed down to `fn`). */
  execute<T>(fn: Work<T, C>, signal?: AbortSignal): Promise<T>;
}

/** A signal that never aborts, shared, for calls made without one (no allocation per call). */
export const NEVER_ABORTED: AbortSignal = new AbortController().signal;

/** The shared context for calls that have no signal of their own. */
export const NEVER_ABORTED_CONTEXT: PolicyContext = Object.freeze({ signal: NEVER_ABORTED });

/** A context for `signal`, reusing the shared one when there is no signal. */
export function contextFor(signal: AbortSignal | undefined): PolicyContext {
  return signal === undefined || signal === NEVER_ABORTED ? NEVER_ABORTED_CONTEXT : { signal };
}

/** A policy built by {@link wrap}; `policies` lists its parts, outermost first. */
export class WrappedPolicy implements Policy {
  readonly policies: readonly Policy[];
  private readonly last: number;

  constructor(policies: readonly Policy[]) {
    this.policies = Object.freeze([...policies]);
    this.last = policies.length - 1;
  }

  execute<T>(fn: Work<T>, signal?: AbortSignal): Promise<T> {
    return this.runFrom(0, fn, signal);
  }

  private runFrom<T>(index: number, fn: Work<T>, signal: AbortSignal | undefined): Promise<T> {
    const policy = this.policies[index] as Policy;
    if (index === this.last) return policy.execute(fn, signal);
    return policy.execute((context) => this.runFrom(index + 1, fn, context.signal), signal);
  }
}

/**
 * Compose policies, outermost first: `wrap(retry, breaker, timeout)` retries calls that go
 * through the breaker, each attempt bounded by the timeout.
 *
 * @example
 * ```ts
 * const policy = wrap(new Retry({ maxAttempts: 3 }), new CircuitBreaker(), new Timeout({ timeoutMs: 10_000 }));
 * const body = await policy.execute(({ signal }) => fetch(url, { signal }).then((r) => r.text()));
 * ```
 */
export function wrap(...policies: readonly Policy[]): Policy {
  if (policies.length === 0) throw new InvalidSpecError('wrap', 'policies', [], 'must have at least 1 item');
  policies.forEach((p, i) => {
    if (typeof (p as Partial<Policy> | null)?.execute !== 'function') {
      throw new InvalidSpecError('wrap', `policies[${i}]`, p, 'must be a policy (an object with execute(fn, signal))');
    }
  });
  if (policies.length === 1) return policies[0] as Policy;
  return new WrappedPolicy(policies);
}
