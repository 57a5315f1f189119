/**
 * Fuzzing the memory server's HTTP endpoint: any method, path and headers, mutated JSON-RPC
 * bodies, and every tool called with mutated arguments inside a real session. Every refusal is
 * a 4xx with a JSON-RPC error naming the problem, or a tool result marked `isError` whose text
 * says what is wrong; never a 5xx or a dropped connection. What the valid calls wrote is all in
 * the graph afterwards, and nothing a refused call carried is.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openMemoryGraph, startMemoryHttp, type MemoryGraph, type MemoryHttpServer } from '../../src/memory/index.ts';
import { tempDir } from '../support/memory-harness.ts';
import { isWardenError } from '../../src/runtime/index.ts';
import { anyValue, fuzzParams } from './fuzz-settings.ts';
import { sendRaw, type RawAnswer } from './http-client.ts';

const BASE_HEADERS = { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2025-06-18' };
const INITIALIZE = {
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'fuzz', version: '1' } },
};

let dir: string;
let graph: MemoryGraph;
let http: MemoryHttpServer;
let origin: string;
let session: string;
let nextId = 10;

beforeAll(async () => {
  dir = tempDir('warden-fuzz-memory-');
  graph = await openMemoryGraph({ file: join(dir, 'memory.jsonl') });
  http = await startMemoryHttp(graph);
  origin = new URL(http.url).origin;
  const init = await sendRaw(origin, 'POST', '/mcp', BASE_HEADERS, JSON.stringify(INITIALIZE));
  expect(init.status).toBe(200);
  session = String(init.headers['mcp-session-id']);
  const ready = await sendRaw(
    origin,
    'POST',
    '/mcp',
    { ...BASE_HEADERS, 'mcp-session-id': session },
    JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }),
  );
  expect(ready.status).toBeLessThan(300);
});
afterAll(async () => {
  await http.close();
  await graph.close();
  rmSync(dir, { recursive: true, force: true });
});

function rpc(body: unknown): Promise<RawAnswer> {
  return sendRaw(origin, 'POST', '/mcp', { ...BASE_HEADERS, 'mcp-session-id': session }, typeof body === 'string' ? body : JSON.stringify(body));
}

/** A 4xx answer carries a JSON-RPC error with a message; nothing is a 5xx. */
function expectNoServerFailure(answer: RawAnswer, what: string): void {
  expect(answer.status, `${what}: ${answer.text.slice(0, 300)}`).toBeLessThan(500);
  if (answer.status >= 400 && answer.text !== '') {
    const parsed = JSON.parse(answer.text) as { error?: { message?: unknown } };
    expect(typeof parsed.error?.message === 'string' && parsed.error.message.length > 0, `${what}: ${answer.text.slice(0, 300)}`).toBe(true);
  }
}

const str = fc.oneof(fc.string({ maxLength: 8 }), fc.constantFrom('\uD800', 'a\uDC00b', '', ' ', '\u0000', 'é', '👍', '__proto__'));
const entity = fc.record({ name: str, entityType: str, observations: fc.array(str, { maxLength: 2 }) });
const mutated = <T>(valid: fc.Arbitrary<T>) =>
  fc.oneof(
    { weight: 3, arbitrary: valid },
    { weight: 1, arbitrary: anyValue.filter((v) => typeof v !== 'bigint' && typeof v !== 'symbol' && typeof v !== 'function') },
  );

const toolCall = fc.oneof(
  fc.record({ name: fc.constant('create_entities'), arguments: fc.record({ entities: mutated(fc.array(mutated(entity), { maxLength: 3 })) }) }),
  fc.record({
    name: fc.constant('create_relations'),
    arguments: fc.record({ relations: mutated(fc.array(mutated(fc.record({ from: str, to: str, relationType: str })), { maxLength: 3 })) }),
  }),
  fc.record({
    name: fc.constant('add_observations'),
    arguments: fc.record({
      observations: mutated(fc.array(mutated(fc.record({ entityName: str, contents: mutated(fc.array(str, { maxLength: 2 })) })), { maxLength: 2 })),
    }),
  }),
  fc.record({ name: fc.constant('delete_entities'), arguments: fc.record({ entityNames: mutated(fc.array(str, { maxLength: 2 })) }) }),
  fc.record({
    name: fc.constant('delete_observations'),
    arguments: fc.record({
      deletions: mutated(fc.array(mutated(fc.record({ entityName: str, observations: fc.array(str, { maxLength: 2 }) })), { maxLength: 2 })),
    }),
  }),
  fc.record({
    name: fc.constant('delete_relations'),
    arguments: fc.record({ relations: mutated(fc.array(fc.record({ from: str, to: str, relationType: str }), { maxLength: 2 })) }),
  }),
  fc.record({ name: fc.constant('read_graph'), arguments: mutated(fc.constant({})) }),
  fc.record({ name: fc.constant('search_nodes'), arguments: fc.record({ query: mutated(str) }) }),
  fc.record({ name: fc.constant('open_nodes'), arguments: fc.record({ names: mutated(fc.array(str, { maxLength: 2 })) }) }),
  fc.record({ name: mutated(fc.constantFrom('no_such_tool', 'create_entity', '')), arguments: mutated(fc.constant({})) }),
);

describe('fuzzing the memory server over HTTP', () => {
  it('starts from fuzzed options or refuses them with INVALID_SPEC naming the field', async () => {
    const options = fc.oneof(
      anyValue,
      fc.record(
        {
          port: fc.oneof(anyValue, fc.constant(0)),
          host: fc.oneof(anyValue, fc.constantFrom('127.0.0.1', '::1', '[::1]', 'localhost', '0.0.0.0', '')),
          path: fc.oneof(anyValue, fc.constantFrom('/mcp', 'mcp', '/', '', '/a b')),
          token: fc.oneof(anyValue, fc.constantFrom('correct-horse-battery-staple-42', 'short', 'has a space in it, sixteen+')),
          maxSessions: anyValue,
          sessionIdleMs: anyValue,
        },
        { requiredKeys: [] },
      ),
    );
    await fc.assert(
      fc.asyncProperty(options, async (o) => {
        let started: MemoryHttpServer | undefined;
        try {
          started = await startMemoryHttp(graph, o as never);
        } catch (e) {
          // A host the resolver refuses is the operating system's answer, not a spec error.
          const code = (e as NodeJS.ErrnoException).code;
          if (typeof code === 'string' && ['ENOTFOUND', 'EINVAL', 'EAI_AGAIN', 'EADDRNOTAVAIL'].includes(code)) return;
          if (!isWardenError(e)) throw e;
          expect(e.message.length).toBeGreaterThan(0);
        }
        await started?.close();
      }),
      fuzzParams(100),
    );
  });

  it('answers any method, path and headers with a 2xx or a 4xx JSON-RPC error, never a 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'),
        fc.oneof(
          fc.constantFrom('/mcp', '/mcp/', '//', '//mcp', '/mcp?x=%zz', '/%', '/MCP'),
          fc.webPath().map((p) => (p.startsWith('/') ? p : `/${p}`)),
        ),
        fc.record(
          {
            'content-type': fc.constantFrom('application/json', 'text/plain', ''),
            accept: fc.constantFrom('application/json, text/event-stream', 'text/html', '*/*'),
            origin: fc.constantFrom('http://127.0.0.1', 'http://evil.example', 'null', 'not a url'),
            'mcp-session-id': fc.constantFrom('nope', '', 'SESSION'),
            'mcp-protocol-version': fc.constantFrom('2025-06-18', '1999-01-01', 'x'),
          },
          { requiredKeys: [] },
        ),
        fc.oneof(fc.constant(JSON.stringify(INITIALIZE)), fc.json({ maxDepth: 2 }), fc.string({ maxLength: 40 })),
        async (method, path, headers, body) => {
          const hs: Record<string, string> = { ...headers };
          if (hs['mcp-session-id'] === 'SESSION') hs['mcp-session-id'] = session;
          // A GET with the session opens a notification stream that stays open: not this property's subject.
          if (method === 'GET' && hs['mcp-session-id'] === session) return;
          const answer = await sendRaw(origin, method, path, hs, method === 'GET' ? undefined : body);
          expectNoServerFailure(answer, `${method} ${path} ${JSON.stringify(hs)}`);
        },
      ),
      fuzzParams(120),
    );
  });

  it('answers mutated JSON-RPC messages in a session with a JSON-RPC result or error, never a 5xx', async () => {
    const message = fc.record(
      {
        jsonrpc: mutated(fc.constant('2.0')),
        id: mutated(fc.integer({ min: 1000, max: 1_000_000 })),
        method: mutated(
          fc.constantFrom('tools/list', 'tools/call', 'resources/list', 'resources/read', 'resources/subscribe', 'ping', 'initialize', 'prompts/list', 'nope'),
        ),
        params: mutated(
          fc.record(
            {
              name: mutated(fc.constant('read_graph')),
              uri: mutated(fc.constant('memory://knowledge-graph')),
              arguments: anyValue.filter((v) => typeof v === 'object'),
            },
            { requiredKeys: [] },
          ),
        ),
      },
      { requiredKeys: [] },
    );
    await fc.assert(
      fc.asyncProperty(fc.oneof(message, fc.array(message, { maxLength: 2 })), async (m) => {
        const answer = await rpc(m);
        expectNoServerFailure(answer, `message ${JSON.stringify(m)}`);
      }),
      fuzzParams(100),
    );
  });

  it('calls every tool with mutated arguments: a result, or an error naming the problem; valid writes are all kept', async () => {
    const outcomes = { refused: 0, done: 0 };
    await fc.assert(
      fc.asyncProperty(toolCall, async (call) => {
        const id = nextId++;
        const answer = await rpc({ jsonrpc: '2.0', id, method: 'tools/call', params: call });
        expectNoServerFailure(answer, `tools/call ${JSON.stringify(call)}`);
        const reply = JSON.parse(answer.text) as { result?: { isError?: boolean; content?: { text?: string }[] }; error?: { message: string } };
        if (reply.error !== undefined || reply.result?.isError === true) outcomes.refused++;
        else outcomes.done++;
        if (reply.error !== undefined) expect(reply.error.message.length).toBeGreaterThan(0);
        else if (reply.result?.isError === true) expect(reply.result.content?.[0]?.text ?? '').not.toBe('');
        else if (call.name === 'create_entities') {
          // Every entity the call returned as created is in the graph now.
          const created = JSON.parse(reply.result?.content?.[0]?.text ?? '[]') as { name: string }[];
          const names = (await graph.read({ tool: 'open_nodes', names: created.map((e) => e.name) })).entities.map((e) => e.name);
          expect(names.sort()).toEqual(created.map((e) => e.name).sort());
        }
      }),
      fuzzParams(150),
    );
    expect(outcomes.refused).toBeGreaterThan(0);
    expect(outcomes.done).toBeGreaterThan(0);
    const still = await rpc({ jsonrpc: '2.0', id: nextId++, method: 'tools/call', params: { name: 'read_graph', arguments: {} } });
    expect(still.status).toBe(200);
  });
});
