/**
 * The code in README.md and docs/*.md is real: every ```ts block type-checks against the
 * package (all in one compiler run), and every block that is a whole program runs to the end
 * with Node; the examples in the module comments of src/index.ts and src/<layer>/index.ts
 * type-check too. Markers and preludes: test/support/docs-examples.ts. A first group checks the
 * checker itself, on a small markdown text with a broken block, a failing program and a bad
 * marker, so that a problem is reported at its markdown line.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SCHEMA_VERSION } from '../src/store/index.ts';
import { extractExamples, loadExamples, loadModuleExamples, REPO, writeExamples, type DocsExample, type ExampleWorkspace } from './support/docs-examples.ts';

const FIXTURE = [
  '# A page', //                                                         1
  '', //                                                                 2
  '```ts', //                                                            3
  "import { Runtime } from 'warden';", //                                4
  'const rt: Runtime = new Runtime();', //                               5
  "const n: number = 'not a number';", //                                6
  '```', //                                                              7
  '', //                                                                 8
  '<!-- docs-test: prelude runtime -->', //                              9
  '```ts', //                                                           10
  'rt.spawn(async () => {});', //                                       11
  'rt.nonexistent();', //                                               12
  '```', //                                                             13
  '', //                                                                14
  '```ts', //                                                           15
  "throw new Error('this program fails');", //                          16
  '```', //                                                             17
  '', //                                                                18
  '<!-- docs-test: run twice -->', //                                   19
  '```ts', //                                                           20
  'export {};', //                                                      21
  '```', //                                                             22
  '<!-- docs-test: signature -->', //                                   23
  '', //                                                                24
].join('\n');

const docs = loadExamples();
const modules = loadModuleExamples();
const fixture = extractExamples('example.md', FIXTURE);
const compiled = docs.examples.filter((e) => e.mode.kind !== 'signature');
const programs = docs.examples.filter((e) => e.mode.kind === 'run');

let workspace: ExampleWorkspace;
let errors: Map<DocsExample, string[]>;

beforeAll(async () => {
  workspace = writeExamples([...docs.examples, ...modules.examples, ...fixture.examples]);
  errors = await workspace.typecheck();
}, 300_000);

afterAll(() => workspace?.remove());

describe('the docs checker', () => {
  it('finds the blocks with their markers, and reports a marker it cannot use', () => {
    expect(fixture.examples.map((e) => [e.where, e.mode.kind])).toEqual([
      ['example.md:3', 'run'],
      ['example.md:10', 'prelude'],
      ['example.md:15', 'run'],
      ['example.md:20', 'run'],
    ]);
    expect(fixture.problems).toEqual([
      { where: 'example.md:19', message: expect.stringContaining('not understood (got "run twice")') },
      { where: 'example.md:23', message: 'a docs-test marker must sit on the line right above a ```ts fence' },
    ]);
  });

  it('names the markdown line of a type error, in a block and after a prelude', () => {
    const [plain, withPrelude] = fixture.examples;
    expect(errors.get(plain!)).toEqual([expect.stringMatching(/^example\.md:6 \(block at example\.md:3\): error TS2322: /)]);
    expect(errors.get(withPrelude!)).toEqual([expect.stringMatching(/^example\.md:12 \(block at example\.md:10\): error TS2339: Property 'nonexistent'/)]);
  });

  it('names the block of a program that fails', async () => {
    await expect(workspace.run(fixture.examples[2]!)).rejects.toThrow(/^example\.md:15: the example exited with code 1\n[\s\S]*this program fails/);
  });
});

describe('README.md and docs/*.md', () => {
  it('have ```ts blocks, and every docs-test marker is understood and in its place', () => {
    expect(compiled.length).toBeGreaterThan(20);
    expect(programs.length).toBeGreaterThan(10);
    expect(docs.problems.map((p) => `${p.where}: ${p.message}`)).toEqual([]);
  });

  it.each(compiled.map((e) => [e.where, e] as const))('%s type-checks', (_where, example) => {
    expect(errors.get(example) ?? []).toEqual([]);
  });

  // The programs run two at a time, in order, from the start of this group; each test awaits its own.
  const runs = new Map<DocsExample, Promise<unknown>>();
  beforeAll(() => {
    const slot = limit(2);
    for (const example of programs) {
      const done = slot(() => workspace.run(example, { timeoutMs: 50_000 }));
      done.catch(() => {}); // reported by the example's own test
      runs.set(example, done);
    }
  });

  it.each(programs.map((e) => [e.where, e] as const))(
    '%s runs to the end',
    async (_where, example) => {
      await runs.get(example);
    },
    120_000,
  );

  it('docs/durable.md states the schema version the code writes', () => {
    const page = readFileSync(`${REPO}/docs/durable.md`, 'utf8');
    expect(/`SCHEMA_VERSION`, currently (\d+)/.exec(page)?.[1]).toBe(String(SCHEMA_VERSION));
  });
});

describe('the module comments of src/index.ts and src/<layer>/index.ts', () => {
  it('have ```ts blocks, and every docs-test marker is understood and in its place', () => {
    expect(modules.examples.length).toBeGreaterThan(5);
    expect(modules.problems.map((p) => `${p.where}: ${p.message}`)).toEqual([]);
  });

  it.each(modules.examples.map((e) => [e.where, e] as const))('%s type-checks', (_where, example) => {
    expect(errors.get(example) ?? []).toEqual([]);
  });
});

/** Runs at most `n` of the given functions at once, in the order they were handed in. */
function limit(n: number): <T>(fn: () => Promise<T>) => Promise<T> {
  let active = 0;
  const waiting: (() => void)[] = [];
  return async (fn) => {
    if (active >= n) await new Promise<void>((resolve) => waiting.push(resolve));
    else active++;
    try {
      return await fn();
    } finally {
      // The slot passes straight to the next in line.
      const next = waiting.shift();
      if (next) next();
      else active--;
    }
  };
}
