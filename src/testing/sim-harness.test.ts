/**
 * The simulated-model harness, over real HTTP with the official SDKs: its adapters reach the
 * scripted server for both wire formats; with rules, a chaos proxy sits in front, a retry's
 * Retry-After passes on the virtual clock by exactly that much, and `expireHangs` moves the clock
 * past a hung request's timeout; `close()` closes the proxy and the server.
 */
import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { isWardenError } from '../runtime/index.ts';
import { SIM_MODEL_PRICING, startSimHarness, type SimHarness } from './index.ts';

const open: SimHarness[] = [];
afterEach(async () => {
  for (const h of open.splice(0)) await h.close();
});

async function harness(options: Parameters<typeof startSimHarness>[0] = {}): Promise<SimHarness> {
  const h = await startSimHarness(options);
  open.push(h);
  return h;
}

const ask = { messages: [{ role: 'user' as const, content: 'ping' }] };

/** Resolves with the HTTP status, or with the connection error's code. */
function reach(url: string): Promise<number | string> {
  return new Promise((resolve) => {
    const req = request(`${url}/v1/models`, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.setTimeout(5_000, () => req.destroy(new Error('no answer within 5 s')));
    req.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
    req.end();
  });
}

describe('the simulated-model harness', () => {
  it('answers by its script through both adapters, and records the requests', async () => {
    const h = await harness({ script: { rules: [{ match: { lastUser: 'ping' }, reply: { text: 'pong' } }] }, apiKey: 'sk-mine' });
    expect(h.proxy).toBeUndefined();
    expect((await h.openai().complete(ask)).text).toBe('pong');
    expect((await h.anthropic().complete(ask)).text).toBe('pong');
    expect(h.sim.requests.map((r) => r.model)).toEqual(['sim-small', 'sim-large']);
    expect(h.openaiBaseURL).toBe(`${h.sim.url}/v1`);
  });

  it('gives clients priced by SIM_MODEL_PRICING on its clock and bus', async () => {
    const h = await harness({ script: { rules: [{ reply: { text: 'hi', usage: { inputTokens: 1_000_000, outputTokens: 0 } } }] } });
    const response = await h.client().complete(ask);
    expect(response.costUsd).toBeCloseTo(SIM_MODEL_PRICING['sim-small']!.inputPerMTok, 6);
    expect(h.types('llm.')).toContain('llm.completed');
  });

  it('puts a chaos proxy in front given rules, and lets a retry wait out Retry-After on the virtual clock', async () => {
    const h = await harness({ startMs: 1_000, rules: [{ times: 1, fault: { kind: 'rate_limit', retryAfterSeconds: 30 } }] });
    expect(h.openaiBaseURL).toBe(`${h.proxy!.url}/v1`);
    const response = await h.client().complete(ask);
    expect(response.attempts).toBe(2);
    expect(h.of('retry.attempt_failed').map((e) => e.delayMs)).toEqual([30_000]);
    expect(h.clock.now()).toBe(31_000);
    expect(h.proxy!.decisions.map((d) => d.fault?.kind ?? 'pass')).toEqual(['rate_limit', 'pass']);
  });

  it('moves the clock past the timeout of a request hung at the proxy', async () => {
    const h = await harness({ rules: [{ times: 1, fault: { kind: 'hang' } }] });
    const running = h.client({ timeoutMs: 5_000 }).complete(ask);
    await h.expireHangs(5_000);
    expect((await running).attempts).toBe(2);
    expect(h.of('retry.attempt_failed')[0]?.error).toSatisfy((e: unknown) => isWardenError(e, 'TIMEOUT'));
  });

  it('refuses expireHangs without a proxy, saying so', async () => {
    const h = await harness();
    await expect(h.expireHangs(1_000)).rejects.toThrow('expireHangs: this harness has no chaos proxy (start it with rules)');
  });

  it('closes the proxy and the server, once however often it is called', async () => {
    const h = await harness({ rules: [] });
    expect(await reach(h.proxy!.url)).toBe(200);
    await h.close();
    await h.close();
    expect(await reach(h.sim.url)).toBe('ECONNREFUSED');
    expect(await reach(h.proxy!.url)).toBe('ECONNREFUSED');
  });
});
