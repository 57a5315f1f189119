/**
 * The file backend on real files: repair on load (corrupt, truncated and duplicate lines kept
 * aside and named), torn writes dropped whole, compaction, several graphs on one file, and the
 * lock (a dead holder's lock broken, a live one waited for until the timeout).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir, hostname } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readRejectedLines } from './index.ts';
import { EventBus, realClock, type WardenEvent } from '../runtime/index.ts';
import { openFileGraph } from './file-graph.ts';
import { isWardenError } from '../runtime/index.ts';
import './events.ts';

const e = (name: string, observations: string[] = [], entityType = 'thing'): string => JSON.stringify({ type: 'entity', name, entityType, observations });
const r = (from: string, to: string, relationType = 'knows'): string => JSON.stringify({ type: 'relation', from, to, relationType });

function setup(content?: string): { file: string; events: WardenEvent[]; bus: EventBus; warnings: string[] } {
  const file = join(mkdtempSync(join(tmpdir(), 'warden-file-graph-')), 'memory.jsonl');
  if (content !== undefined) writeFileSync(file, content);
  const bus = new EventBus(realClock);
  const events: WardenEvent[] = [];
  bus.onAny((ev) => events.push(ev));
  return { file, events, bus, warnings: [] };
}

describe('repair on load', () => {
  it('skips corrupt and truncated lines with a warning naming each, keeps them aside and compacts the file', async () => {
    const content = [
      e('Ada', ['math']),
      '{"type":"entity","name":',
      'not json at all',
      e('Bob'),
      r('Ada', 'Bob'),
      '{"type":"entity","name":"Cy","entityType":"x","observ',
    ].join('\n');
    const { file, bus, events, warnings } = setup(content);
    const g = await openFileGraph({ path: file, events: bus, warn: (m) => warnings.push(m) });
    expect(await g.read({ tool: 'read_graph' })).toEqual({
      entities: [
        { name: 'Ada', entityType: 'thing', observations: ['math'] },
        { name: 'Bob', entityType: 'thing', observations: [] },
      ],
      relations: [{ from: 'Ada', to: 'Bob', relationType: 'knows' }],
    });
    expect(warnings.map((w) => w.replaceAll(file, 'F'))).toEqual([
      expect.stringMatching(/^F:2: not valid JSON .*kept in F\.rejected$/),
      expect.stringMatching(/^F:3: not valid JSON .*kept in F\.rejected$/),
      expect.stringMatching(/^F:6: a last line cut short .*kept in F\.rejected$/),
    ]);
    expect(readRejectedLines(file).map((x) => [x.line, x.text])).toEqual([
      [2, '{"type":"entity","name":'],
      [3, 'not json at all'],
      [6, '{"type":"entity","name":"Cy","entityType":"x","observ'],
    ]);
    expect(readFileSync(file, 'utf8')).toBe(`${[e('Ada', ['math']), e('Bob'), r('Ada', 'Bob')].join('\n')}\n`);
    expect(events.filter((x) => x.type === 'memory.line_rejected').map((x) => (x as { line: number }).line)).toEqual([2, 3, 6]);
    expect(events.find((x) => x.type === 'memory.opened')).toMatchObject({ entities: 2, relations: 1, repairs: 3 });
    await g.close();
    const again: string[] = [];
    const g2 = await openFileGraph({ path: file, warn: (m) => again.push(m) });
    expect(again).toEqual([]);
    expect(readRejectedLines(file)).toHaveLength(3);
    await g2.close();
  });

  it('collapses duplicate entities (by name, observations merged into the first) and relations', async () => {
    const { file, warnings } = setup([e('Ada', ['a']), e('Bob'), e('Ada', ['b', 'a'], 'other'), r('Ada', 'Bob'), r('Ada', 'Bob'), r('Bob', 'Ada')].join('\n'));
    const g = await openFileGraph({ path: file, warn: (m) => warnings.push(m) });
    expect(await g.read({ tool: 'read_graph' })).toEqual({
      entities: [
        { name: 'Ada', entityType: 'thing', observations: ['a', 'b'] },
        { name: 'Bob', entityType: 'thing', observations: [] },
      ],
      relations: [
        { from: 'Ada', to: 'Bob', relationType: 'knows' },
        { from: 'Bob', to: 'Ada', relationType: 'knows' },
      ],
    });
    expect(warnings.map((w) => w.replaceAll(file, 'F'))).toEqual([
      'F:3: duplicate entity "Ada" collapsed into the first',
      'F:5: duplicate relation "Ada -[knows]-> Bob" collapsed into the first',
    ]);
    await g.close();
  });

  it('drops a write cut short whole (a torn group), keeping its bytes aside', async () => {
    const torn = `${JSON.stringify({ type: 'warden.group', lines: 3 })}\n${e('X')}\n${e('Y')}\n{"type":"ent`;
    const { file, warnings } = setup(`${e('Ada')}\n${torn}`);
    const g = await openFileGraph({ path: file, warn: (m) => warnings.push(m) });
    expect((await g.read({ tool: 'read_graph' })).entities.map((x) => x.name)).toEqual(['Ada']);
    expect(warnings).toEqual([expect.stringContaining(':2: a write cut short (2 of its 3 lines)')]);
    expect(readRejectedLines(file)[0]!.text).toBe(torn);
    // The file keeps working: the next write lands after the good part.
    await g.write({ tool: 'create_entities', entities: [{ name: 'Z', entityType: 't', observations: [] }] });
    await g.close();
    const g2 = await openFileGraph({ path: file });
    expect((await g2.read({ tool: 'read_graph' })).entities.map((x) => x.name)).toEqual(['Ada', 'Z']);
    await g2.close();
  });

  it('sets aside a whole write whose line in the middle is corrupt', async () => {
    const { file, warnings } = setup([e('Ada'), JSON.stringify({ type: 'warden.group', lines: 2 }), e('P'), 'garbage', e('Q')].join('\n'));
    const g = await openFileGraph({ path: file, warn: (m) => warnings.push(m) });
    expect((await g.read({ tool: 'read_graph' })).entities.map((x) => x.name)).toEqual(['Ada', 'Q']);
    expect(readRejectedLines(file).map((x) => x.line)).toEqual([2, 3, 4]);
    await g.close();
  });

  it('reads a file the reference wrote (no final newline) and appends after it', async () => {
    const { file } = setup([e('Ada'), r('Ada', 'Ada')].join('\n'));
    const g = await openFileGraph({ path: file });
    await g.write({ tool: 'add_observations', observations: [{ entityName: 'Ada', contents: ['new'] }] });
    await g.close();
    const lines = readFileSync(file, 'utf8').split('\n');
    expect(lines.slice(0, 3)).toEqual([e('Ada'), r('Ada', 'Ada'), JSON.stringify({ type: 'warden.observations_added', entityName: 'Ada', contents: ['new'] })]);
  });
});

describe('writes', () => {
  it('appends only the change, and compacts into plain reference lines once the log outgrows the graph', async () => {
    const { file, bus, events } = setup();
    const g = await openFileGraph({ path: file, events: bus, compactAfterBytes: 2_000 });
    await g.write({ tool: 'create_entities', entities: [{ name: 'hub', entityType: 't', observations: [] }] });
    const sizes: number[] = [];
    for (let i = 0; i < 200; i++) {
      await g.write({ tool: 'add_observations', observations: [{ entityName: 'hub', contents: [`o${i}`] }] });
      sizes.push(readFileSync(file).length);
    }
    // Between compactions each write grows the file by one short line.
    const growth = sizes
      .slice(1)
      .map((s, i) => s - sizes[i]!)
      .filter((d) => d > 0);
    expect(Math.max(...growth)).toBeLessThan(100);
    const compactions = events.filter((x) => x.type === 'memory.compacted');
    expect(compactions.length).toBeGreaterThan(0);
    await g.write({ tool: 'delete_observations', deletions: [{ entityName: 'hub', observations: ['o0'] }] });
    await g.close();
    const g2 = await openFileGraph({ path: file });
    const hub = (await g2.read({ tool: 'open_nodes', names: ['hub'] })).entities[0]!;
    expect(hub.observations).toEqual(Array.from({ length: 199 }, (_, i) => `o${i + 1}`));
    await g2.close();
  });

  it('lets two graphs on one file see each other’s writes and lose none, across compactions', async () => {
    const { file } = setup();
    const a = await openFileGraph({ path: file, compactAfterBytes: 1_000 });
    const b = await openFileGraph({ path: file, compactAfterBytes: 1_000 });
    await a.write({ tool: 'create_entities', entities: [{ name: 'hub', entityType: 't', observations: [] }] });
    const writes: Promise<unknown>[] = [];
    for (let i = 0; i < 300; i++) {
      const g = i % 2 === 0 ? a : b;
      writes.push(g.write({ tool: 'add_observations', observations: [{ entityName: 'hub', contents: [`w${i}`] }] }));
      writes.push(g.write({ tool: 'create_entities', entities: [{ name: `e${i}`, entityType: 't', observations: [] }] }));
    }
    await Promise.all(writes);
    for (const g of [a, b]) {
      const graph = await g.read({ tool: 'read_graph' });
      expect(graph.entities).toHaveLength(301);
      expect(new Set(graph.entities[0]!.observations).size).toBe(300);
    }
    await Promise.all([a.close(), b.close()]);
  });

  it('refuses a call on a missing entity whole and applies the rest of the batch', async () => {
    const { file } = setup();
    const g = await openFileGraph({ path: file });
    const [ok, refused] = await Promise.allSettled([
      g.write({ tool: 'create_entities', entities: [{ name: 'A', entityType: 't', observations: [] }] }),
      g.write({
        tool: 'add_observations',
        observations: [
          { entityName: 'A', contents: ['x'] },
          { entityName: 'missing', contents: ['y'] },
        ],
      }),
    ]);
    expect(ok.status).toBe('fulfilled');
    expect(refused.status === 'rejected' && isWardenError(refused.reason, 'MEMORY_ENTITY_NOT_FOUND')).toBe(true);
    expect((await g.read({ tool: 'read_graph' })).entities).toEqual([{ name: 'A', entityType: 't', observations: [] }]);
    await g.close();
  });
});

describe('the file lock', () => {
  it('breaks a lock left by a process that is gone', async () => {
    const { file, bus, events } = setup();
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString();
    writeFileSync(`${file}.lock`, JSON.stringify({ host: hostname(), pid: Number(dead), token: 'gone' }));
    const g = await openFileGraph({ path: file, events: bus });
    expect(events.find((x) => x.type === 'memory.lock_broken')).toMatchObject({ why: `its holder (pid ${dead}) is not running` });
    await g.write({ tool: 'create_entities', entities: [{ name: 'A', entityType: 't', observations: [] }] });
    expect(existsSync(`${file}.lock`)).toBe(false);
    await g.close();
  });

  it('waits for a live holder and gives up with MEMORY_LOCK_TIMEOUT, leaving the file untouched', async () => {
    const { file } = setup(`${e('Ada')}\n`);
    writeFileSync(`${file}.lock`, JSON.stringify({ host: hostname(), pid: process.pid, token: 'someone-else-here' }));
    await expect(openFileGraph({ path: file, lockTimeoutMs: 30 })).rejects.toMatchObject({
      code: 'MEMORY_LOCK_TIMEOUT',
      holder: `pid ${process.pid} on ${hostname()}`,
    });
    expect(readFileSync(file, 'utf8')).toBe(`${e('Ada')}\n`);
  });
});
