/**
 * The simulated-model test bench: the simulated model server on loopback (and, given chaos
 * rules, the chaos proxy in front of it), a virtual clock with an event bus whose events are
 * recorded, and model adapters and resilient clients over the official SDKs, pointed at it.
 * `close()` closes the proxy and the server (every connection with them).
 *
 * Real HTTP runs in real time; every policy wait runs on the virtual clock. So that a retried
 * call does not wait for a `clock.advance` nobody makes, the harness advances the clock by
 * exactly the delay each retry announces (`retry.attempt_failed`), once the wait has begun: a
 * Retry-After of 30 s passes at once and the clock reads 30 s later. Turn that off with
 * `advanceOnRetry: false` to move the clock yourself.
 */
import { settle } from '../runtime/index.ts';
import type { PricingTable } from '../resilience/index.ts';
import {
  anthropicMessages,
  createModelClient,
  openaiChat,
  type AnthropicAdapter,
  type AnthropicAdapterOptions,
  type ModelClientOptions,
  type OpenAIAdapter,
  type OpenAIAdapterOptions,
  type ProviderAdapter,
  type ResilientModelClient,
} from '../llm/index.ts';
import { startChaosProxy, startSimServer, type ChaosProxy, type ChaosRule, type SimScript, type SimServer } from '../sim/index.ts';
import { startHarnessEvents, type HarnessEvents } from './event-log.ts';
import { waitFor } from './wait-for.ts';

/** Prices for the simulated models, so budgets and `costUsd` can be tested against them. */
export const SIM_MODEL_PRICING: PricingTable = Object.freeze({
  'sim-small': { inputPerMTok: 0.15, outputPerMTok: 0.6 },
  'sim-large': { inputPerMTok: 0.8, outputPerMTok: 4 },
});

export interface SimHarnessOptions {
  /** What the simulated server answers. @default {} (deterministic default answers) */
  readonly script?: SimScript;
  /** The key the server requires and the adapters send. @default none required; the adapters send 'sk-test' */
  readonly apiKey?: string;
  /** Chaos rules: given, a chaos proxy sits between the adapters and the server. @default no proxy */
  readonly rules?: readonly ChaosRule[];
  /** Seed of the proxy's `probability` draws. @default 1 */
  readonly seed?: number;
  /** Where the virtual clock starts, ms. @default 0 */
  readonly startMs?: number;
  /** Advance the clock by each delay a retry announces. @default true */
  readonly advanceOnRetry?: boolean;
}

export interface SimHarness extends HarnessEvents, AsyncDisposable {
  // The proxy reports its decisions on `bus` too.
  readonly sim: SimServer;
  /** The chaos proxy, when `rules` were given. */
  readonly proxy: ChaosProxy | undefined;
  /** Base URL for the `openai` SDK: through the proxy when there is one. */
  readonly openaiBaseURL: string;
  /** Base URL for `@anthropic-ai/sdk`: through the proxy when there is one. */
  readonly anthropicBaseURL: string;
  /** An OpenAI Chat Completions adapter for `sim-small`, on the harness's URL, key and clock (`options` win). */
  openai(options?: Partial<OpenAIAdapterOptions>): OpenAIAdapter;
  /** An Anthropic Messages adapter for `sim-large`, on the harness's URL, key and clock (`options` win). */
  anthropic(options?: Partial<AnthropicAdapterOptions>): AnthropicAdapter;
  /**
   * A resilient client on the harness's clock and bus, priced by `SIM_MODEL_PRICING`; its models
   * default to `[openai()]` (`options` win).
   */
  client(options?: Partial<ModelClientOptions>): ResilientModelClient;
  /**
   * Wait until `count` requests have hung at the proxy one after the other, moving the clock
   * `timeoutMs` past each once it hangs, and until the proxy has let it go. For testing a
   * timeout against a `hang` fault.
   */
  expireHangs(timeoutMs: number, count?: number): Promise<void>;
  /** Close the proxy and the server. Safe to call more than once. */
  close(): Promise<void>;
}

/** Start the simulated server (and the chaos proxy, given rules) on loopback. */
export async function startSimHarness(options: SimHarnessOptions = {}): Promise<SimHarness> {
  const apiKey = options.apiKey ?? 'sk-test';
  const { log, ...shown } = startHarnessEvents(options.startMs);
  const { clock, bus } = shown;
  if (options.advanceOnRetry ?? true) {
    bus.on('retry.attempt_failed', (e) => {
      const delay = e.delayMs;
      if (delay !== undefined) void settle().then(() => clock.advance(delay));
    });
  }
  const sim = await startSimServer({
    ...(options.apiKey === undefined ? {} : { apiKey }),
    ...(options.script === undefined ? {} : { script: options.script }),
  });
  let proxy: ChaosProxy | undefined;
  try {
    if (options.rules !== undefined) proxy = await startChaosProxy({ target: sim.url, rules: options.rules, seed: options.seed ?? 1, bus });
  } catch (e) {
    await sim.close();
    throw e;
  }
  const base = proxy?.url ?? sim.url;
  const openaiBaseURL = `${base}/v1`;
  const anthropicBaseURL = base;
  const openai = (o: Partial<OpenAIAdapterOptions> = {}): OpenAIAdapter => openaiChat({ model: 'sim-small', apiKey, baseURL: openaiBaseURL, clock, ...o });
  const anthropic = (o: Partial<AnthropicAdapterOptions> = {}): AnthropicAdapter =>
    anthropicMessages({ model: 'sim-large', apiKey, baseURL: anthropicBaseURL, clock, ...o });
  let closed: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closed ??= (async () => {
      try {
        await proxy?.close();
      } finally {
        log.dispose();
        await sim.close();
      }
    })());
  return {
    ...shown,
    sim,
    proxy,
    openaiBaseURL,
    anthropicBaseURL,
    openai,
    anthropic,
    client: (o = {}) => createModelClient({ models: [openai()] as readonly ProviderAdapter[], pricing: SIM_MODEL_PRICING, clock, bus, ...o }),
    async expireHangs(timeoutMs, count = 1) {
      const p = proxy;
      if (p === undefined) throw new Error('expireHangs: this harness has no chaos proxy (start it with rules)');
      for (let i = 1; i <= count; i++) {
        await waitFor(() => p.hanging > 0, `request ${i} of ${count} to hang at the chaos proxy`);
        await clock.advance(timeoutMs);
        await waitFor(() => p.hanging === 0, `the chaos proxy to let hanging request ${i} of ${count} go`);
      }
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}
