/**
 * Consumer part (b): a memory server under a supervisor, in a child process of its own
 * (`memoryServer` from warden/memory), reached by the MCP SDK's client over Streamable HTTP: a
 * write, read back; then its process is killed with SIGKILL, the supervisor starts it again on
 * the same port, and a new client reads the write back. Then `warden memory serve --isolation
 * process` over stdio, the same write and read. Run by test/consumer/run.ts as
 * `node memory.js <work dir> <warden bin>`.
 */
import { once } from 'node:events';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { Runtime } from 'warden/runtime';
import { startSupervisor, stopSupervisor, whichChildren } from 'warden/supervisor';
import { memoryServer } from 'warden/memory';

const [dir, wardenBin] = process.argv.slice(2);
if (dir === undefined || wardenBin === undefined) throw new Error('usage: node memory.js <work dir> <warden bin>');

interface Graph {
  entities: { name: string; entityType: string; observations: string[] }[];
}

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

async function tool(client: Client, name: string, args: Record<string, unknown>): Promise<unknown> {
  const r = await client.callTool({ name, arguments: args });
  if (r.isError === true) throw new Error(`${name} failed: ${JSON.stringify(r.content)}`);
  return r.structuredContent;
}

async function writeAndRead(client: Client, name: string): Promise<void> {
  await tool(client, 'create_entities', { entities: [{ name, entityType: 'person', observations: ['wrote the first program'] }] });
  await expectEntity(client, name);
}

async function expectEntity(client: Client, name: string): Promise<void> {
  const graph = (await tool(client, 'open_nodes', { names: [name] })) as Graph;
  const found = graph.entities.find((e) => e.name === name);
  if (found?.observations[0] !== 'wrote the first program') throw new Error(`read back ${JSON.stringify(graph)}, not entity ${name}`);
}

async function httpClient(url: string): Promise<Client> {
  const client = new Client({ name: 'warden-consumer', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(url)));
  return client;
}

function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not happen within ${ms} ms`)), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

// memoryServer under a supervisor: the server is a child in its own OS process.
const rt = new Runtime();
const port = await freePort();
const root = await startSupervisor(rt, {
  strategy: 'one_for_one',
  children: [{ id: 'memory', start: memoryServer({ backend: { file: join(dir, 'memory.jsonl') }, http: { port } }) }],
});
const where = async (): Promise<{ osPid: number; url: string }> => {
  const [child] = await whichChildren(rt, root);
  if (child?.pid === undefined || child.pid === 'restarting') throw new Error('the memory server is not running');
  return rt.call<{ osPid: number; url: string }>(child.pid, 'where');
};
const first = await where();
if (first.osPid === process.pid) throw new Error('memoryServer ran in this process, not in a child process');
const client = await httpClient(first.url);
await writeAndRead(client, 'Ada');
await client.close();

const restarted = new Promise<void>((resolve) => {
  rt.events.on('supervisor.child_restarted', (e) => {
    if (e.childId === 'memory') resolve();
  });
});
process.kill(first.osPid, 'SIGKILL');
await within(20_000, 'the restart of the killed memory server', restarted);
const second = await where();
if (second.osPid === first.osPid || second.url !== first.url) throw new Error(`after the kill: ${JSON.stringify(second)}, before: ${JSON.stringify(first)}`);
const again = await httpClient(second.url);
await expectEntity(again, 'Ada');
await again.close();
await stopSupervisor(rt, root);
console.log(`memoryServer: wrote and read back over HTTP, killed process ${first.osPid}, read back from ${second.osPid}`);

// The CLI: `warden memory serve --isolation process`, over stdio.
const stdio = new Client({ name: 'warden-consumer', version: '1.0.0' });
await stdio.connect(
  new StdioClientTransport({
    command: process.execPath,
    args: [wardenBin, 'memory', 'serve', '--isolation', 'process', '--file', join(dir, 'cli.jsonl')],
    stderr: 'inherit',
  }),
);
await writeAndRead(stdio, 'Grace');
await stdio.close();
console.log('warden memory serve --isolation process: wrote and read back over stdio');
