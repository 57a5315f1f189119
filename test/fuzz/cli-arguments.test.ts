/**
 * Fuzzing the CLI's arguments: every command this suite owns (`runs`, `dlq`, `approvals`,
 * `quarantine`, `memory`, `sim`, `chaos-proxy`) is run in this process through `main` with a
 * generated argv: known and unknown subcommands, every option with odd values (negative,
 * fractional, huge, empty, not a number, a missing or non-JSON file, a directory, an unusable
 * database location), stray positionals and misspelt flags. It exits 0, 1 or 2; any non-zero
 * exit says what is wrong on stderr in one `warden <command>: ...` line, and never prints a
 * stack trace (the sign of an error that is not Warden's). A server command that starts is
 * stopped the way Ctrl-C stops it. One real `bin/warden` process checks the same for a bad flag.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { commands } from '../../src/cli/registry.ts';
import { startSimServer, type SimServer } from '../../src/sim/index.ts';
import { openSqliteStore } from '../../src/store/index.ts';
import { waitFor } from '../../src/testing/index.ts';
import { fuzzParams } from './fuzz-settings.ts';

const SUBCOMMANDS: Record<string, readonly string[]> = {
  runs: ['list', 'show', 'resume', 'cancel'],
  dlq: ['list', 'show', 'replay', 'discard'],
  approvals: ['list', 'approve', 'deny'],
  quarantine: ['list', 'release'],
  memory: ['serve', 'import', 'export'],
  sim: ['serve'],
  'chaos-proxy': [],
};

let dir: string;
let sim: SimServer;
const optionsOf = new Map<string, Record<string, { type: string }>>();
beforeAll(async () => {
  for (const name of Object.keys(SUBCOMMANDS)) optionsOf.set(name, (await commands.find((c) => c.name === name)!.load()).options as never);
  dir = mkdtempSync(join(tmpdir(), 'warden-fuzz-cli-'));
  mkdirSync(join(dir, 'a-directory'));
  writeFileSync(join(dir, 'not-json.json'), '{ rules: nope');
  writeFileSync(join(dir, 'rules.json'), JSON.stringify([{ every: 2, fault: { kind: 'rate_limit' } }]));
  writeFileSync(join(dir, 'bad-rules.json'), JSON.stringify([{ fault: { kind: 'meltdown' } }]));
  writeFileSync(join(dir, 'script.json'), JSON.stringify({ rules: [{ match: { lastUser: 'hi' }, reply: { text: 'hello' } }] }));
  writeFileSync(join(dir, 'memory.jsonl'), `${JSON.stringify({ type: 'entity', name: 'Ada', entityType: 'person', observations: [] })}\n{ torn`);
  writeFileSync(join(dir, 'not-a-db.db'), 'this is not SQLite');
  // A database where the commands find something to act on.
  const store = await openSqliteStore({ path: join(dir, '.warden', 'warden.db') });
  await store.createRun({ id: 'run-1', name: 'digest', input: { topics: ['otp'] }, traceId: '0af7651916cd43dd8448eb211c80319c', at: 1 });
  await store.close();
  sim = await startSimServer();
});
afterAll(async () => {
  await sim.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Values an option might be given, all inside the test's folder or refused before use. */
const optionValue = () =>
  fc.constantFrom(
    '',
    '0',
    '0',
    '1',
    '1',
    '100',
    '-1',
    '1.5',
    '1e3',
    '99999999999999999999',
    '65536',
    'NaN',
    'abc',
    ' ',
    '--',
    'warden.db',
    'sub/dir/warden.db',
    'a-directory',
    'not-a-db.db',
    'missing.json',
    'not-json.json',
    'rules.json',
    'bad-rules.json',
    'script.json',
    'memory.jsonl',
    'out.jsonl',
    'postgres://',
    'mysql://x/y',
    '${WARDEN_DB}',
    'SIM_URL',
    'http://',
    'ftp://example.com',
    '127.0.0.1',
    '::1',
    'bogus',
    'inline',
    'pending',
    'running',
    'short-token',
    'x'.repeat(300),
  );

/** A command line for one command: subcommand, options (known and not), values and positionals. */
function argvFor(name: string): fc.Arbitrary<string[]> {
  return fc.constant(name).chain(() =>
    fc
      .record({
        sub: fc.oneof(
          { weight: 8, arbitrary: fc.constantFrom(...(SUBCOMMANDS[name] ?? []), '') },
          { weight: 1, arbitrary: fc.constant(undefined) },
          { weight: 1, arbitrary: fc.constantFrom('lsit', 'SERVE', '--', '-x') },
        ),
        options: fc.array(
          fc.tuple(
            fc.oneof(
              { weight: 9, arbitrary: fc.constantFrom(...Object.keys(optionsOf.get(name) ?? {})) },
              { weight: 1, arbitrary: fc.constantFrom('verbose', 'prot', 'file', 'limit', 'http', 'port') },
            ),
            fc.option(optionValue(), { nil: undefined, freq: 8 }),
            fc.boolean(),
          ),
          { maxLength: 4 },
        ),
        positionals: fc.oneof(
          { weight: 4, arbitrary: fc.constant([]) },
          { weight: 3, arbitrary: fc.constantFrom(['run-1'], ['memory.jsonl'], ['letter-1'], ['approval-1'], ['key-1']) },
          { weight: 1, arbitrary: fc.array(optionValue(), { maxLength: 2 }) },
        ),
      })
      .map(({ sub, options, positionals }) => {
        const argv = [name];
        if (sub !== undefined && sub !== '') argv.push(sub);
        // memory serve over stdio would read this process's stdin: the HTTP face is fuzzed instead.
        if (name === 'memory' && sub === 'serve') argv.push('--http');
        // Never another process or thread per case: inline only.
        for (const [option, value, equals] of options) {
          if (option === 'isolation' && value !== 'inline' && value !== 'bogus') continue;
          const known = optionsOf.get(name)?.[option];
          const text = value === 'SIM_URL' ? sim.url : value;
          if (known?.type === 'boolean' || text === undefined) argv.push(`--${option}`);
          else if (equals) argv.push(`--${option}=${text}`);
          else argv.push(`--${option}`, text);
        }
        if (name === 'chaos-proxy' && !argv.some((a) => a.startsWith('--target'))) argv.push('--target', sim.url);
        argv.push(...positionals);
        return argv;
      }),
  );
}

/** Run `argv` in this process; a server that starts is stopped as Ctrl-C would stop it. */
async function runCli(argv: readonly string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const before = new Set(process.listeners('SIGINT'));
  let code: number | undefined;
  const running = main(argv, {
    stdout: { write: (s: string) => (out += s) },
    stderr: { write: (s: string) => (err += s) },
    isTTY: false,
    env: {},
    cwd: dir,
  }).then((c) => (code = c));
  const stopper = await waitFor(() => code !== undefined || process.listeners('SIGINT').find((l) => !before.has(l)), {
    what: `warden ${argv.join(' ')} to finish or start serving`,
    timeoutMs: 20_000,
  });
  if (typeof stopper === 'function') (stopper as (signal: string) => void)('SIGINT');
  await running;
  return { code: code as number, out, err };
}

describe('fuzzing CLI arguments', () => {
  it.each(Object.keys(SUBCOMMANDS))('warden %s: exits 0, 1 or 2 with a one-line reason, never a stack trace', async (name) => {
    let failures = 0;
    await fc.assert(
      fc.asyncProperty(argvFor(name), async (argv) => {
        const r = await runCli(argv);
        const shown = `warden ${argv.join(' ')} → ${r.code}\n${r.err}`;
        expect([0, 1, 2], shown).toContain(r.code);
        expect(r.err, shown).not.toMatch(/\n\s+at /);
        if (r.code !== 0) {
          failures++;
          expect(r.err, shown).toMatch(new RegExp(`^warden ${name}: \\S`));
        }
      }),
      fuzzParams(name === 'memory' || name === 'sim' || name === 'chaos-proxy' ? 40 : 60),
    );
    expect(failures).toBeGreaterThan(0);
  });

  it("memory serve opens a relative --db in the working folder it is given, not the process's own", async () => {
    // It once resolved the path against process.cwd(), so an embedding (or this suite) wrote databases beside the code.
    const name = `serve-${process.pid}.db`;
    const r = await runCli(['memory', 'serve', '--http', '--db', name]);
    expect(r.code).toBe(0);
    expect(existsSync(join(dir, name))).toBe(true);
    expect(existsSync(join(process.cwd(), name))).toBe(false);
  });

  it('a real bin/warden process refuses a bad flag with exit 2 and a one-line reason', async () => {
    const bin = new URL('../../bin/warden', import.meta.url).pathname;
    const result = await new Promise<{ code: number | null; err: string }>((resolve) => {
      execFile(bin, ['runs', 'list', '--limit=-1'], { cwd: dir, env: { ...process.env, WARDEN_DATABASE_URL: '' } }, (error, _out, err) =>
        resolve({ code: error === null ? 0 : ((error as { code?: number }).code ?? null), err }),
      );
    });
    expect(result.code).toBe(2);
    expect(result.err).toMatch(/^warden runs: --limit must be an integer >= 1 \(got "-1"\)/);
    expect(result.err).not.toMatch(/\n\s+at /);
  });
});
