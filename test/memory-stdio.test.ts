/**
 * The memory server over stdio and the size of a message: a line over the limit (10 MiB by
 * default) is answered with a JSON-RPC error and named on stderr, and the server goes on with the
 * next line, instead of stopping. Run as the real CLI through the SDK's own client, and in process
 * on real streams with a small limit.
 */
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';
import { serveMemory, type MemoryServerHandle } from '../src/memory/index.ts';
import { readGraph, tempDir, tool, wardenStdio, type StdioServer } from './support/memory-harness.ts';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!().catch(() => {});
});

describe('a message over the size limit on stdio', () => {
  it('is refused with a JSON-RPC error for that request, named on stderr, and the server reads on', async () => {
    const file = join(tempDir(), 'memory.jsonl');
    const server: StdioServer = await wardenStdio(['--file', file]);
    cleanups.push(() => server.close());
    await tool(server.client, 'create_entities', { entities: [{ name: 'Ada', entityType: 'person', observations: [] }] });
    const huge = 'x'.repeat(11 * 1024 * 1024);
    const refused = server.client.callTool({ name: 'add_observations', arguments: { observations: [{ entityName: 'Ada', contents: [huge] }] } }, undefined, {
      timeout: 30_000,
    });
    await expect(refused).rejects.toMatchObject({
      code: -32600,
      message: expect.stringMatching(/a message of \d+ bytes is over the limit of 10485760 bytes; it was not read/),
    });
    await server.stderrMatches(/refused a message of \d+ bytes on stdin \(the limit is 10485760\)/);
    // Still serving, on the same connection.
    await tool(server.client, 'add_observations', { observations: [{ entityName: 'Ada', contents: ['math'] }] });
    expect((await readGraph(server.client)).entities).toEqual([{ name: 'Ada', entityType: 'person', observations: ['math'] }]);
  });

  it('answers with id null when the id cannot be read, and serves the next line', async () => {
    const input = new PassThrough();
    const output = new PassThrough();
    const answers = createInterface({ input: output })[Symbol.asyncIterator]();
    const server: MemoryServerHandle = await serveMemory({
      backend: { file: join(tempDir(), 'memory.jsonl') },
      transport: 'stdio',
      stdio: { input, output },
      maxMessageBytes: 1_000,
    });
    cleanups.push(() => server.close());
    const refused: unknown[] = [];
    server.runtime.events.on('memory.message_refused', (e) => refused.push(e));
    const next = async (): Promise<Record<string, unknown>> => JSON.parse((await answers.next()).value as string) as Record<string, unknown>;
    // The id sits in the middle, where only a full parse would find it: the answer's id is null.
    const line = `{"jsonrpc":"2.0","method":"ping","id":5,"params":{"pad":"${'y'.repeat(1_200)}"}}`;
    input.write(line.slice(0, 600));
    input.write(`${line.slice(600)}\n`);
    input.write(
      `${JSON.stringify({ jsonrpc: '2.0', id: 6, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } })}\n`,
    );
    expect(await next()).toEqual({
      jsonrpc: '2.0',
      id: null,
      error: { code: -32600, message: expect.stringContaining(`a message of ${line.length} bytes is over the limit of 1000 bytes`) },
    });
    expect(await next()).toMatchObject({ jsonrpc: '2.0', id: 6, result: { serverInfo: { name: 'warden-memory' } } });
    expect(refused).toEqual([expect.objectContaining({ transport: 'stdio', bytes: line.length, limit: 1_000, id: null })]);
  });
});
