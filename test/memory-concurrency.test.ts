/**
 * Zero lost writes under concurrency, with the SDK's real HTTP client against real server
 * processes: 8 clients each make 1,000 writes, many in flight at once, half of them creating an
 * entity of their own and half adding an observation to one shared entity (the read-modify-write
 * that loses data in the reference server). Against one server, and against two server
 * processes sharing one store or one file, with the shared writer (one of them writes for both)
 * and without it (each writes through the store's lock). Afterwards every write must be there.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import {
  BACKEND_CASES,
  callTool,
  freshBackend,
  httpClient,
  readGraph,
  tool,
  wardenHttp,
  type Backend,
  type HttpServerProcess,
} from './support/memory-harness.ts';

const CLIENTS = 8;
const WRITES = 1_000;
const IN_FLIGHT = 20;

async function hammer(urls: readonly string[]): Promise<{ failures: string[] }> {
  const clients: Client[] = await Promise.all(Array.from({ length: CLIENTS }, (_, k) => httpClient(urls[k % urls.length]!)));
  await tool(clients[0]!, 'create_entities', { entities: [{ name: 'hub', entityType: 'shared', observations: [] }] });
  const failures: string[] = [];
  await Promise.all(
    clients.map(async (client, k) => {
      let next = 0;
      const lane = async (): Promise<void> => {
        while (next < WRITES) {
          const i = next++;
          const id = `c${k}-w${i}`;
          const r =
            i % 2 === 0
              ? await callTool(client, 'create_entities', { entities: [{ name: id, entityType: 'write', observations: [id] }] })
              : await callTool(client, 'add_observations', { observations: [{ entityName: 'hub', contents: [id] }] });
          if (!r.ok) failures.push(`${id}: ${r.error}`);
        }
      };
      await Promise.all(Array.from({ length: IN_FLIGHT }, lane));
    }),
  );
  await Promise.all(clients.map((c) => c.close()));
  return { failures };
}

async function expectEveryWrite(url: string): Promise<void> {
  const client = await httpClient(url);
  const g = await readGraph(client);
  await client.close();
  const names = new Set(g.entities.map((e) => e.name));
  const hub = g.entities.find((e) => e.name === 'hub')!;
  const observations = new Set(hub.observations);
  const lost: string[] = [];
  for (let k = 0; k < CLIENTS; k++) {
    for (let i = 0; i < WRITES; i++) {
      const id = `c${k}-w${i}`;
      if (i % 2 === 0 ? !names.has(id) : !observations.has(id)) lost.push(id);
    }
  }
  expect(lost).toEqual([]);
  expect(g.entities).toHaveLength(1 + (CLIENTS * WRITES) / 2);
  expect(hub.observations).toHaveLength((CLIENTS * WRITES) / 2);
}

let servers: HttpServerProcess[] = [];
let backends: Backend[] = [];

afterEach(async () => {
  await Promise.all(servers.map((s) => s.kill()));
  await Promise.all(backends.map((b) => b.drop()));
  servers = [];
  backends = [];
});

describe.each(BACKEND_CASES)('8 clients × 1,000 concurrent writes on the $title', ({ kind, skip }) => {
  it.skipIf(skip)('against one server: every write is there afterwards', async () => {
    const backend = freshBackend(kind);
    backends.push(backend);
    const server = await wardenHttp(backend.args);
    servers.push(server);
    const { failures } = await hammer([server.url]);
    expect(failures).toEqual([]);
    await expectEveryWrite(server.url);
  });

  it.skipIf(skip)('against two server processes sharing it: every write is there afterwards, seen by both', async () => {
    const backend = freshBackend(kind);
    backends.push(backend);
    const [a, b] = await Promise.all([wardenHttp(backend.args), wardenHttp(backend.args)]);
    servers.push(a!, b!);
    const { failures } = await hammer([a!.url, b!.url]);
    expect(failures).toEqual([]);
    await expectEveryWrite(a!.url);
    await expectEveryWrite(b!.url);
    if (kind !== 'postgres') {
      // One of them made the writes of both (the shared writer); the other sent its writes there.
      const said = [a!.stderr(), b!.stderr()].join('');
      expect(said).toMatch(/this server writes for every server on the graph/);
      expect(said).toMatch(/writes go to the server that writes for the graph/);
    }
  });
});

// Without the shared writer each server writes for itself, serialised by the store's own lock.
// (Postgres never shares a writer: the case above is already this one.)
describe.each(BACKEND_CASES.filter((c) => c.kind !== 'postgres'))(
  '8 clients × 1,000 concurrent writes on the $title, without the shared writer',
  ({ kind, skip }) => {
    it.skipIf(skip)('against two server processes each writing for itself (--no-share): every write is there afterwards, seen by both', async () => {
      const backend = freshBackend(kind);
      backends.push(backend);
      const [a, b] = await Promise.all([wardenHttp([...backend.args, '--no-share']), wardenHttp([...backend.args, '--no-share'])]);
      servers.push(a!, b!);
      const { failures } = await hammer([a!.url, b!.url]);
      expect(failures).toEqual([]);
      await expectEveryWrite(a!.url);
      await expectEveryWrite(b!.url);
      expect([a!.stderr(), b!.stderr()].join('')).not.toMatch(/writes for every server|writes go to the server/);
    });
  },
);
