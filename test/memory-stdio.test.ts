/**
 * The memory server over stdio and the size of a message: a line over the limit (10 MiB by
 * default) is answered with a JSON-RPC error and named on stderr, and the server goes on with the
 * next line, instead of stopping. Run as the real CLI through the SDK's own client; in process, on
 * real streams with a small limit: src/memory/stdio-transport.test.ts.
 */
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
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
});
