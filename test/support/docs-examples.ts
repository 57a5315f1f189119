/**
 * The code examples in README.md and docs/*.md, checked like code: every ```ts block is pulled
 * out with the markdown file and line it starts on, all of them are type-checked against the
 * package in one compiler run, and each block that is a whole program is run with Node. Each
 * problem is reported at the markdown line it comes from. The examples in the module comments
 * of src/index.ts and src/<layer>/index.ts are compiled in the same run (loadModuleExamples).
 *
 * A block with no marker is a whole program: it must compile on its own (imports from 'warden'
 * or 'warden/<layer>') and it runs. A marker is an HTML comment on the line right above the
 * fence (invisible once rendered):
 *
 *   <!-- docs-test: compile-only (why it cannot run here, e.g. it calls the OpenAI API) -->
 *   <!-- docs-test: prelude NAME ... -->   a fragment: compiled after test/docs-preludes/NAME.ts
 *                                          (each named), which declare what the page set up
 *                                          earlier or what the reader brings; not run
 *   <!-- docs-test: signature -->      a listing of API shapes, not code: not compiled
 *
 * The blocks are written as files under <repo>/tmp/ (ignored by git) so that 'warden' resolves
 * to the package itself through its exports and the `warden-dev` condition, as it does for
 * the tests, and so that the package's dependencies (zod, openai) resolve too.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { promisify } from 'node:util';

export const REPO = resolve(new URL('../..', import.meta.url).pathname);
export const PRELUDES = join(REPO, 'test', 'docs-preludes');

export type ExampleMode =
  | { readonly kind: 'run' }
  | { readonly kind: 'compile-only'; readonly reason: string }
  | { readonly kind: 'prelude'; readonly preludes: readonly string[] }
  | { readonly kind: 'signature' };

export interface DocsExample {
  /** The markdown file, relative to the repository (or as given). */
  readonly file: string;
  /** 1-based line of the opening fence in that file. */
  readonly fenceLine: number;
  readonly code: string;
  readonly mode: ExampleMode;
  /** `file:line` of the fence: how every problem with this block is named. */
  readonly where: string;
}

/** A marker that could not be understood, or does not sit right above a ```ts fence. */
export interface MarkerProblem {
  readonly where: string;
  readonly message: string;
}

const FENCE_OPEN = /^```(?:ts|typescript)\s*$/;
const FENCE_ANY = /^```/;
const MARKER = /^<!--\s*docs-test:\s*(.*?)\s*-->\s*$/;

function parseMarker(text: string): ExampleMode | string {
  if (text === 'signature') return { kind: 'signature' };
  const compileOnly = /^compile-only\s*\((.+)\)$/.exec(text);
  if (compileOnly) return { kind: 'compile-only', reason: compileOnly[1]!.trim() };
  const prelude = /^prelude((?:\s+[a-z0-9-]+)+)$/.exec(text);
  if (prelude) {
    const names = prelude[1]!.trim().split(/\s+/);
    for (const name of names) {
      if (!existsSync(join(PRELUDES, `${name}.ts`))) return `names prelude "${name}", but there is no test/docs-preludes/${name}.ts`;
    }
    return { kind: 'prelude', preludes: names };
  }
  return `is not understood (got "${text}"); use "compile-only (reason)", "prelude NAME ..." or "signature"`;
}

/** Every ```ts block of one markdown text, with its marker, plus any marker in the wrong place. */
export function extractExamples(file: string, markdown: string): { examples: DocsExample[]; problems: MarkerProblem[] } {
  const lines = markdown.split('\n');
  const examples: DocsExample[] = [];
  const problems: MarkerProblem[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const marker = MARKER.exec(line);
    if (marker) {
      if (!FENCE_OPEN.test(lines[i + 1] ?? ''))
        problems.push({ where: `${file}:${i + 1}`, message: 'a docs-test marker must sit on the line right above a ```ts fence' });
      continue;
    }
    if (!FENCE_ANY.test(line)) continue;
    // Any fenced block: find its end; only ```ts blocks are examples.
    let end = i + 1;
    while (end < lines.length && lines[end] !== '```') end++;
    if (FENCE_OPEN.test(line)) {
      const where = `${file}:${i + 1}`;
      const above = MARKER.exec(lines[i - 1] ?? '');
      let mode: ExampleMode = { kind: 'run' };
      if (above) {
        const parsed = parseMarker(above[1]!);
        if (typeof parsed === 'string') problems.push({ where: `${file}:${i}`, message: `the docs-test marker ${parsed}` });
        else mode = parsed;
      }
      examples.push({ file, fenceLine: i + 1, code: lines.slice(i + 1, end).join('\n'), mode, where });
    }
    i = end;
  }
  return { examples, problems };
}

/** README.md and docs/*.md, in that order. */
export function docsFiles(): string[] {
  const docs = join(REPO, 'docs');
  const pages = readdirSync(docs)
    .filter((f) => f.endsWith('.md'))
    .sort();
  return ['README.md', ...pages.map((p) => `docs/${p}`)];
}

export function loadExamples(files: readonly string[] = docsFiles()): { examples: DocsExample[]; problems: MarkerProblem[] } {
  const examples: DocsExample[] = [];
  const problems: MarkerProblem[] = [];
  for (const file of files) {
    const found = extractExamples(file, readFileSync(join(REPO, file), 'utf8'));
    examples.push(...found.examples);
    problems.push(...found.problems);
  }
  return { examples, problems };
}

/** src/index.ts and each layer's src/<layer>/index.ts: the files whose module comment shows the public surface in use. */
export function moduleFiles(): string[] {
  const src = join(REPO, 'src');
  const layers = readdirSync(src, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(src, d.name, 'index.ts')))
    .map((d) => `src/${d.name}/index.ts`)
    .sort();
  return ['src/index.ts', ...layers];
}

/**
 * The ```ts blocks of the leading module comment (`/** ... *\/`) of each file, read as markdown
 * with the comment's ` * ` taken off, so that a block is named by its line in the source file.
 * They are compiled, never run (a module comment shows an API, not a program to execute here);
 * a `<!-- docs-test: prelude NAME -->` line in the comment declares what the reader brings.
 */
export function loadModuleExamples(files: readonly string[] = moduleFiles()): { examples: DocsExample[]; problems: MarkerProblem[] } {
  const examples: DocsExample[] = [];
  const problems: MarkerProblem[] = [];
  for (const file of files) {
    const comment = /^\/\*\*[\s\S]*?\*\//.exec(readFileSync(join(REPO, file), 'utf8'));
    if (comment === null) continue;
    const markdown = comment[0]
      .split('\n')
      .map((line) => line.replace(/^\s*(?:\/\*\*|\*\/|\*) ?/, ''))
      .join('\n');
    const found = extractExamples(file, markdown);
    for (const example of found.examples) {
      examples.push(example.mode.kind === 'run' ? { ...example, mode: { kind: 'compile-only', reason: 'a module comment' } } : example);
    }
    problems.push(...found.problems);
  }
  return { examples, problems };
}

/** The extracted blocks on disk, ready for the compiler and for Node. */
export interface ExampleWorkspace {
  readonly dir: string;
  /** Compile errors, each as one line naming the markdown file and line, grouped by block. */
  typecheck(): Promise<Map<DocsExample, string[]>>;
  /** Runs one whole-program block; resolves with its output, rejects naming the block. */
  run(example: DocsExample, options?: { timeoutMs?: number }): Promise<{ stdout: string; stderr: string }>;
  remove(): void;
}

interface Written {
  readonly example: DocsExample;
  readonly path: string;
  /** The preludes written before the block, each with the line it starts on (1-based). */
  readonly preludes: readonly { readonly name: string; readonly firstLine: number; readonly lines: number }[];
  /** Lines of prelude before the block's first line. */
  readonly preludeLines: number;
}

export function writeExamples(examples: readonly DocsExample[]): ExampleWorkspace {
  mkdirSync(join(REPO, 'tmp'), { recursive: true });
  const dir = mkdtempSync(join(REPO, 'tmp', 'docs-examples-'));
  const written = new Map<DocsExample, Written>();
  const byPath = new Map<string, Written>();
  for (const example of examples) {
    if (example.mode.kind === 'signature') continue;
    const preludes: Written['preludes'][number][] = [];
    let preludeText = '';
    for (const prelude of example.mode.kind === 'prelude' ? example.mode.preludes : []) {
      const text = `${readFileSync(join(PRELUDES, `${prelude}.ts`), 'utf8').replace(/\n*$/, '')}\n`;
      const lines = text.split('\n').length - 1;
      preludes.push({ name: prelude, firstLine: preludeText.split('\n').length, lines });
      preludeText += text;
    }
    const name = `${example.file.replace(/[^A-Za-z0-9]+/g, '_')}_L${example.fenceLine}.ts`;
    const path = join(dir, name);
    // `export {}` makes every block a module (top-level await) without moving its lines.
    writeFileSync(path, `${preludeText}${example.code}\nexport {};\n`);
    const entry: Written = { example, path, preludes, preludeLines: preludeText.split('\n').length - 1 };
    written.set(example, entry);
    byPath.set(path, entry);
  }
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ extends: relative(dir, join(REPO, 'tsconfig.json')), include: ['*.ts'] }, null, 2));

  /** `file:line` in the markdown (or in the prelude) for a line of a written file. */
  const locate = (entry: Written, line: number): string => {
    for (const p of entry.preludes) {
      if (line >= p.firstLine && line < p.firstLine + p.lines)
        return `test/docs-preludes/${p.name}.ts:${line - p.firstLine + 1} (prelude of ${entry.example.where})`;
    }
    const inBlock = line - entry.preludeLines;
    return `${entry.example.file}:${entry.example.fenceLine + inBlock} (block at ${entry.example.where})`;
  };

  return {
    dir,
    async typecheck() {
      const tsc = join(REPO, 'node_modules', '.bin', 'tsc');
      const result = await promisify(execFile)(tsc, ['-p', join(dir, 'tsconfig.json'), '--pretty', 'false'], {
        cwd: REPO,
        maxBuffer: 64 * 1024 * 1024,
        timeout: 300_000,
        killSignal: 'SIGKILL',
      }).then(
        (r) => r.stdout,
        (e: { stdout?: string; code?: unknown }) => {
          if (typeof e.stdout !== 'string' || e.stdout === '') throw e;
          return e.stdout;
        },
      );
      const errors = new Map<DocsExample, string[]>();
      let last: string[] | undefined;
      for (const line of result.split('\n')) {
        const m = /^(.+?)\((\d+),(\d+)\): (error TS\d+: .*)$/.exec(line);
        if (/^error TS\d+/.test(line)) throw new Error(`the compiler could not check the docs examples: ${line}`);
        if (m) {
          const entry = byPath.get(resolve(REPO, m[1]!));
          last = undefined;
          if (entry === undefined) continue; // the package's own errors: `tsc -p tsconfig.json` reports those
          const list = errors.get(entry.example) ?? [];
          list.push(`${locate(entry, Number(m[2]))}: ${m[4]}`);
          errors.set(entry.example, list);
          last = list;
        } else if (last !== undefined && /^\s+\S/.test(line)) {
          last[last.length - 1] += ` ${line.trim()}`;
        }
      }
      return errors;
    },
    async run(example, options = {}) {
      const entry = written.get(example);
      if (entry === undefined) throw new Error(`${example.where}: a signature block is not a program`);
      const cwd = `${entry.path.slice(0, -'.ts'.length)}.cwd`;
      mkdirSync(cwd, { recursive: true });
      const timeoutMs = options.timeoutMs ?? 30_000;
      try {
        return await promisify(execFile)(process.execPath, ['--conditions=warden-dev', entry.path], { cwd, timeout: timeoutMs, killSignal: 'SIGKILL' });
      } catch (e) {
        const err = e as { code?: unknown; signal?: unknown; killed?: boolean; stdout?: string; stderr?: string };
        const how =
          err.killed === true
            ? `did not finish within ${timeoutMs} ms`
            : `exited with ${err.signal ? `signal ${String(err.signal)}` : `code ${String(err.code)}`}`;
        throw new Error(`${example.where}: the example ${how}\n--- stderr ---\n${err.stderr ?? ''}\n--- stdout ---\n${err.stdout ?? ''}`);
      }
    },
    remove() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
