/**
 * Shared set-up for the agent tests: the simulated model server on loopback with a script, model
 * clients over the real OpenAI and Anthropic SDKs pointed at it (priced by the kit's
 * `SIM_MODEL_PRICING`), and the requests the server received, so a test can count what was paid
 * for. Stores come from the kit's store matrix (`storeCase('sqlite').open()`).
 */
import { createModelClient, anthropicMessages, openaiChat, type ResilientModelClient } from '../../src/llm/index.ts';
import type { Budget } from '../../src/resilience/index.ts';
import type { Clock, EventBus } from '../../src/runtime/index.ts';
import { startSimServer, type SimScript, type SimServer } from '../../src/sim/index.ts';
import { SIM_MODEL_PRICING } from '../../src/testing/index.ts';

export type Provider = 'openai' | 'anthropic';

/** A resilient client over one provider's SDK to `baseURL` (the sim, or a proxy in front of it). */
export function simClient(
  provider: Provider,
  urls: { openai: string; anthropic: string },
  options: { bus?: EventBus; clock?: Clock; budget?: Budget; maxOutputTokens?: number } = {},
): ResilientModelClient {
  const adapter =
    provider === 'openai'
      ? openaiChat({
          model: 'sim-small',
          apiKey: 'sk-test',
          baseURL: urls.openai,
          ...(options.maxOutputTokens === undefined ? {} : { maxOutputTokens: options.maxOutputTokens }),
        })
      : anthropicMessages({
          model: 'sim-large',
          apiKey: 'sk-test',
          baseURL: urls.anthropic,
          ...(options.maxOutputTokens === undefined ? {} : { maxOutputTokens: options.maxOutputTokens }),
        });
  return createModelClient({
    models: [adapter],
    pricing: SIM_MODEL_PRICING,
    ...(options.bus === undefined ? {} : { bus: options.bus }),
    ...(options.clock === undefined ? {} : { clock: options.clock }),
    ...(options.budget === undefined ? {} : { budget: options.budget }),
  });
}

export async function sim(script: SimScript): Promise<SimServer & { urls: { openai: string; anthropic: string } }> {
  const s = await startSimServer({ script });
  return Object.assign(s, { urls: { openai: s.openaiBaseURL, anthropic: s.anthropicBaseURL } });
}

/** The messages of a request the sim received, as `{ role, content }` text (both wire formats). */
export function requestMessages(body: unknown): { role: string; text: string }[] {
  const b = body as { system?: unknown; messages?: { role: string; content: unknown }[] };
  const text = (content: unknown): string =>
    typeof content === 'string'
      ? content
      : Array.isArray(content)
        ? content
            .map((p: { type?: string; text?: string; content?: unknown }) =>
              p.type === 'text' ? (p.text ?? '') : p.type === 'tool_result' ? text(p.content) : '',
            )
            .join('')
        : '';
  const out: { role: string; text: string }[] = [];
  if (typeof b.system === 'string') out.push({ role: 'system', text: b.system });
  else if (Array.isArray(b.system)) out.push({ role: 'system', text: text(b.system) });
  for (const m of b.messages ?? []) out.push({ role: m.role, text: text(m.content) });
  return out;
}
