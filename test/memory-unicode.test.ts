/**
 * Text the memory graph cannot keep as given is refused, the same way on every backend: a lone
 * surrogate ('\uD800') would become U+FFFD in SQLite and Postgres (they store UTF-8) while the
 * call was acknowledged with the original name. Over MCP (the real server process, the SDK's
 * client) and through the library.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { openMemoryGraph } from '../src/memory/index.ts';
import { BACKEND_CASES, callTool, freshBackend, readGraph, tool, wardenStdio, type Backend, type StdioServer } from './support/memory-harness.ts';

const LONE = '\uD800';
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!().catch(() => {});
});

function backendOf(kind: (typeof BACKEND_CASES)[number]['kind']): Backend {
  const backend = freshBackend(kind);
  cleanups.push(() => backend.drop());
  return backend;
}

describe.each(BACKEND_CASES)('a lone surrogate on the $title', ({ kind, skip }) => {
  it.skipIf(skip)('is refused over MCP in every field that is stored or searched, naming it; nothing is written', async () => {
    const backend = backendOf(kind);
    const server: StdioServer = await wardenStdio(backend.args);
    cleanups.push(() => server.close());
    const calls: [string, Record<string, unknown>, string][] = [
      ['create_entities', { entities: [{ name: `a${LONE}`, entityType: 't', observations: [] }] }, 'entities[0].name'],
      ['create_entities', { entities: [{ name: 'b', entityType: LONE, observations: [] }] }, 'entities[0].entityType'],
      ['create_entities', { entities: [{ name: 'c', entityType: 't', observations: ['ok', `x${LONE}`] }] }, 'entities[0].observations[1]'],
      ['create_relations', { relations: [{ from: 'a', to: '\uDC00', relationType: 'r' }] }, 'relations[0].to'],
      ['add_observations', { observations: [{ entityName: LONE, contents: ['x'] }] }, 'observations[0].entityName'],
      ['search_nodes', { query: LONE }, 'query'],
    ];
    for (const [name, args, where] of calls) {
      const r = await callTool(server.client, name, args);
      expect(r.ok, `${name} ${where}`).toBe(false);
      expect(!r.ok && r.error).toMatch(new RegExp(`must be well-formed Unicode: .* at ${where.replace(/[[\].]/g, '\\$&')}$`));
    }
    expect(await readGraph(server.client)).toEqual({ entities: [], relations: [] });
    // A surrogate pair (an emoji) is well-formed, and is kept exactly.
    await tool(server.client, 'create_entities', { entities: [{ name: 'smile 😀', entityType: 't', observations: [] }] });
    expect((await readGraph(server.client)).entities.map((e) => e.name)).toEqual(['smile 😀']);
  });

  it.skipIf(skip)('is refused through the library with MEMORY_INPUT naming the field and the value', async () => {
    const backend = backendOf(kind);
    const graph = await openMemoryGraph(backend.options);
    cleanups.push(() => graph.close());
    await expect(
      graph.write({
        tool: 'create_entities',
        entities: [
          { name: 'ok', entityType: 't', observations: [] },
          { name: LONE, entityType: 't', observations: [] },
        ],
      }),
    ).rejects.toMatchObject({
      code: 'MEMORY_INPUT',
      path: 'entities[1].name',
      message: expect.stringMatching(/^create_entities: entities\[1\]\.name must be well-formed Unicode: .* \(got .*\)$/),
    });
    await expect(graph.write({ tool: 'import', graph: { entities: [], relations: [{ from: 'a', to: 'b', relationType: `r${LONE}` }] } })).rejects.toMatchObject(
      { code: 'MEMORY_INPUT', path: 'graph.relations[0].relationType' },
    );
    expect(await graph.read({ tool: 'read_graph' })).toEqual({ entities: [], relations: [] });
  });
});
