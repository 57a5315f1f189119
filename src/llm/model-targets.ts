/**
 * The client's models as targets, each behind its own policies: retry ∘ circuit breaker ∘
 * timeout, wrapped in that order (the timeout bounds one attempt, the breaker counts every
 * attempt, the retry repeats the whole), and the rate limiter of its provider, when there is
 * one. Built once at construction from the resilience layer's policies; nothing is
 * re-implemented here.
 *
 * Names: a target's label is `provider:model` (the breaker's name); retry and timeout are named
 * `client:provider:model`. Two models with the same label are refused: their breakers and
 * events could not be told apart.
 */
import { InvalidSpecError } from '../runtime/index.ts';
import { CircuitBreaker, Retry, Timeout, wrap, type Policy, type ProviderLimiter } from '../resilience/index.ts';
import type { ProviderAdapter } from './adapter.ts';
import { MODEL_CLIENT_DEFAULTS, type ClientSettings, type ModelClientOptions } from './client-options.ts';

/** One model in the client: its adapter and policies. */
export interface ModelTarget {
  readonly adapter: ProviderAdapter;
  /** `provider:model`. */
  readonly label: string;
  /** retry ∘ breaker ∘ timeout (each left out when configured `false`, except the timeout). */
  readonly policy: Policy;
  readonly limiter: ProviderLimiter | undefined;
}

/** The targets in the order of `options.models`, and each one's breaker (`undefined` with `breaker: false`). */
export function buildTargets<Q>(
  settings: ClientSettings,
  options: ModelClientOptions<Q>,
): { readonly targets: readonly ModelTarget[]; readonly breakers: readonly (CircuitBreaker | undefined)[] } {
  const seen = new Set<string>();
  const breakers: (CircuitBreaker | undefined)[] = [];
  const wiring = { clock: settings.clock, ...(settings.bus === undefined ? {} : { bus: settings.bus }) };
  const targets = options.models.map((adapter, i): ModelTarget => {
    const label = `${adapter.name}:${adapter.model}`;
    if (seen.has(label)) throw new InvalidSpecError(settings.subject, `models[${i}]`, label, 'must not repeat a provider and model already listed');
    seen.add(label);
    const parts: Policy[] = [];
    if (options.retry !== false) {
      parts.push(
        new Retry({ ...MODEL_CLIENT_DEFAULTS.retry, ...(options.retry ?? {}), name: `${settings.name}:${label}`, random: settings.random, ...wiring }),
      );
    }
    const breaker =
      options.breaker === false ? undefined : new CircuitBreaker({ ...MODEL_CLIENT_DEFAULTS.breaker, ...(options.breaker ?? {}), name: label, ...wiring });
    breakers.push(breaker);
    if (breaker !== undefined) parts.push(breaker);
    parts.push(new Timeout({ timeoutMs: settings.timeoutMs, name: `${settings.name}:${label}`, ...wiring }));
    return { adapter, label, policy: wrap(...parts), limiter: options.limiters?.[adapter.name] };
  });
  return { targets, breakers };
}
