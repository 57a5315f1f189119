/**
 * Repairing a memory file sets aside only what is bad, and keeps whatever it takes out of the
 * graph: a group header that does not fit the lines after it is set aside alone (those lines
 * are read on their own), a write really cut short is still dropped whole, and a duplicate
 * entity merged into the first is kept in `.rejected` as it was (its own entityType included).
 * On real files, through `openFileGraph`.
 */
import { mkdtempSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readRejectedLines } from './index.ts';
import { openFileGraph } from './file-graph.ts';

const e = (name: string, observations: string[] = [], entityType = 'thing'): string => JSON.stringify({ type: 'entity', name, entityType, observations });
const r = (from: string, to: string, relationType = 'knows'): string => JSON.stringify({ type: 'relation', from, to, relationType });
const header = (lines: number, bytes?: number): string =>
  JSON.stringify(bytes === undefined ? { type: 'warden.group', lines } : { type: 'warden.group', lines, bytes });
/** The header our writer puts before `members`. */
const frame = (members: string[]): string =>
  header(
    members.length,
    members.reduce((n, m) => n + Buffer.byteLength(m) + 1, 0),
  );

function fileWith(content: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'warden-jsonl-repair-')), 'memory.jsonl');
  writeFileSync(file, content);
  return file;
}

async function open(file: string): Promise<{ names: string[]; relations: number; warnings: string[]; close: () => Promise<void> }> {
  const warnings: string[] = [];
  const g = await openFileGraph({ path: file, warn: (m) => warnings.push(m.replaceAll(file, 'F')) });
  const graph = await g.read({ tool: 'read_graph' });
  return { names: graph.entities.map((x) => x.name), relations: graph.relations.length, warnings, close: () => g.close() };
}

describe('a group header that does not fit the lines after it', () => {
  it.each([
    ['ending without a newline (as the reference writes)', ''],
    ['ending with a newline', '\n'],
  ])('in the middle of a file, %s, is set aside alone; every valid line after it is kept', async (_how, end) => {
    const file = fileWith([e('Ada'), header(1000), e('Bob'), r('Ada', 'Bob'), e('Cy')].join('\n') + end);
    const g = await open(file);
    expect(g.names).toEqual(['Ada', 'Bob', 'Cy']);
    expect(g.relations).toBe(1);
    expect(readRejectedLines(file).map((x) => [x.line, x.text])).toEqual([[2, header(1000)]]);
    expect(g.warnings).toEqual([
      expect.stringMatching(
        /^F:2: a "warden\.group" header that does not fit the lines after it \(1000 lines declared, and the 3 whole records after it end the file\); set aside alone/,
      ),
    ]);
    await g.close();
  });

  it('is set aside alone when another header comes within its lines', async () => {
    const inner = [e('Cy'), e('Dee')];
    const file = fileWith([e('Ada'), header(3), e('Bob'), frame(inner), ...inner, e('Eve')].join('\n') + '\n');
    const g = await open(file);
    expect(g.names).toEqual(['Ada', 'Bob', 'Cy', 'Dee', 'Eve']);
    expect(readRejectedLines(file).map((x) => x.line)).toEqual([2]);
    expect(g.warnings[0]).toContain('another header comes 2 lines after it, within its 3');
    await g.close();
  });

  it('is set aside alone when its lines are there but do not take the bytes it declares', async () => {
    const file = fileWith([header(2, 9_999), e('Bob'), e('Cy'), e('Dee')].join('\n') + '\n');
    const g = await open(file);
    expect(g.names).toEqual(['Bob', 'Cy', 'Dee']);
    expect(readRejectedLines(file).map((x) => x.line)).toEqual([1]);
    await g.close();
  });

  it('still drops a write cut short whole, even cut right after a newline', async () => {
    const members = [e('X'), e('Y'), e('Z')];
    const torn = [frame(members), members[0], members[1]].join('\n') + '\n';
    const file = fileWith(`${e('Ada')}\n${torn}`);
    const g = await open(file);
    expect(g.names).toEqual(['Ada']);
    expect(g.warnings).toEqual([expect.stringContaining(':2: a write cut short (2 of its 3 lines)')]);
    expect(readRejectedLines(file)[0]!.text).toBe(torn.slice(0, -1));
    await g.close();
  });

  it('frames every multi-line write with its byte count, so a crash at any line boundary is recognised', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'warden-jsonl-repair-')), 'memory.jsonl');
    const g = await openFileGraph({ path: file });
    await g.write({ tool: 'create_entities', entities: [{ name: 'Ada', entityType: 't', observations: [] }] });
    await g.write({ tool: 'create_entities', entities: ['P', 'Q', 'R'].map((name) => ({ name, entityType: 't', observations: ['é'] })) });
    await g.close();
    const lines = readFileSync(file, 'utf8').split('\n');
    expect(lines[1]).toBe(frame(lines.slice(2, 5)));
    // The process dies after the header and one line reached the file: the write is dropped whole.
    truncateSync(file, Buffer.byteLength(lines.slice(0, 3).join('\n') + '\n'));
    const again = await open(file);
    expect(again.names).toEqual(['Ada']);
    expect(again.warnings).toEqual([expect.stringContaining(':2: a write cut short (1 of its 3 lines)')]);
    await again.close();
  });
});

describe('duplicates merged on load', () => {
  it('keep what was merged away in .rejected: the duplicate line as it was, its own entityType included', async () => {
    const file = fileWith([e('Ada', ['a'], 'person'), e('Bob'), e('Ada', ['b'], 'robot'), r('Ada', 'Bob'), r('Ada', 'Bob')].join('\n'));
    const g = await open(file);
    expect(g.names).toEqual(['Ada', 'Bob']);
    expect(g.warnings).toEqual([
      'F:3: duplicate entity "Ada" collapsed into the first',
      'F:5: duplicate relation "Ada -[knows]-> Bob" collapsed into the first',
    ]);
    await g.close();
    expect(readRejectedLines(file).map((x) => [x.line, x.text])).toEqual([
      [3, e('Ada', ['b'], 'robot')],
      [5, r('Ada', 'Bob')],
    ]);
    expect(readRejectedLines(file)[0]!.reason).toBe(
      'duplicate entity "Ada" collapsed into the first (its observations were added to it); the line is kept here as it was',
    );
    const reopened = await openFileGraph({ path: file });
    expect((await reopened.read({ tool: 'read_graph' })).entities[0]).toEqual({ name: 'Ada', entityType: 'person', observations: ['a', 'b'] });
    await reopened.close();
  });
});
