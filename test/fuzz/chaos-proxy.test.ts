/**
 * Fuzzing the chaos proxy: its options and rules (mutated from valid ones) either start a proxy
 * or are refused with an `InvalidSpecError` naming the field; with any valid rules every request
 * is answered or dropped as its fault says and every one is decided; and with no rules it is
 * transparent to any request (method, path, headers, body bytes): the same status and body as
 * the simulated model server answers directly, never a 502 of its own or a dropped connection.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isWardenError } from '../../src/runtime/index.ts';
import { parseRules, startChaosProxy, startSimServer, type ChaosProxy, type SimServer } from '../../src/sim/index.ts';
import { anyValue, fuzzParams } from './fuzz-settings.ts';
import { sendRaw } from './http-client.ts';

const value = fc.oneof(anyValue, fc.constantFrom(0, 1, 2, 0.5, 429, 500, 599, 600, -1, 'reset', 'close', 'GET', '/v1/.*', '(', '['));

const fault = fc.oneof(
  fc.record(
    {
      kind: fc.constantFrom('rate_limit', 'overloaded', 'status', 'latency', 'hang', 'reset', 'truncate', 'malformed', 'cut_stream', 'explode'),
      retryAfterSeconds: value,
      status: value,
      body: value,
      ms: value,
      bytes: value,
      afterEvents: value,
      mode: value,
    },
    { requiredKeys: ['kind'] },
  ),
  value,
);

const rule = fc.oneof(
  fc.record(
    {
      name: value,
      match: fc.oneof(
        fc.record({ method: value, path: fc.oneof(value, fc.record({ regex: value, flags: value }, { requiredKeys: [] })), body: value }, { requiredKeys: [] }),
        value,
      ),
      every: value,
      after: value,
      probability: value,
      times: value,
      fault,
    },
    { requiredKeys: ['fault'] },
  ),
  value,
);

const options = fc.record(
  {
    rules: fc.oneof(fc.array(rule, { maxLength: 3 }), value),
    seed: value,
    port: fc.oneof(value, fc.constant(0)),
    maxHangMs: value,
    maxDecisions: value,
    maxDecisionBytes: value,
    name: value,
    target: fc.oneof(fc.constant('TARGET'), fc.constantFrom('ftp://x', 'not a url', '', 'http://', 'http://127.0.0.1:1/api'), value),
  },
  { requiredKeys: ['target'] },
);

let sim: SimServer;
let proxy: ChaosProxy;
beforeAll(async () => {
  sim = await startSimServer();
  proxy = await startChaosProxy({ target: sim.url });
});
afterAll(async () => {
  await proxy.close();
  await sim.close();
});

describe('fuzzing the chaos proxy', () => {
  it('starts from fuzzed options and rules or refuses them with INVALID_SPEC naming the field', async () => {
    let refused = 0;
    await fc.assert(
      fc.asyncProperty(fc.oneof({ weight: 9, arbitrary: options }, { weight: 1, arbitrary: value }), async (given) => {
        const record = given as { target?: unknown };
        const o = typeof given !== 'object' || given === null ? given : { ...record, target: record.target === 'TARGET' ? sim.url : record.target };
        try {
          parseRules((o as { rules?: unknown } | null)?.rules);
        } catch (e) {
          if (!isWardenError(e, 'INVALID_SPEC')) throw e;
          expect(e.message).toMatch(/^chaos rules: /);
        }
        let started: ChaosProxy | undefined;
        try {
          started = await startChaosProxy(o as never);
        } catch (e) {
          if (!isWardenError(e, 'INVALID_SPEC')) throw e;
          expect(e.message).toContain(e.path);
          refused++;
        }
        await started?.close();
      }),
      fuzzParams(150),
    );
    expect(refused).toBeGreaterThan(0);
  });

  it('with any valid rules answers or drops each request as its fault says, and keeps serving', async () => {
    const validFault = fc.oneof(
      fc.record({ kind: fc.constant('rate_limit' as const), retryAfterSeconds: fc.nat({ max: 60 }) }),
      fc.constant({ kind: 'overloaded' as const }),
      fc.record({
        kind: fc.constant('status' as const),
        status: fc.integer({ min: 400, max: 599 }),
        body: fc.option(fc.string({ maxLength: 20 }), { nil: undefined }),
      }),
      fc.record({ kind: fc.constant('latency' as const), ms: fc.nat({ max: 3 }) }),
      fc.constant({ kind: 'hang' as const }),
      fc.constant({ kind: 'reset' as const }),
      fc.record({ kind: fc.constant('truncate' as const), bytes: fc.option(fc.nat({ max: 50 }), { nil: undefined }) }),
      fc.constant({ kind: 'malformed' as const }),
      fc.record({ kind: fc.constant('cut_stream' as const), afterEvents: fc.nat({ max: 3 }), mode: fc.constantFrom('reset' as const, 'close' as const) }),
    );
    const rules = fc.array(
      fc.record(
        {
          every: fc.integer({ min: 1, max: 3 }),
          probability: fc.double({ min: 0, max: 1, noNaN: true }),
          times: fc.integer({ min: 1, max: 3 }),
          match: fc.record({ path: fc.constantFrom('/v1/chat/completions', '/v1/messages', '/v1/models') }, { requiredKeys: [] }),
          fault: validFault,
        },
        { requiredKeys: ['fault'] },
      ),
      { minLength: 1, maxLength: 3 },
    );
    const chat = JSON.stringify({ model: 'sim-small', messages: [{ role: 'user', content: 'hi' }], stream: true });
    await fc.assert(
      fc.asyncProperty(
        rules,
        fc.array(fc.constantFrom('/v1/chat/completions', '/v1/messages', '/v1/models'), { minLength: 1, maxLength: 5 }),
        async (r, paths) => {
          const p = await startChaosProxy({ target: sim.url, rules: r as never, maxHangMs: 0 });
          try {
            for (const path of paths) {
              const answer = await sendRaw(
                p.url,
                path === '/v1/models' ? 'GET' : 'POST',
                path,
                { 'content-type': 'application/json', 'anthropic-version': '2023-06-01' },
                path === '/v1/models' ? undefined : chat,
              ).catch((e: unknown) => e as Error);
              if (!(answer instanceof Error)) expect(answer.status).toBeGreaterThanOrEqual(200);
            }
            expect(p.decisions).toHaveLength(paths.length);
          } finally {
            await p.close();
          }
        },
      ),
      fuzzParams(40),
    );
  });

  it('with no rules passes any request through unchanged', async () => {
    const headerName = fc.constantFrom(
      'content-type',
      'anthropic-version',
      'authorization',
      'x-custom',
      'accept',
      'accept-encoding',
      'content-encoding',
      'expect-ct',
      'x-forwarded-for',
      'cookie',
    );
    const headerValue = fc.stringMatching(/^[\t\x20-\x7e]{0,40}$/).map((s) => s.trim());
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'),
        fc.oneof(
          fc.constantFrom('/v1/chat/completions', '/v1/messages', '/v1/responses', '/v1/models', '/_sim/requests', '/v1/x?y=%zz&z', '/%ff', '/a//b'),
          fc.webPath().map((p) => (p.startsWith('/') ? p : `/${p}`)),
        ),
        fc.dictionary(headerName, headerValue, { maxKeys: 4 }),
        fc.oneof(
          fc.uint8Array({ maxLength: 64 }),
          fc.json({ maxDepth: 2 }).map((s) => Buffer.from(s)),
        ),
        async (method, path, headers, body) => {
          const send = method === 'GET' || method === 'OPTIONS' ? undefined : body;
          const direct = await sendRaw(sim.url, method, path, headers, send);
          const proxied = await sendRaw(proxy.url, method, path, headers, send);
          expect(proxied.status, `${method} ${path}: ${proxied.text.slice(0, 200)}`).toBe(direct.status);
          expect(proxied.text.replace(/req_sim_\d+/g, 'req'), `${method} ${path}`).toBe(direct.text.replace(/req_sim_\d+/g, 'req'));
        },
      ),
      fuzzParams(100),
    );
  });
});
