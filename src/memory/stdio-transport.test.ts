/**
 * The memory server's stdio transport in process, on real streams with a small message limit: a
 * line over the limit is answered with a JSON-RPC error (id null when the id cannot be read
 * without parsing the whole line), reported as `memory.message_refused`, and the next line is
 * served. The same through the real CLI and the SDK's client: test/memory-stdio.test.ts.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { serveMemory, type MemoryServerHandle } from './index.ts';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!().catch(() => {});
});

const tempDir = (): string => mkdtempSync(join(tmpdir(), 'warden-memory-'));

describe('a message over the size limit on stdio', () => {
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
