/**
 * Warden's memory server against the reference (`@modelcontextprotocol/server-memory`), both as
 * real processes over stdio through the SDK's client: the same tool list, and the same answer to
 * every call of random operation sequences (duplicates, missing entities, deleting what does not
 * exist, searches differing only in case), on each backend. The one documented difference,
 * duplicates inside a single call, is checked on its own.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  BACKEND_CASES,
  callTool,
  freshBackend,
  readGraph,
  referenceStdio,
  tempDir,
  tool,
  wardenStdio,
  type Backend,
  type StdioServer,
} from './support/memory-harness.ts';

const NAMES = ['Ada', 'ada', 'Bob', 'Cy', 'Dee Dee'];
const TYPES = ['person', 'Person', 'project'];
const OBSERVATIONS = ['likes tea', 'Likes Tea', 'works at ACME', 'x', '', 'ünïcode ÄDA'];
const RELATION_TYPES = ['knows', 'KNOWS', 'works_with'];
const QUERIES = ['a', 'ADA', 'tea', 'PERSON', '', 'zzz', 'knows', 'ÄDA', 'ä'];

const name = fc.constantFrom(...NAMES);
const entity = fc.record({ name, entityType: fc.constantFrom(...TYPES), observations: fc.uniqueArray(fc.constantFrom(...OBSERVATIONS), { maxLength: 3 }) });
const relation = fc.record({ from: name, to: name, relationType: fc.constantFrom(...RELATION_TYPES) });
const relationId = (r: { from: string; to: string; relationType: string }): string => JSON.stringify([r.from, r.to, r.relationType]);

type Call = { name: string; args: Record<string, unknown> };

const w = <T>(weight: number, arbitrary: fc.Arbitrary<T>): { weight: number; arbitrary: fc.Arbitrary<T> } => ({ weight, arbitrary });

const call: fc.Arbitrary<Call> = fc.oneof(
  w(
    5,
    fc.uniqueArray(entity, { minLength: 1, maxLength: 3, selector: (e) => e.name }).map((entities) => ({ name: 'create_entities', args: { entities } })),
  ),
  w(
    3,
    fc.uniqueArray(relation, { minLength: 1, maxLength: 3, selector: relationId }).map((relations) => ({ name: 'create_relations', args: { relations } })),
  ),
  w(
    4,
    fc
      .array(fc.record({ entityName: name, contents: fc.uniqueArray(fc.constantFrom(...OBSERVATIONS), { maxLength: 3 }) }), { maxLength: 2 })
      .map((observations) => ({ name: 'add_observations', args: { observations } })),
  ),
  w(
    1,
    fc.array(name, { maxLength: 3 }).map((entityNames) => ({ name: 'delete_entities', args: { entityNames } })),
  ),
  w(
    2,
    fc
      .array(fc.record({ entityName: name, observations: fc.array(fc.constantFrom(...OBSERVATIONS), { maxLength: 3 }) }), { maxLength: 2 })
      .map((deletions) => ({ name: 'delete_observations', args: { deletions } })),
  ),
  w(
    2,
    fc.array(relation, { maxLength: 2 }).map((relations) => ({ name: 'delete_relations', args: { relations } })),
  ),
  w(1, fc.constant({ name: 'read_graph', args: {} })),
  w(
    4,
    fc.constantFrom(...QUERIES).map((query) => ({ name: 'search_nodes', args: { query } })),
  ),
  w(
    2,
    fc.array(fc.constantFrom(...NAMES, 'Nobody'), { maxLength: 3 }).map((names) => ({ name: 'open_nodes', args: { names } })),
  ),
  // Malformed input: both refuse it the same way.
  w(
    1,
    fc.constantFrom<Call>(
      { name: 'create_entities', args: { entities: [{ name: 7, entityType: 'x', observations: [] }] } },
      { name: 'add_observations', args: { observations: [{ entityName: 'Ada' }] } },
      { name: 'search_nodes', args: {} },
    ),
  ),
);

/** Delete everything (every entity name and every relation endpoint). */
async function clear(server: StdioServer): Promise<void> {
  const g = await readGraph(server.client);
  const names = new Set([...g.entities.map((e) => e.name), ...g.relations.flatMap((r) => [r.from, r.to])]);
  if (names.size > 0) await tool(server.client, 'delete_entities', { entityNames: [...names] });
}

function stripDescriptions(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(stripDescriptions);
  if (typeof v === 'object' && v !== null) {
    return Object.fromEntries(
      Object.entries(v)
        .filter(([k]) => k !== 'description')
        .map(([k, x]) => [k, stripDescriptions(x)]),
    );
  }
  return v;
}

describe.each(BACKEND_CASES)('Warden on the $title and the reference server', ({ kind, skip }) => {
  let reference: StdioServer;
  let warden: StdioServer;
  let backend: Backend;

  beforeAll(async () => {
    if (skip) return;
    backend = freshBackend(kind);
    [reference, warden] = await Promise.all([referenceStdio(join(tempDir(), 'reference.jsonl')), wardenStdio(backend.args)]);
  });

  afterAll(async () => {
    if (skip) return;
    await Promise.all([reference?.close(), warden?.close()]);
    await backend?.drop();
  });

  it.skipIf(skip)('list the same tools, with the same input and output schemas, titles and hints', async () => {
    const [ours, theirs] = await Promise.all([warden.client.listTools(), reference.client.listTools()]);
    const shape = (tools: typeof ours.tools): unknown =>
      tools
        .map((t) => ({
          name: t.name,
          title: t.title,
          inputSchema: stripDescriptions(t.inputSchema),
          outputSchema: stripDescriptions(t.outputSchema),
          annotations: t.annotations,
        }))
        .sort((a, b) => a.name.localeCompare(b.name));
    expect(ours.tools).toHaveLength(9);
    expect(shape(ours.tools)).toEqual(shape(theirs.tools));
  });

  it.skipIf(skip)('give the same answer to every call of random operation sequences', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(call, { minLength: 1, maxLength: 30 }), async (calls) => {
        await Promise.all([clear(reference), clear(warden)]);
        for (const c of calls) {
          const [theirs, ours] = await Promise.all([callTool(reference.client, c.name, c.args), callTool(warden.client, c.name, c.args)]);
          expect({ call: c, answer: ours }).toEqual({ call: c, answer: theirs });
        }
        const [a, b] = await Promise.all([readGraph(reference.client), readGraph(warden.client)]);
        expect(b).toEqual(a);
      }),
      { numRuns: 80, seed: 20_260_101 },
    );
  });

  it.skipIf(skip)('match on the edge cases one by one', async () => {
    await Promise.all([clear(reference), clear(warden)]);
    const script: Call[] = [
      { name: 'create_entities', args: { entities: [{ name: 'Ada', entityType: 'person', observations: ['math'] }] } },
      {
        name: 'create_entities',
        args: {
          entities: [
            { name: 'Ada', entityType: 'robot', observations: ['other'] },
            { name: 'Bob', entityType: 'person', observations: [] },
          ],
        },
      },
      { name: 'create_relations', args: { relations: [{ from: 'Ada', to: 'Ghost', relationType: 'haunts' }] } },
      { name: 'create_relations', args: { relations: [{ from: 'Ada', to: 'Ghost', relationType: 'haunts' }] } },
      {
        name: 'add_observations',
        args: {
          observations: [
            { entityName: 'Ada', contents: ['math', 'poetry'] },
            { entityName: 'Ghost', contents: ['boo'] },
          ],
        },
      },
      {
        name: 'add_observations',
        args: {
          observations: [
            { entityName: 'Ada', contents: ['poetry'] },
            { entityName: 'Ada', contents: ['poetry', 'engines'] },
          ],
        },
      },
      {
        name: 'delete_observations',
        args: {
          deletions: [
            { entityName: 'Nobody', observations: ['x'] },
            { entityName: 'Ada', observations: ['nope', 'math'] },
          ],
        },
      },
      { name: 'delete_relations', args: { relations: [{ from: 'Ada', to: 'Bob', relationType: 'never-made' }] } },
      { name: 'search_nodes', args: { query: 'POET' } },
      { name: 'search_nodes', args: { query: 'ADA' } },
      { name: 'search_nodes', args: { query: 'PERSON' } },
      { name: 'search_nodes', args: { query: '' } },
      { name: 'search_nodes', args: { query: 'ghost' } },
      { name: 'open_nodes', args: { names: ['Ada', 'Ada', 'Nobody'] } },
      { name: 'delete_entities', args: { entityNames: ['Ghost', 'Nobody'] } },
      {
        name: 'create_entities',
        args: {
          entities: [
            { name: 'Ada', entityType: 'x', observations: [] },
            { name: 'Cy', entityType: 'person', observations: [] },
          ],
        },
      },
      { name: 'delete_entities', args: { entityNames: ['Ada'] } },
      { name: 'create_entities', args: { entities: [{ name: 'Ada', entityType: 'reborn', observations: ['again'] }] } },
      { name: 'read_graph', args: {} },
      { name: 'open_nodes', args: { names: [] } },
      { name: 'delete_entities', args: { entityNames: 'Ada' } },
    ];
    for (const c of script) {
      const [theirs, ours] = await Promise.all([callTool(reference.client, c.name, c.args), callTool(warden.client, c.name, c.args)]);
      expect({ call: c, answer: ours }).toEqual({ call: c, answer: theirs });
    }
    const refused = await callTool(warden.client, 'add_observations', { observations: [{ entityName: 'Ghost', contents: ['boo'] }] });
    expect(refused).toEqual({ ok: false, error: 'Entity with name Ghost not found' });
    const bad = await callTool(warden.client, 'create_entities', { entities: [{ name: 'Z', entityType: 3, observations: [] }] });
    expect(bad.ok).toBe(false);
    expect((bad as { error: string }).error).toMatch(/entities\[0\]\.entityType/);
  });

  it.skipIf(skip)('differ only as documented: duplicates inside one call are kept once, not twice', async () => {
    await Promise.all([clear(reference), clear(warden)]);
    const dup = {
      entities: [
        { name: 'Twin', entityType: 'a', observations: ['x', 'x'] },
        { name: 'Twin', entityType: 'b', observations: [] },
      ],
    };
    const theirs = await tool(reference.client, 'create_entities', dup);
    const ours = await tool(warden.client, 'create_entities', dup);
    expect(theirs).toEqual(dup);
    expect(ours).toEqual({ entities: [{ name: 'Twin', entityType: 'a', observations: ['x'] }] });
    expect((await readGraph(warden.client)).entities).toEqual([{ name: 'Twin', entityType: 'a', observations: ['x'] }]);
  });
});
