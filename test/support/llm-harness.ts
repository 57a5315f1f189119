/**
 * The model-layer tests' bench: the kit's simulated-model harness (`startSimHarness` of
 * `warden/testing`: the simulated server, the chaos proxy given rules, a virtual clock advanced
 * by each announced retry delay, recorded events), started at a fixed date, under the names these
 * tests use.
 */
import { startSimHarness, type SimHarness, type SimHarnessOptions } from '../../src/testing/index.ts';

export const START_MS = Date.parse('2031-01-01T00:00:00Z');

export interface Harness extends SimHarness {
  /** Base URL for the OpenAI SDK: through the proxy when there is one. */
  readonly openaiURL: string;
  /** Base URL for the Anthropic SDK. */
  readonly anthropicURL: string;
}

export async function harness(options: Pick<SimHarnessOptions, 'script' | 'rules' | 'seed' | 'apiKey'> = {}): Promise<Harness> {
  const h = await startSimHarness({ ...options, startMs: START_MS });
  return Object.assign(h, { openaiURL: h.openaiBaseURL, anthropicURL: h.anthropicBaseURL });
}

/** Resolve once the proxy holds a hanging request, then move the clock past `timeoutMs` (`count` times). */
export function expireHangs(h: Harness, timeoutMs: number, count = 1): Promise<void> {
  return h.expireHangs(timeoutMs, count);
}
