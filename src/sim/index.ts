/**
 * Warden's simulated model and chaos tools (`warden/sim`): a local HTTP server that speaks the
 * OpenAI Chat Completions, OpenAI Responses and Anthropic Messages wire formats with scripted,
 * deterministic answers, and a chaos proxy that injects provider failures by rule and seed in
 * front of any endpoint. Tests, benchmarks and demos run real SDK clients against them, with no
 * network.
 *
 * ```ts
 * import OpenAI from 'openai';
 * import { startSimServer, startChaosProxy } from 'warden/sim';
 *
 * const sim = await startSimServer({ script: { rules: [{ match: { lastUser: 'weather' }, reply: { text: 'Sunny.' } }] } });
 * const proxy = await startChaosProxy({ target: sim.url, seed: 7, rules: [{ every: 3, fault: { kind: 'rate_limit', retryAfterSeconds: 1 } }] });
 * const openai = new OpenAI({ apiKey: 'test', baseURL: `${proxy.url}/v1`, maxRetries: 0 });
 * // ... every third request gets a 429 ...
 * await proxy.close();
 * await sim.close();
 * ```
 */
import './events.ts';

export { startSimServer, SIM_RECORD_DEFAULTS } from './server.ts';
export type { SimServer, SimServerOptions, SimRequestRecord } from './server.ts';
export { parseScript, defaultSentence, valueForSchema } from './script.ts';
export type { SimScript, SimRule, SimReply, SimUsage, StringMatch } from './script.ts';
export { startChaosProxy, CHAOS_DECISION_DEFAULTS } from './chaos-proxy.ts';
export type { ChaosProxy, ChaosProxyOptions } from './chaos-proxy.ts';
export type { ChaosTotals } from './chaos-decision-log.ts';
export { ChaosPlanner, parseRules } from './chaos-rules.ts';
export type { ChaosRule, ChaosFault, ChaosFaultKind, ChaosDecision } from './chaos-rules.ts';
