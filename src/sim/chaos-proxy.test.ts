/**
 * The chaos proxy over real HTTP, in front of the simulated server: each fault's effect on the
 * wire, transparent forwarding, the hang bound (on a virtual clock), closing with requests in
 * flight, bad options, and (property, through real HTTP) the same seed giving the same faults
 * for the same request sequence.
 */
import fc from 'fast-check';
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VirtualClock, isWardenError } from '../runtime/index.ts';
import { waitFor } from '../testing/index.ts';
import { startChaosProxy, startSimServer, type ChaosProxy, type ChaosRule, type SimServer } from './index.ts';

let sim: SimServer;

beforeAll(async () => {
  sim = await startSimServer({ script: { rules: [{ match: { lastUser: 'story' }, reply: { text: 'one two three four five six seven eight' } }] } });
});
afterAll(async () => {
  await sim.close();
});

const chat = (stream = false) => JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'story' }], stream });

/** POST over a fresh connection; resolves with what arrived, or the socket error. */
function post(
  base: string,
  path: string,
  body: string,
  headers: Record<string, string> = {},
): Promise<{ status?: number | undefined; headers?: Record<string, unknown> | undefined; body: string; error?: string }> {
  return new Promise((resolve) => {
    let text = '';
    let status: number | undefined;
    let hdrs: Record<string, unknown> | undefined;
    const req = request(`${base}${path}`, { method: 'POST', agent: false, headers: { 'content-type': 'application/json', ...headers } }, (res) => {
      status = res.statusCode;
      hdrs = res.headers;
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status, headers: hdrs, body: text }));
      res.on('error', (e) => resolve({ status, headers: hdrs, body: text, error: (e as NodeJS.ErrnoException).code ?? e.message }));
    });
    req.on('error', (e) => resolve({ ...(status === undefined ? {} : { status }), body: text, error: (e as NodeJS.ErrnoException).code ?? e.message }));
    req.end(body);
  });
}

async function withProxy<T>(
  rules: ChaosRule[],
  fn: (p: ChaosProxy) => Promise<T>,
  extra: { seed?: number; clock?: VirtualClock; maxHangMs?: number } = {},
): Promise<T> {
  const p = await startChaosProxy({ target: sim.url, rules, ...extra });
  try {
    return await fn(p);
  } finally {
    await p.close();
  }
}

describe('chaos proxy faults on the wire', () => {
  it('forwards untouched what no rule picks', async () => {
    await withProxy([], async (p) => {
      const direct = await post(sim.url, '/v1/chat/completions', chat());
      const proxied = await post(p.url, '/v1/chat/completions', chat());
      expect(proxied.status).toBe(200);
      expect(JSON.parse(proxied.body).choices).toEqual(JSON.parse(direct.body).choices);
      const streamed = await post(p.url, '/v1/chat/completions', chat(true));
      expect(streamed.headers?.['content-type']).toBe('text/event-stream');
      expect(streamed.body.trim().endsWith('data: [DONE]')).toBe(true);
      expect(p.decisions.map((d) => d.fault)).toEqual([undefined, undefined]);
    });
  });

  it('answers 429 with Retry-After in the shape of the API the path belongs to', async () => {
    await withProxy([{ fault: { kind: 'rate_limit', retryAfterSeconds: 7 } }], async (p) => {
      const o = await post(p.url, '/v1/chat/completions', chat());
      expect(o.status).toBe(429);
      expect(o.headers?.['retry-after']).toBe('7');
      expect(JSON.parse(o.body)).toMatchObject({ error: { code: 'rate_limit_exceeded' } });
      const a = await post(p.url, '/v1/messages', '{}');
      expect(JSON.parse(a.body)).toMatchObject({ type: 'error', error: { type: 'rate_limit_error' } });
    });
  });

  it('answers 529 overloaded and any 5xx', async () => {
    await withProxy([{ every: 2, fault: { kind: 'status', status: 502 } }, { fault: { kind: 'overloaded' } }], async (p) => {
      const first = await post(p.url, '/v1/messages', '{}');
      expect(first.status).toBe(529);
      expect(JSON.parse(first.body)).toEqual({ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } });
      expect((await post(p.url, '/v1/messages', '{}')).status).toBe(502);
    });
  });

  it('resets the connection', async () => {
    await withProxy([{ fault: { kind: 'reset' } }], async (p) => {
      const r = await post(p.url, '/v1/chat/completions', chat());
      expect(r.status).toBeUndefined();
      expect(r.error).toBe('ECONNRESET');
    });
  });

  it('truncates a body and breaks the connection', async () => {
    await withProxy([{ fault: { kind: 'truncate', bytes: 10 } }], async (p) => {
      const r = await post(p.url, '/v1/chat/completions', chat());
      expect(r.status).toBe(200);
      expect(r.body).toHaveLength(10);
      expect(r.error).toBeDefined();
    });
  });

  it('sends a malformed body, and a stream with one broken event', async () => {
    await withProxy([{ fault: { kind: 'malformed' } }], async (p) => {
      const r = await post(p.url, '/v1/chat/completions', chat());
      expect(r.status).toBe(200);
      expect(() => JSON.parse(r.body)).toThrow(SyntaxError);
      const s = await post(p.url, '/v1/chat/completions', chat(true));
      const events = s.body.split('\n\n').filter((e) => e !== '');
      expect(events).toHaveLength(2);
      expect(() => JSON.parse(events[1]?.replace(/^data: /, '') ?? '')).toThrow(SyntaxError);
    });
  });

  it.each(['reset', 'close'] as const)('cuts a stream after K events (%s)', async (mode) => {
    await withProxy([{ fault: { kind: 'cut_stream', afterEvents: 3, mode } }], async (p) => {
      const r = await post(p.url, '/v1/chat/completions', chat(true));
      expect(r.status).toBe(200);
      expect(r.body.split('\n\n').filter((e) => e !== '')).toHaveLength(3);
      if (mode === 'reset') expect(r.error).toBeDefined();
      else expect(r.error).toBeUndefined();
    });
  });

  it('adds latency on its clock, then forwards', async () => {
    const clock = new VirtualClock();
    await withProxy(
      [{ fault: { kind: 'latency', ms: 300 } }],
      async (p) => {
        const before = sim.requestCount;
        const pending = post(p.url, '/v1/chat/completions', chat());
        await waitFor(() => clock.pendingTimers() > 0, 'the proxy to start its latency timer');
        await clock.advance(299);
        expect(sim.requestCount).toBe(before);
        await clock.advance(1);
        expect((await pending).status).toBe(200);
        expect(sim.requestCount).toBe(before + 1);
      },
      { clock },
    );
  });

  it('holds a hang until maxHangMs passes on its clock, then drops the connection', async () => {
    const clock = new VirtualClock();
    await withProxy(
      [{ fault: { kind: 'hang' } }],
      async (p) => {
        const pending = post(p.url, '/v1/chat/completions', chat());
        await waitFor(() => p.hanging > 0, 'the request to hang at the proxy');
        await clock.advance(999);
        expect(p.hanging).toBe(1);
        await clock.advance(1);
        const r = await pending;
        expect(r.status).toBeUndefined();
        expect(r.error).toBeDefined();
        expect(p.hanging).toBe(0);
      },
      { clock, maxHangMs: 1000 },
    );
  });

  it('closes with a request still hanging, freeing it', async () => {
    const p = await startChaosProxy({ target: sim.url, rules: [{ fault: { kind: 'hang' } }] });
    const pending = post(p.url, '/v1/chat/completions', chat());
    await waitFor(() => p.hanging > 0, 'the request to hang at the proxy');
    await p.close();
    expect((await pending).error).toBeDefined();
    expect(p.hanging).toBe(0);
  });

  it('answers 502 naming the target when it cannot be reached', async () => {
    const dead = await startSimServer();
    const url = dead.url;
    await dead.close();
    const p = await startChaosProxy({ target: url });
    try {
      const r = await post(p.url, '/v1/chat/completions', chat());
      expect(r.status).toBe(502);
      expect(JSON.parse(r.body).error.message).toContain(url);
    } finally {
      await p.close();
    }
  });

  it.each([
    [{ target: 'not a url' }, 'target'],
    [{ target: 'ftp://x' }, 'target'],
    [{ target: 'http://127.0.0.1:1', port: 70000 }, 'port'],
    [{ target: 'http://127.0.0.1:1', rules: [{ fault: { kind: 'nope' } }] }, 'rules[0].fault.kind'],
    [{ target: 'http://127.0.0.1:1', seed: 1.5 }, 'seed'],
    // A symbol once escaped as "TypeError: Cannot convert a Symbol value to a number".
    [{ target: 'http://127.0.0.1:1', maxHangMs: Symbol('x') }, 'maxHangMs'],
    [{ target: 'http://127.0.0.1:1', maxHangMs: '5' }, 'maxHangMs'],
    [null, ''],
  ])('refuses options %j naming %s', async (options, path) => {
    const error = await startChaosProxy(options as Parameters<typeof startChaosProxy>[0]).catch((e: unknown) => e);
    expect(isWardenError(error, 'INVALID_SPEC')).toBe(true);
    expect((error as { path: string }).path).toBe(path);
  });
});

describe('reproducibility over real HTTP', () => {
  it('gives the same fault sequence for the same seed and request sequence (property)', async () => {
    const fault = fc.constantFrom<ChaosRule['fault']>(
      { kind: 'rate_limit' },
      { kind: 'overloaded' },
      { kind: 'status', status: 503 },
      { kind: 'reset' },
      { kind: 'malformed' },
    );
    const rule = fc.record(
      {
        every: fc.integer({ min: 1, max: 3 }),
        probability: fc.double({ min: 0.1, max: 1, noNaN: true }),
        match: fc.record({ path: fc.constantFrom('/v1/messages', '/v1/chat') }, { requiredKeys: [] }),
        fault,
      },
      { requiredKeys: ['fault'] },
    );
    const paths = fc.array(fc.constantFrom('/v1/messages', '/v1/chat/completions'), { minLength: 1, maxLength: 12 });
    await fc.assert(
      fc.asyncProperty(fc.array(rule, { minLength: 1, maxLength: 3 }), fc.integer({ min: 0, max: 1000 }), paths, async (rules, seed, sequence) => {
        const observe = async (): Promise<string[]> =>
          withProxy(
            rules as ChaosRule[],
            async (p) => {
              const seen: string[] = [];
              for (const path of sequence) {
                const r = await post(p.url, path, path === '/v1/messages' ? '{}' : chat());
                seen.push(`${r.status ?? r.error}`);
              }
              expect(p.decisions.map((d) => d.fault?.kind ?? 'pass')).toHaveLength(sequence.length);
              return seen.map((s, i) => `${p.decisions[i]?.fault?.kind ?? 'pass'}:${s}`);
            },
            { seed },
          );
        expect(await observe()).toEqual(await observe());
      }),
      { numRuns: 12 },
    );
  });
});
