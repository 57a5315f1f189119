/**
 * Fuzzing the simulated model server's HTTP surface (`/v1/chat/completions`, `/v1/messages`,
 * `/v1/responses`, `PUT /_sim/script`) with mutated request bodies (fields replaced by anything,
 * JSON cut short or with bytes flipped, wrong content types) and odd headers. Every answer is a
 * 200 or a 4xx whose JSON body carries an error message; never a 5xx (the server's own failure)
 * or a dropped connection; and the server still answers a valid request afterwards.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isWardenError } from '../../src/runtime/index.ts';
import { startSimServer, type SimServer } from '../../src/sim/index.ts';
import { anyValue, fuzzParams } from './fuzz-settings.ts';
import { jsonOf, sendRaw } from './http-client.ts';

type Json = Record<string, unknown>;

const VALID: Record<string, Json> = {
  '/v1/chat/completions': {
    model: 'sim-small',
    messages: [
      { role: 'system', content: 'be brief' },
      { role: 'user', content: 'hello' },
    ],
    tools: [{ type: 'function', function: { name: 'lookup', parameters: { type: 'object', properties: { q: { type: 'string' } } } } }],
  },
  '/v1/messages': {
    model: 'sim-small',
    max_tokens: 100,
    system: 'be brief',
    messages: [{ role: 'user', content: [{ type: 'text', text: 'hello' }] }],
    tools: [{ name: 'lookup', input_schema: { type: 'object', properties: { q: { type: 'string' } } } }],
  },
  '/v1/responses': { model: 'sim-small', input: [{ role: 'user', content: 'hello' }], instructions: 'be brief' },
};

/** Paths into a body that mutations may replace (existing or new). */
const PATHS: readonly (readonly (string | number)[])[] = [
  ['model'],
  ['messages'],
  ['messages', 0],
  ['messages', 0, 'role'],
  ['messages', 0, 'content'],
  ['messages', 0, 'content', 0],
  ['messages', 0, 'content', 0, 'type'],
  ['messages', 1],
  ['messages', 1, 'content'],
  ['messages', 5],
  ['stream'],
  ['stream_options'],
  ['max_tokens'],
  ['system'],
  ['tools'],
  ['tools', 0],
  ['tools', 0, 'function'],
  ['tools', 0, 'function', 'parameters'],
  ['tools', 0, 'input_schema'],
  ['tools', 0, 'name'],
  ['tool_choice'],
  ['response_format'],
  ['input'],
  ['input', 0, 'content'],
  ['instructions'],
  ['metadata'],
  ['__proto__'],
];

const jsonish = fc.oneof(
  { weight: 3, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      'user',
      'assistant',
      'tool',
      'system',
      'developer',
      'text',
      'image',
      'tool_use',
      'tool_result',
      'function',
      true,
      1,
      -1,
      0,
      1e300,
      '',
    ),
  },
  {
    weight: 1,
    arbitrary: fc.record(
      {
        type: fc.constantFrom('object', 'array', 'string', 'integer', 'number', 'boolean', 'null', ['string', 'null']),
        properties: fc.jsonValue({ maxDepth: 2 }),
        items: fc.jsonValue({ maxDepth: 2 }),
        enum: fc.jsonValue({ maxDepth: 1 }),
        minimum: fc.double(),
        maximum: fc.double(),
      },
      { requiredKeys: ['type'] },
    ),
  },
);

function setAt(target: Json, path: readonly (string | number)[], value: unknown): void {
  let node: Record<string | number, unknown> = target;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    if (typeof next !== 'object' || next === null) {
      node[key] = typeof path[path.indexOf(key) + 1] === 'number' ? [] : {};
    }
    node = node[key] as Record<string | number, unknown>;
  }
  Object.defineProperty(node, path.at(-1) as string, { value, enumerable: true, writable: true, configurable: true });
}

/** A body: a valid one with fields replaced, as text; sometimes cut short or with a byte changed. */
const body = (route: string) =>
  fc
    .tuple(
      fc.array(fc.tuple(fc.constantFrom(...PATHS), jsonish), { maxLength: 3 }),
      fc.constantFrom('none', 'none', 'cut', 'flip', 'stream'),
      fc.nat(),
      fc.integer({ min: 0, max: 255 }),
    )
    .map(([mutations, damage, at, byte]) => {
      const value = structuredClone(VALID[route]) as Json;
      for (const [path, v] of mutations) setAt(value, path, v);
      if (damage === 'stream') value.stream = true;
      const bytes = Buffer.from(JSON.stringify(value));
      if (damage === 'cut') return bytes.subarray(0, at % (bytes.length + 1));
      if (damage === 'flip' && bytes.length > 0) bytes[at % bytes.length] = byte;
      return bytes;
    });

const headers = fc.record(
  {
    'content-type': fc.constantFrom('application/json', 'text/plain', 'application/json; charset=latin1', 'multipart/form-data', ''),
    'anthropic-version': fc.constantFrom('2023-06-01', '', 'x'),
    authorization: fc.constantFrom('Bearer sk-test', 'Bearer ', 'Basic abc', 'sk-test'),
    'x-api-key': fc.constantFrom('sk-test', '', 'wrong'),
    'content-encoding': fc.constantFrom('gzip', 'identity'),
    'x-stainless-retry-count': fc.constantFrom('0', '-1', 'NaN'),
  },
  { requiredKeys: [] },
);

let sim: SimServer;
beforeAll(async () => {
  sim = await startSimServer({ maxRecords: 50 });
});
afterAll(async () => {
  await sim.close();
});

function expectClientErrorOrOk(status: number, text: string, what: string): void {
  expect(status, `${what}: ${text.slice(0, 300)}`).toBeGreaterThanOrEqual(200);
  expect(status, `${what}: ${text.slice(0, 300)}`).toBeLessThan(500);
  if (status >= 400) {
    const parsed = jsonOf({ status, headers: {}, text }) as { error?: { message?: unknown } };
    const message = parsed.error?.message;
    expect(typeof message === 'string' && message.length > 0, `${what}: ${text.slice(0, 300)}`).toBe(true);
  }
}

describe('fuzzing the simulated model server', () => {
  it('starts from fuzzed options or refuses them with INVALID_SPEC naming the field', async () => {
    const options = fc.oneof(
      anyValue,
      fc.record(
        {
          port: fc.oneof(anyValue, fc.constant(0)),
          host: fc.constantFrom('127.0.0.1', '::1', '[::1]', 'localhost', 'x'.repeat(300), ''),
          latencyMs: anyValue,
          streamDelayMs: anyValue,
          maxRecords: anyValue,
          maxRecordBytes: anyValue,
          maxRecordBodyBytes: anyValue,
          apiKey: anyValue,
          script: fc.oneof(anyValue, fc.record({ rules: anyValue, sequence: anyValue, defaults: anyValue }, { requiredKeys: [] })),
        },
        { requiredKeys: [] },
      ),
    );
    await fc.assert(
      fc.asyncProperty(options, async (o) => {
        let started: SimServer | undefined;
        try {
          started = await startSimServer(o as never);
        } catch (e) {
          // A host the resolver refuses is the operating system's answer, not a spec error.
          if (
            typeof (e as NodeJS.ErrnoException).code === 'string' &&
            ['ENOTFOUND', 'EINVAL', 'EAI_AGAIN', 'EADDRNOTAVAIL'].includes((e as NodeJS.ErrnoException).code as string)
          )
            return;
          if (!isWardenError(e)) throw e;
          expect(e.message).toMatch(/^sim (server|script)/);
        }
        await started?.close();
      }),
      fuzzParams(100),
    );
  });

  it.each(Object.keys(VALID))('POST %s answers 200 or a 4xx with a message, never a 5xx', async (route) => {
    let refused = 0;
    await fc.assert(
      fc.asyncProperty(body(route), headers, async (bytes, hs) => {
        const answer = await sendRaw(sim.url, 'POST', route, hs as Record<string, string>, bytes);
        if (answer.status >= 400) refused++;
        expectClientErrorOrOk(answer.status, answer.text, `POST ${route} ${bytes.toString('utf8').slice(0, 200)}`);
      }),
      fuzzParams(120),
    );
    expect(refused).toBeGreaterThan(0);
    const ok = await sendRaw(sim.url, 'POST', route, { 'content-type': 'application/json', 'anthropic-version': '2023-06-01' }, JSON.stringify(VALID[route]));
    expect(ok.status).toBe(200);
  });

  it('PUT /_sim/script takes a script or refuses it with a 400 naming the problem, and the old script stays', async () => {
    const script = fc.oneof(
      anyValue.filter((v) => typeof v !== 'bigint' && typeof v !== 'symbol' && typeof v !== 'function'),
      fc.record(
        {
          rules: fc.array(
            fc.record(
              {
                name: jsonish,
                match: fc.oneof(jsonish, fc.record({ lastUser: jsonish, model: jsonish, api: jsonish, tools: jsonish }, { requiredKeys: [] })),
                reply: fc.oneof(
                  jsonish,
                  fc.record({ text: jsonish, toolCalls: jsonish, error: jsonish, status: jsonish, json: jsonish, usage: jsonish }, { requiredKeys: [] }),
                ),
                times: jsonish,
                latencyMs: jsonish,
              },
              { requiredKeys: [] },
            ),
            { maxLength: 2 },
          ),
          sequence: jsonish,
          defaults: jsonish,
        },
        { requiredKeys: [] },
      ),
    );
    await fc.assert(
      fc.asyncProperty(script, fc.constantFrom(...Object.keys(VALID)), async (s, route) => {
        const put = await sendRaw(sim.url, 'PUT', '/_sim/script', { 'content-type': 'application/json' }, JSON.stringify(s) ?? '');
        expectClientErrorOrOk(put.status, put.text, `PUT /_sim/script ${JSON.stringify(s)}`);
        // Whatever script is in force, a valid request is answered without a server failure.
        const answer = await sendRaw(
          sim.url,
          'POST',
          route,
          { 'content-type': 'application/json', 'anthropic-version': '2023-06-01' },
          JSON.stringify({ ...VALID[route], stream: false }),
        );
        expect(answer.status, `${route} under script ${JSON.stringify(s)}: ${answer.text.slice(0, 300)}`).toBeLessThan(500);
        await sendRaw(sim.url, 'PUT', '/_sim/script', { 'content-type': 'application/json' }, '{}');
      }),
      fuzzParams(100),
    );
  });

  it('answers any method on any path with a JSON 404/405 or the route, never a 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD'),
        fc.oneof(
          fc.constantFrom('/v1/models', '/v1/chat/completions/', '//v1//messages', '/_sim/requests', '/v1/responses?x=%zz', '/%', '/v1/../_sim/reset'),
          fc.webPath(),
        ),
        async (method, path) => {
          const answer = await sendRaw(sim.url, method, path.startsWith('/') ? path : `/${path}`, {}, method === 'GET' || method === 'HEAD' ? undefined : '{}');
          expect(answer.status, `${method} ${path}: ${answer.text.slice(0, 200)}`).toBeLessThan(500);
        },
      ),
      fuzzParams(100),
    );
  });
});
