/**
 * Fuzzing the memory server's JSONL file: a file of valid entity and relation lines is damaged
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
});

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
        const lines: { text: string; valid: boolean }[] = valid.map((text) => ({ text, valid: true }));
        for (const i of d.duplicates) lines.splice(i % (lines.length + 1), 0, { ...(lines[i % lines.length] as { text: string; valid: boolean }) });
        for (const [i, text] of d.inserts) lines.splice(i % (lines.length + 1), 0, { text, valid: false });
        for (const i of d.blanks) lines.splice(i % (lines.length + 1), 0, { text: '', valid: false });
        let content = lines.map((l) => l.text).join('\n') + (d.trailingNewline ? '\n' : '');
        const bytes = Buffer.from(content);
        const cut = Math.min(d.cut, bytes.length);
        content = bytes.subarray(0, bytes.length - cut).toString('utf8');
        // Lines wholly before the cut are kept; the line the cut falls in may be dropped.
        const whole = content.endsWith('\n') ? content.split('\n').slice(0, -1) : content.split('\n').slice(0, -1);
        const keptValid = new Set(whole.filter((l) => valid.includes(l)));
        const file = join(dir, `memory-${n++}.jsonl`);
        writeFileSync(file, content);

        const warnings: string[] = [];
        const g = await openFileGraph({ path: file, warn: (m) => warnings.push(m) });
        const graph = await g.read({ tool: 'read_graph' });
        await g.close();

        const names = new Set(graph.entities.map((e) => e.name));
        const lineOf = (x: Entity | Relation, i: number): string => valid[i] ?? JSON.stringify(x);
        for (const [i, e] of entities.entries())
          if (keptValid.has(lineOf(e, i))) expect(names, `entity ${e.name} lost from ${JSON.stringify(content)}`).toContain(e.name);
        for (const e of graph.entities) {
          const i = entities.findIndex((x) => x.name === e.name);
          const source = entities[i];
          if (source !== undefined && keptValid.has(lineOf(source, i))) expect(e.observations).toEqual(expect.arrayContaining(source.observations));
        }
        const rels = new Set(graph.relations.map((r) => `${r.from}|${r.relationType}|${r.to}`));
        for (const [i, r] of relations.entries())
          if (keptValid.has(lineOf(r, i + entities.length)))
            expect(rels, `relation lost from ${JSON.stringify(content)}`).toContain(`${r.from}|${r.relationType}|${r.to}`);

        // Each bad line that is whole was set aside with a reason, not dropped silently.
        const rejected = readRejectedLines(file);
        for (const r of rejected) expect(r.reason.length).toBeGreaterThan(0);
        const badWhole = whole.filter((l) => l.trim() !== '' && !valid.includes(l));
        for (const text of badWhole)
          expect(
            rejected.map((r) => r.text),
            `bad line ${JSON.stringify(text)} not set aside`,
          ).toContain(text);

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
