/**
 * What the simulated server and the chaos proxy hold and refuse, over real HTTP on loopback:
 * request records and decisions stay within their count and byte bounds over thousands of
 * requests while the totals still count every one; a body past the record cap is kept cut and
 * says so; a body nested thousands of levels deep gets a 400 naming where (not a 500), and the
 * records list still works after it; a body past 16 MiB gets a 413 the client can read (not a
 * reset), from the server and from the proxy.
 */
import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { isWardenError } from '../runtime/index.ts';
import { CHAOS_DECISION_DEFAULTS, SIM_RECORD_DEFAULTS, startChaosProxy, startSimServer, type ChaosProxy, type SimServer } from './index.ts';

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const s of open.splice(0).reverse()) await s.close();
});

async function sim(options: Parameters<typeof startSimServer>[0] = {}): Promise<SimServer> {
  const s = await startSimServer(options);
  open.push(s);
  return s;
}

async function proxy(options: Parameters<typeof startChaosProxy>[0]): Promise<ChaosProxy> {
  const p = await startChaosProxy(options);
  open.push(p);
  return p;
}

const anthropicHeaders = { 'anthropic-version': '2023-06-01' };

/** POST over a fresh connection; resolves with what arrived, or the socket error. */
function post(
  url: string,
  body: string | Buffer,
  headers: Record<string, string> = {},
): Promise<{ status?: number | undefined; body: string; error?: string }> {
  return new Promise((resolve) => {
    let text = '';
    let status: number | undefined;
    const req = request(url, { method: 'POST', agent: false, headers: { 'content-type': 'application/json', ...headers } }, (res) => {
      status = res.statusCode;
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status, body: text }));
      res.on('error', (e) => resolve({ status, body: text, error: (e as NodeJS.ErrnoException).code ?? e.message }));
    });
    req.on('error', (e) => resolve({ ...(status === undefined ? {} : { status }), body: text, error: (e as NodeJS.ErrnoException).code ?? e.message }));
    req.end(body);
  });
}

/** Run `fn(i)` for i in [0, n), `width` at a time. */
async function inBatches(n: number, width: number, fn: (i: number) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < n; i += width) await Promise.all(Array.from({ length: Math.min(width, n - i) }, (_, j) => fn(i + j)));
}

const chat = (content: string) => JSON.stringify({ model: 'sim-small', messages: [{ role: 'user', content }] });

/** A request body whose tool schema nests `levels` objects deep (written as text: too deep for JSON.stringify). */
function deepToolBody(levels: number): string {
  const schema = '{"type":"object","properties":{"a":'.repeat(levels) + '{"type":"string"}' + '}}'.repeat(levels);
  return `{"model":"sim-small","messages":[{"role":"user","content":"hi"}],"tools":[{"type":"function","function":{"name":"t","parameters":${schema}}}],"tool_choice":"required"}`;
}

describe('bounded records and decisions', () => {
  it('keeps the latest requests within count and bytes, cuts big bodies with a flag, and still counts every request', async () => {
    const bounds = { maxRecords: 50, maxRecordBytes: 200_000, maxRecordBodyBytes: 32 * 1024 };
    const s = await sim(bounds);
    const p = await proxy({
      target: s.url,
      maxDecisions: 40,
      maxDecisionBytes: 30_000,
      rules: [{ name: 'every-10th', every: 10, fault: { kind: 'status', status: 503 } }],
    });
    const small = 2_000;
    await inBatches(small, 20, async (i) => {
      const r = await fetch(`${p.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: chat(`question ${i}`) });
      await r.arrayBuffer();
    });
    // A few large bodies (2 MiB each), straight to the server and through the proxy, the last one over the proxy.
    const big = 'x'.repeat(2 * 1024 * 1024);
    const direct = await post(`${s.url}/v1/chat/completions`, chat(big));
    expect(direct.status).toBe(200);
    const viaProxy = await post(
      `${p.url}/v1/messages`,
      JSON.stringify({ model: 'sim-large', max_tokens: 5, messages: [{ role: 'user', content: big }] }),
      anthropicHeaders,
    );
    expect(viaProxy.status).toBe(200);
    // And long paths, which the proxy keeps in its decisions (the server answers 404 and records nothing).
    for (let i = 0; i < 5; i++) expect((await post(`${p.url}/v1/${'p'.repeat(8_000)}${i}`, '{}')).status).toBe(404);

    const total = small + 1 + 5;
    expect(p.totals.requests).toBe(total);
    expect(p.totals.faults).toBe(Math.floor(total / 10));
    expect(p.totals.byFault).toEqual({ status: Math.floor(total / 10) });
    expect(p.decisions.length).toBeLessThanOrEqual(40);
    expect(p.decisionBytes).toBeLessThanOrEqual(30_000);
    expect(p.decisions.at(-1)?.seq).toBe(total);
    expect(p.decisions.map((d) => d.seq)).toEqual(p.decisions.map((_, i, all) => (all.at(-1)?.seq ?? 0) - all.length + 1 + i));

    const answered = small - small / 10 + 2; // the 503s never reached the server; the two big bodies did
    expect(s.requestCount).toBe(answered);
    expect(s.requests.length).toBeLessThanOrEqual(bounds.maxRecords);
    expect(s.recordBytes).toBeLessThanOrEqual(bounds.maxRecordBytes);
    const last = s.requests.at(-1);
    expect(last).toMatchObject({ seq: answered, api: 'anthropic', bodyBytes: expect.any(Number), bodyTruncated: true });
    expect(last?.bodyBytes).toBeGreaterThan(2 * 1024 * 1024);
    expect(typeof last?.body).toBe('string');
    expect(Buffer.byteLength(last?.body as string)).toBe(bounds.maxRecordBodyBytes);
    expect(last?.lastUser.length).toBe(bounds.maxRecordBodyBytes);
    expect(s.requests.filter((r) => !r.bodyTruncated).every((r) => typeof r.body === 'object')).toBe(true);

    const listed = (await (await fetch(`${s.url}/_sim/requests`)).json()) as {
      count: number;
      kept: number;
      bytes: number;
      requests: { seq: number; bodyTruncated: boolean }[];
    };
    expect(listed).toMatchObject({ count: answered, kept: s.requests.length, bytes: s.recordBytes });
    expect(listed.requests.map((r) => r.seq)).toEqual(s.requests.map((r) => r.seq));

    p.reset();
    expect(p.totals).toEqual({ requests: 0, faults: 0, byFault: {} });
    expect(p.decisions).toHaveLength(0);
    s.reset();
    expect([s.requestCount, s.requests.length, s.recordBytes]).toEqual([0, 0, 0]);
  });

  it('has documented defaults and refuses bad bounds, naming the option', async () => {
    expect(SIM_RECORD_DEFAULTS).toEqual({ maxRecords: 10_000, maxRecordBytes: 64 * 1024 * 1024, maxRecordBodyBytes: 1024 * 1024 });
    expect(CHAOS_DECISION_DEFAULTS).toEqual({ maxDecisions: 10_000, maxDecisionBytes: 4 * 1024 * 1024 });
    for (const [field, value] of [
      ['maxRecords', -1],
      ['maxRecordBytes', 1.5],
      ['maxRecordBodyBytes', Number.NaN],
    ] as const) {
      const e = await startSimServer({ [field]: value }).catch((x: unknown) => x);
      expect(isWardenError(e, 'INVALID_SPEC') && (e as unknown as { path: string }).path).toBe(field);
    }
    const e = await startChaosProxy({ target: 'http://127.0.0.1:9', maxDecisions: -5 }).catch((x: unknown) => x);
    expect(isWardenError(e, 'INVALID_SPEC') && (e as unknown as { path: string }).path).toBe('maxDecisions');
  });
});

describe('deeply nested bodies', () => {
  it.each([
    ['openai', '/v1/chat/completions', {}],
    ['anthropic', '/v1/messages', anthropicHeaders],
  ] as const)('%s: answers 400 naming where a body nests too deep, and the records list still works', async (_api, path, headers) => {
    const s = await sim({ apiKey: 'right-key' });
    const auth = { authorization: 'Bearer right-key', 'x-api-key': 'right-key' };
    const body = deepToolBody(5_000).replace('"max_tokens"', '"max_tokens"');
    const r = await post(`${s.url}${path}`, path === '/v1/messages' ? body.replace('{"model"', '{"max_tokens":5,"model"') : body, { ...headers, ...auth });
    expect(r.status).toBe(400);
    expect(r.body).toMatch(/nests deeper than 128 levels of objects and arrays \(at tools\[0\]\.function\.parameters\.properties\.a…\)/);
    // Recorded before the key is checked, and without the key: it used to break the list for good.
    const wrongKey = await post(`${s.url}${path}`, body, { ...headers, authorization: 'Bearer wrong' });
    expect(wrongKey.status).toBe(400);
    const listed = await fetch(`${s.url}/_sim/requests`);
    expect(listed.status).toBe(200);
    const json = (await listed.json()) as { count: number; requests: { status: number; source: string; body: unknown }[] };
    expect(json.count).toBe(2);
    expect(json.requests.map((x) => [x.status, x.source, typeof x.body])).toEqual([
      [400, 'invalid', 'string'],
      [400, 'invalid', 'string'],
    ]);
  });

  it('still answers a schema nested 40 levels deep (well within the limit)', async () => {
    const s = await sim();
    const r = await post(`${s.url}/v1/chat/completions`, deepToolBody(40));
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body)).toMatchObject({ choices: [{ finish_reason: 'tool_calls' }] });
    expect((await fetch(`${s.url}/_sim/requests`)).status).toBe(200);
  });
});

describe('bodies past 16 MiB', () => {
  const huge = Buffer.alloc(17 * 1024 * 1024, 0x61);

  it.each([
    ['openai', '/v1/chat/completions', {}, { error: { type: 'invalid_request_error' } }],
    ['anthropic', '/v1/messages', anthropicHeaders, { type: 'error', error: { type: 'request_too_large' } }],
  ] as const)('%s: the server answers 413 in the API shape, and the client reads it', async (_api, path, headers, shape) => {
    const s = await sim();
    const r = await post(`${s.url}${path}`, huge, headers);
    expect(r.error).toBeUndefined();
    expect(r.status).toBe(413);
    expect(JSON.parse(r.body)).toMatchObject(shape);
    expect(r.body).toContain(`request body of ${huge.length} bytes is larger than the limit of 16777216 bytes`);
    // The server is still fine afterwards.
    expect((await post(`${s.url}/v1/chat/completions`, chat('after'))).status).toBe(200);
  });

  it('the chaos proxy answers 413 too, without forwarding the body', async () => {
    const s = await sim();
    const p = await proxy({ target: s.url });
    const r = await post(`${p.url}/v1/chat/completions`, huge);
    expect(r.error).toBeUndefined();
    expect(r.status).toBe(413);
    expect(JSON.parse(r.body)).toMatchObject({ error: { message: expect.stringContaining('chaos proxy: request body of') } });
    expect(s.requestCount).toBe(0);
    expect(p.totals.requests).toBe(0);
  });
});
