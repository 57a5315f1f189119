/**
 * Shared set-up for the model-layer tests: a simulated model server (and optionally a chaos
 * proxy in front of it) on loopback, a virtual clock and an event log, and `drive`, which lets
 * real HTTP run while every policy wait (retry backoff, Retry-After) happens on the virtual
 * clock: when a retry announces its delay, the clock is advanced by exactly that much.
 */
import { EventBus, VirtualClock, type WardenEvent, type WardenEventType } from '../../src/runtime/index.ts';
import { startChaosProxy, startSimServer, type ChaosProxy, type ChaosRule, type SimScript, type SimServer } from '../../src/sim/index.ts';

export const START_MS = Date.parse('2031-01-01T00:00:00Z');

export interface Harness {
  readonly clock: VirtualClock;
  readonly bus: EventBus;
  readonly events: WardenEvent[];
  readonly sim: SimServer;
  readonly proxy: ChaosProxy | undefined;
  /** Base URL for the OpenAI SDK: through the proxy when there is one. */
  readonly openaiURL: string;
  /** Base URL for the Anthropic SDK. */
  readonly anthropicURL: string;
  of<K extends WardenEventType>(type: K): WardenEvent<K>[];
  close(): Promise<void>;
}

export async function harness(options: { script?: SimScript; rules?: readonly ChaosRule[]; seed?: number; apiKey?: string } = {}): Promise<Harness> {
  const clock = new VirtualClock({ startMs: START_MS });
  const bus = new EventBus(clock);
  const events: WardenEvent[] = [];
  bus.onAny((e) => events.push(e));
  // Retry waits run on the virtual clock: advance it by each announced delay once the wait began.
  bus.on('retry.attempt_failed', (e) => {
    const delay = e.delayMs;
    if (delay !== undefined) setImmediate(() => void clock.advance(delay));
  });
  const sim = await startSimServer({ ...(options.script === undefined ? {} : { script: options.script }), ...(options.apiKey === undefined ? {} : { apiKey: options.apiKey }) });
  const proxy = options.rules === undefined ? undefined : await startChaosProxy({ target: sim.url, rules: options.rules, seed: options.seed ?? 1, bus });
  const base = proxy?.url ?? sim.url;
  return {
    clock,
    bus,
    events,
    sim,
    proxy,
    openaiURL: `${base}/v1`,
    anthropicURL: base,
    of: <K extends WardenEventType>(type: K) => events.filter((e): e is WardenEvent<K> => e.type === type),
    async close() {
      await proxy?.close();
      await sim.close();
    },
  };
}

/** Resolve once the proxy holds a hanging request, then move the clock past `timeoutMs`. */
export async function expireHangs(h: Harness, timeoutMs: number, count = 1): Promise<void> {
  for (let i = 0; i < count; i++) {
    const proxy = h.proxy;
    if (proxy === undefined) throw new Error('no proxy');
    await new Promise<void>((resolve) => {
      const check = (): void => {
        if (proxy.hanging > 0) resolve();
        else setImmediate(check);
      };
      check();
    });
    await h.clock.advance(timeoutMs);
    await new Promise<void>((resolve) => {
      const check = (): void => {
        if (proxy.hanging === 0) resolve();
        else setImmediate(check);
      };
      check();
    });
  }
}
