/**
 * Fuzzing the memory server's JSONL file: a file of valid entity and relation lines, some of them
 * written as framed groups (`warden.group` headers), is damaged
 * (lines that are not JSON, not objects, of a kind from a newer version, with fields missing or
 * mistyped; duplicated lines; blank lines; the last line cut short) and opened with
 * `openFileGraph`. Opening never throws; every valid line that is whole is in the graph; every
 * line set aside is kept in `<file>.rejected` with its reason; and opening the repaired file
 * again gives the same graph.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { openFileGraph } from '../../src/memory/file-graph.ts';
import { readRejectedLines } from '../../src/memory/index.ts';
import { fuzzParams } from './fuzz-settings.ts';

interface Entity {
  readonly type: 'entity';
  readonly name: string;
  readonly entityType: string;
  readonly observations: string[];
}
interface Relation {
  readonly type: 'relation';
  readonly from: string;
  readonly to: string;
  readonly relationType: string;
}

const word = fc.oneof(fc.stringMatching(/^[a-z]{1,6}$/), fc.constantFrom('é', '👍', 'a b', 'quote"d', 'back\\slash', 'line\u2028sep'));

/** Valid lines: entities with distinct names, relations between them. */
const validLines = fc
  .uniqueArray(word, { minLength: 1, maxLength: 6 })
  .chain((names) =>
    fc.tuple(
      fc.constant(names),
      fc.array(fc.tuple(word, fc.array(word, { maxLength: 3 })), { minLength: names.length, maxLength: names.length }),
      fc.array(fc.tuple(fc.constantFrom(...names), fc.constantFrom(...names), word), { maxLength: 4 }),
    ),
  )
  .map(([names, details, rels]) => {
    const entities: Entity[] = names.map((name, i) => ({ type: 'entity', name, entityType: details[i]![0], observations: [...new Set(details[i]![1])] }));
    const relations: Relation[] = rels.map(([from, to, relationType]) => ({ type: 'relation', from, to, relationType }));
    return { entities, relations };
  });

/** Lines that are not records a reader may take. */
const badLine = fc.oneof(
  fc.constantFrom(
    '{',
    '}{',
    'not json at all',
    '[]',
    '"entity"',
    '42',
    'null',
    '{"type":"entity"}',
    '{"type":"entity","name":7,"entityType":"x","observations":[]}',
    '{"type":"entity","name":"x","entityType":"x","observations":"one"}',
    '{"type":"relation","from":"a"}',
    '{"type":"warden.future_kind","name":"x"}',
    '{"type":"warden.observations_added"}',
    '{"type":"vertex","id":1}',
    '\u0000\u0001',
  ),
  fc.json({ maxDepth: 2 }).filter((s) => !s.includes('"type"')),
  fc.string({ maxLength: 20 }).filter((s) => !s.includes('\n') && s.trim() !== ''),
);

const damage = fc.record({
  inserts: fc.array(fc.tuple(fc.nat(), badLine), { maxLength: 4 }),
  duplicates: fc.array(fc.nat(), { maxLength: 3 }),
  blanks: fc.array(fc.nat(), { maxLength: 2 }),
  /** Bytes cut off the end of the file (0: none). */
  cut: fc.oneof(fc.constant(0), fc.nat({ max: 30 })),
  trailingNewline: fc.boolean(),
  newerFields: fc.array(fc.nat({ max: 10 }), { maxLength: 2 }),
  /** Writes of several lines, framed by a group header as the writer frames them: [first line, lines]. */
  groups: fc.array(fc.tuple(fc.nat({ max: 9 }), fc.integer({ min: 2, max: 4 })), { maxLength: 2 }),
});

/** The header the writer puts before a group of `members`. */
const frame = (members: readonly string[]): string =>
  JSON.stringify({ type: 'warden.group', lines: members.length, bytes: members.reduce((n, m) => n + Buffer.byteLength(m) + 1, 0) });

function sorted<T>(items: T[], key: (t: T) => string): string[] {
  return items.map(key).sort();
}

describe('fuzzing the memory JSONL file', () => {
  it('opens any damaged file, keeps every whole valid line and sets aside the rest with a reason', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'warden-fuzz-jsonl-'));
    let n = 0;
    await fc.assert(
      fc.asyncProperty(validLines, damage, async ({ entities, relations }, d) => {
        // A line from a newer writer may carry fields this version does not know: it is still valid.
        const extra = (i: number): Record<string, unknown> => (d.newerFields.includes(i) ? { createdAt: '2027-01-01T00:00:00Z' } : {});
        const valid = [
          ...entities.map((e, i) => JSON.stringify({ ...e, ...extra(i) })),
          ...relations.map((r, i) => JSON.stringify({ ...r, ...extra(i + entities.length) })),
        ];
        type Line = { text: string; group?: number };
        const lines: Line[] = [];
        const groupOf = new Map<number, number>();
        for (const [g, [start, length]] of d.groups.entries()) {
          for (let i = start; i < Math.min(start + length, valid.length); i++) if (!groupOf.has(i)) groupOf.set(i, g);
        }
        for (let i = 0; i < valid.length; i++) {
          const g = groupOf.get(i);
          if (g !== undefined && groupOf.get(i - 1) !== g) {
            const members = valid.filter((_, j) => groupOf.get(j) === g && j >= i);
            lines.push({ text: frame(members) });
          }
          lines.push({ text: valid[i] as string, ...(g === undefined ? {} : { group: g }) });
        }
        for (const i of d.duplicates) lines.splice(i % (lines.length + 1), 0, { ...(lines[i % lines.length] as Line) });
        for (const [i, text] of d.inserts) lines.splice(i % (lines.length + 1), 0, { text });
        for (const i of d.blanks) lines.splice(i % (lines.length + 1), 0, { text: '' });
        let content = lines.map((l) => l.text).join('\n') + (d.trailingNewline ? '\n' : '');
        const bytes = Buffer.from(content);
        const cut = Math.min(d.cut, bytes.length);
        content = bytes.subarray(0, bytes.length - cut).toString('utf8');
        // Lines wholly before the cut are kept; the line the cut falls in may be dropped.
        const whole = content.endsWith('\n') ? content.split('\n').slice(0, -1) : content.split('\n').slice(0, -1);
        const framed = lines.some((l) => l.text.startsWith('{"type":"warden.group"'));
        const wholeValid = whole.filter((l) => valid.includes(l));
        const file = join(dir, `memory-${n++}.jsonl`);
        writeFileSync(file, content);

        const warnings: string[] = [];
        const g = await openFileGraph({ path: file, warn: (m) => warnings.push(m) });
        const graph = await g.read({ tool: 'read_graph' });
        await g.close();
        const rejected = readRejectedLines(file);
        for (const r of rejected) expect(r.reason.length).toBeGreaterThan(0);
        const rejectedText = rejected.map((r) => r.text).join('\n');

        // Nothing valid is lost: each whole valid line is in the graph, or (only where group headers
        // make a tail look like a write cut short, which is dropped whole by design) kept aside in .rejected.
        const names = new Set(graph.entities.map((e) => e.name));
        const rels = new Set(graph.relations.map((r) => `${r.from}|${r.relationType}|${r.to}`));
        const inGraph = (line: string): boolean => {
          const record = JSON.parse(line) as Entity | Relation;
          return record.type === 'entity' ? names.has(record.name) : rels.has(`${record.from}|${record.relationType}|${record.to}`);
        };
        for (const line of wholeValid) {
          const kept = inGraph(line) || (framed && rejectedText.includes(line));
          expect(kept, `${line} lost from ${JSON.stringify(content)}; rejected: ${rejectedText}`).toBe(true);
        }
        for (const e of graph.entities) {
          const source = entities.find((x) => x.name === e.name);
          if (source !== undefined) expect(e.observations).toEqual(expect.arrayContaining(source.observations));
        }

        // Each bad line that is whole was set aside with a reason, not dropped silently.
        const badWhole = whole.filter((l) => l.trim() !== '' && !valid.includes(l) && !l.startsWith('{"type":"warden.group"'));
        for (const text of badWhole) expect(rejectedText, `bad line ${JSON.stringify(text)} not set aside`).toContain(text);

        // The repaired file opens to the same graph.
        const again = await openFileGraph({ path: file, warn: () => {} });
        const second = await again.read({ tool: 'read_graph' });
        await again.close();
        expect(sorted([...second.entities], (e) => JSON.stringify(e))).toEqual(sorted([...graph.entities], (e) => JSON.stringify(e)));
        expect(sorted([...second.relations], (r) => JSON.stringify(r))).toEqual(sorted([...graph.relations], (r) => JSON.stringify(r)));
      }),
      fuzzParams(100),
    );
    rmSync(dir, { recursive: true, force: true });
  });
});
