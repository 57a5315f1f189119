/**
 * The memory server's HTTP front on real sockets, with the official SDK client: which `Host` and
 * `Origin` it answers (DNS rebinding), the bearer token and the refusal to listen off loopback
 * without one, and the session table (short-lived clients never running it out, eviction of the
 * least recently used session but never one in a call, idle sessions closed by the injected
 * clock, and an evicted client starting again after its 404).
 */
import { request } from 'node:http';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { EventBus, VirtualClock, realClock, type WardenEvent } from '../src/runtime/index.ts';
import { openMemoryGraph, startMemoryHttp, type MemoryGraph, type MemoryHttpOptions, type MemoryHttpServer } from '../src/memory/index.ts';
import type { MemoryAccess } from '../src/memory/mcp-server.ts';
import { callTool, httpClient, readGraph, tempDir, tool, wardenHttp, type HttpServerProcess } from './support/memory-harness.ts';

const TOKEN = 'correct-horse-battery-staple-42';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!().catch(() => {});
});

async function graphAt(): Promise<MemoryGraph> {
  const graph = await openMemoryGraph({ file: join(tempDir(), 'memory.jsonl') });
  cleanups.push(() => graph.close());
  return graph;
}

async function serve(access: MemoryAccess, options: MemoryHttpOptions = {}): Promise<MemoryHttpServer> {
  const http = await startMemoryHttp(access, options);
  cleanups.push(() => http.close());
  return http;
}

async function client(url: string, headers: Record<string, string> = {}): Promise<Client> {
  const c = new Client({ name: 'memory-http-test', version: '1.0.0' });
  await c.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers } }));
  cleanups.push(() => c.close());
  return c;
}

const INITIALIZE = JSON.stringify({
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
});

/** A raw POST to 127.0.0.1:port with the given headers (Host included): status and body. */
function post(port: number, headers: Record<string, string>, body = INITIALIZE): Promise<{ status: number; body: string; session: string | undefined }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path: '/mcp',
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode!, body: text, session: res.headers['mcp-session-id'] as string | undefined }));
      },
    );
    req.setTimeout(10_000, () => req.destroy(new Error('no answer within 10 s')));
    req.on('error', reject);
    req.end(body);
  });
}

describe('Host and Origin on loopback (DNS rebinding)', () => {
  it.each([
    '127.evil.example',
    '127.0.0.1.attacker.tld',
    '127.0.0.1.nip.io',
    'localhost.evil.example',
    '127.evil.example:PORT',
    '127.0.0.1.attacker.tld:PORT',
    '[::1].evil.example',
    '127.1',
    'evil.example',
  ])('refuses Host %s with a matching Origin, and nothing is written', async (shape) => {
    const graph = await graphAt();
    const http = await serve(graph);
    const host = shape.replace('PORT', String(http.port));
    const r = await post(http.port, { host, origin: `http://${host}` });
    expect(r.status).toBe(403);
    expect(r.body).toContain('refused');
    expect(r.session).toBeUndefined();
    expect(http.sessions).toBe(0);
    // A tools/call on its own cannot write either.
    const call = JSON.stringify({
      jsonrpc: '2.0',
      id: 2,
      method: 'tools/call',
      params: { name: 'create_entities', arguments: { entities: [{ name: 'x', entityType: 't', observations: [] }] } },
    });
    expect((await post(http.port, { host, origin: `http://${host}` }, call)).status).toBe(403);
    expect((await graph.read({ tool: 'read_graph' })).entities).toEqual([]);
  });

  it('refuses a loopback Host with a foreign Origin', async () => {
    const http = await serve(await graphAt());
    const r = await post(http.port, { host: `127.0.0.1:${http.port}`, origin: 'http://127.evil.example' });
    expect(r.status).toBe(403);
    expect(http.sessions).toBe(0);
  });

  it.each([
    ['127.0.0.1:PORT', undefined],
    ['localhost:PORT', 'http://localhost:3000'],
    ['LOCALHOST', 'http://LocalHost'],
    ['127.0.0.2:PORT', 'http://127.10.20.30:8080'],
    ['[::1]:PORT', 'http://[::1]:3000'],
    ['[::1]', undefined],
  ])('accepts Host %s (Origin %s)', async (shape, origin) => {
    const http = await serve(await graphAt());
    const host = shape.replace('PORT', String(http.port));
    const r = await post(http.port, { host, ...(origin === undefined ? {} : { origin }) });
    expect(r.status).toBe(200);
    expect(r.session).toBeDefined();
    expect(http.sessions).toBe(1);
  });
});

describe('request targets', () => {
  it('answers a target the URL parser refuses (`//`) with a JSON-RPC 404, not a 500', async () => {
    const http = await serve(await graphAt());
    const r = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: http.port, path: '//', method: 'GET' }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode!, body: text }));
      });
      req.on('error', reject);
      req.end();
    });
    expect(r.status).toBe(404);
    expect(JSON.parse(r.body)).toMatchObject({ error: { message: 'not found: the MCP endpoint is /mcp' } });
  });
});

describe('the bearer token', () => {
  it('refuses to listen off loopback without a token, naming the option', async () => {
    const graph = await graphAt();
    await expect(startMemoryHttp(graph, { host: '0.0.0.0' })).rejects.toMatchObject({
      code: 'INVALID_SPEC',
      message: expect.stringMatching(/host is not loopback, so a token is required .*WARDEN_MEMORY_TOKEN.* \(got "0\.0\.0\.0"\)$/),
    });
    await expect(startMemoryHttp(graph, { token: 'short' })).rejects.toMatchObject({
      code: 'INVALID_SPEC',
      message: expect.stringContaining('token must be at least 16 characters'),
    });
  });

  it('on loopback, when given, is required on every request (401 otherwise)', async () => {
    const graph = await graphAt();
    const http = await serve(graph, { token: TOKEN });
    await expect(client(http.url)).rejects.toMatchObject({ code: 401, message: expect.stringContaining('Unauthorized: send the server token') });
    await expect(client(http.url, { authorization: `Bearer ${TOKEN}x` })).rejects.toMatchObject({ code: 401 });
    const c = await client(http.url, { authorization: `Bearer ${TOKEN}` });
    await tool(c, 'create_entities', { entities: [{ name: 'Ada', entityType: 'person', observations: [] }] });
    expect(http.sessions).toBe(1);
    // A request on that session without the token is refused, however right the session id.
    const sessionId = (c.transport as StreamableHTTPClientTransport).sessionId!;
    const sneaky = JSON.stringify({ jsonrpc: '2.0', id: 9, method: 'tools/call', params: { name: 'delete_entities', arguments: { entityNames: ['Ada'] } } });
    const r = await post(http.port, { host: `127.0.0.1:${http.port}`, 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-06-18' }, sneaky);
    expect(r.status).toBe(401);
    expect((await readGraph(c)).entities.map((e) => e.name)).toEqual(['Ada']);
  });

  describe('warden memory serve --http --host 0.0.0.0 (traffic to 127.0.0.1 only)', () => {
    const servers: HttpServerProcess[] = [];
    afterEach(async () => {
      for (const s of servers.splice(0)) await s.kill();
    });

    it('refuses to start without a token, in one line', async () => {
      const file = join(tempDir(), 'memory.jsonl');
      await expect(wardenHttp(['--file', file, '--host', '0.0.0.0'])).rejects.toThrow(
        /the server exited \(2\) before listening:\nwarden memory: --host 0\.0\.0\.0 is not loopback, so a token is required .*: give --token or set WARDEN_MEMORY_TOKEN\n/,
      );
    });

    it.each([
      ['--token', (args: string[]) => ({ args: [...args, '--token', TOKEN], env: {} })],
      ['WARDEN_MEMORY_TOKEN', (args: string[]) => ({ args, env: { WARDEN_MEMORY_TOKEN: TOKEN } })],
    ])('serves clients that send the token given by %s', async (_how, make) => {
      const file = join(tempDir(), 'memory.jsonl');
      const { args, env } = make(['--file', file, '--host', '0.0.0.0']);
      const server = await wardenHttp(args, env);
      servers.push(server);
      expect(server.url).toMatch(/^http:\/\/0\.0\.0\.0:\d+\/mcp$/);
      const url = server.url.replace('0.0.0.0', '127.0.0.1');
      await expect(client(url)).rejects.toMatchObject({ code: 401 });
      const c = await client(url, { authorization: `Bearer ${TOKEN}` });
      await tool(c, 'create_entities', { entities: [{ name: 'Ada', entityType: 'person', observations: [] }] });
      expect((await readGraph(c)).entities.map((e) => e.name)).toEqual(['Ada']);
    });
  });
});

describe('sessions', () => {
  it('serves 300 short-lived SDK clients in a row with the default limits', { timeout: 180_000 }, async () => {
    const graph = await graphAt();
    const http = await serve(graph);
    for (let i = 0; i < 300; i++) {
      const c = new Client({ name: `short-${i}`, version: '1.0.0' });
      await c.connect(new StreamableHTTPClientTransport(new URL(http.url)));
      const r = await callTool(c, 'create_entities', { entities: [{ name: `e${i}`, entityType: 't', observations: [] }] });
      await c.close();
      expect(r, `client ${i}`).toMatchObject({ ok: true });
    }
    expect(http.sessions).toBeLessThanOrEqual(256);
    expect((await graph.read({ tool: 'read_graph' })).entities).toHaveLength(300);
  });

  it('frees a session at once when the client ends it (transport.terminateSession)', async () => {
    const http = await serve(await graphAt());
    const transport = new StreamableHTTPClientTransport(new URL(http.url));
    const c = new Client({ name: 'polite', version: '1.0.0' });
    await c.connect(transport);
    expect(http.sessions).toBe(1);
    await transport.terminateSession();
    await c.close();
    expect(http.sessions).toBe(0);
  });

  it('makes room by closing the least recently used session; its client gets 404 "Session not found" and starts again', async () => {
    const bus = new EventBus(realClock);
    const closed: WardenEvent[] = [];
    bus.on('memory.session_closed', (e) => closed.push(e));
    const http = await serve(await graphAt(), { maxSessions: 2, events: bus });
    const longLived = await client(http.url);
    await tool(longLived, 'create_entities', { entities: [{ name: 'Ada', entityType: 'person', observations: [] }] });
    const b = await client(http.url);
    await tool(b, 'read_graph', {});
    const c = await client(http.url); // the table is full: the long-lived client's session (least recently used) makes room
    expect(http.sessions).toBe(2);
    expect(closed).toMatchObject([{ reason: 'evicted' }]);
    const r = await callTool(longLived, 'read_graph', {});
    expect(r.ok).toBe(false);
    expect(!r.ok && r.error).toMatch(/Session not found/);
    // What the MCP spec asks of a client on 404: a new session. With the SDK, a new transport.
    await longLived.close();
    await longLived.connect(new StreamableHTTPClientTransport(new URL(http.url)));
    expect((await readGraph(longLived)).entities.map((e) => e.name)).toEqual(['Ada']);
    expect(http.sessions).toBe(2);
    await tool(c, 'read_graph', {});
  });

  it('never closes a session with a call in progress to make room: the newcomer gets 503 until the call is done', async () => {
    const graph = await graphAt();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let entered!: () => void;
    const inCall = new Promise<void>((resolve) => (entered = resolve));
    // The real graph, with a write that waits for the test to let it finish.
    const access: MemoryAccess = {
      read: (op) => graph.read(op),
      write: async (op) => {
        entered();
        await gate;
        return graph.write(op);
      },
    };
    const http = await serve(access, { maxSessions: 1 });
    const busy = await client(http.url);
    const call = tool(busy, 'create_entities', { entities: [{ name: 'Ada', entityType: 'person', observations: [] }] });
    await inCall;
    await expect(client(http.url)).rejects.toMatchObject({ code: 503, message: expect.stringContaining('too many sessions: all 1 are in a call') });
    release();
    await call;
    const next = await client(http.url);
    expect((await readGraph(next)).entities.map((e) => e.name)).toEqual(['Ada']);
  });

  it('closes a session unused for sessionIdleMs, by the injected clock', async () => {
    const clock = new VirtualClock();
    const http = await serve(await graphAt(), { clock, sessionIdleMs: 60_000 });
    const c = await client(http.url);
    await tool(c, 'read_graph', {});
    await clock.advance(59_999);
    expect(http.sessions).toBe(1);
    await clock.advance(1);
    expect(http.sessions).toBe(0);
    const r = await callTool(c, 'read_graph', {});
    expect(!r.ok && r.error).toMatch(/Session not found/);
  });

  it('refuses options that are no object, and a host or path that is no string, naming them', async () => {
    const graph = await graphAt();
    await expect(startMemoryHttp(graph, null as never)).rejects.toMatchObject({
      code: 'INVALID_SPEC',
      message: 'memory HTTP server: options must be an object (got null)',
    });
    await expect(startMemoryHttp(graph, { host: 7 as never })).rejects.toMatchObject({
      code: 'INVALID_SPEC',
      message: 'memory HTTP server: host must be a string (got 7)',
    });
  });

  it('listens on an IPv6 loopback address given in brackets', async () => {
    const http = await serve(await graphAt(), { host: '[::1]' });
    expect(http.url).toBe(`http://[::1]:${http.port}/mcp`);
  });

  it('refuses bad limits naming the option', async () => {
    const graph = await graphAt();
    await expect(startMemoryHttp(graph, { maxSessions: 0 })).rejects.toMatchObject({
      code: 'INVALID_SPEC',
      message: 'memory HTTP server: maxSessions must be an integer >= 1 (got 0)',
    });
    await expect(startMemoryHttp(graph, { sessionIdleMs: 1.5 })).rejects.toMatchObject({
      code: 'INVALID_SPEC',
      message: 'memory HTTP server: sessionIdleMs must be an integer >= 1 (got 1.5)',
    });
  });

  it('takes --max-sessions and --session-idle-ms on the command line', async () => {
    const file = join(tempDir(), 'memory.jsonl');
    const server = await wardenHttp(['--file', file, '--max-sessions', '1', '--session-idle-ms', '600000']);
    cleanups.push(() => server.kill());
    const a = await httpClient(server.url);
    cleanups.push(() => a.close());
    await tool(a, 'create_entities', { entities: [{ name: 'Ada', entityType: 'person', observations: [] }] });
    const b = await httpClient(server.url); // takes the only place
    cleanups.push(() => b.close());
    expect((await callTool(a, 'read_graph', {})).ok).toBe(false);
    expect((await readGraph(b)).entities.map((e) => e.name)).toEqual(['Ada']);
  });
});
