/**
 * The consumer test: the package as a user installs it. `npm pack` (prepack builds dist/), the
 * tarball installed into a fresh app in the OS temp directory (`npm init -y`, type module),
 * the app's TypeScript (test/consumer/app/ and examples/quickstart.ts) compiled with strict
 * settings and module/moduleResolution nodenext by the repository's TypeScript, and run with
 * Node 24 from the installed dist/ only. Seven parts, each passing or failing on its own:
 *
 *   (a) quickstart     the README quick start (examples/quickstart.ts)
 *   (b) memory         memoryServer under a supervisor in a child process, an MCP client's write
 *                      read back, also after a kill -9; `warden memory serve --isolation process`
 *   (c) durable        a durable run survives kill -9 of its process; a new process with a
 *                      default DurableHost recovers it without repeating completed steps
 *   (d) root exports   `import { openStore, Runtime, startSupervisor } from 'warden'`
 *   (e) bin            `warden --help` through the installed bin
 *   (f) older node     with the machine's older Node (if it has one), `import 'warden'` and
 *                      `warden --help` name the minimum version in one line
 *   (g) dashboard      `warden dashboard` through the installed bin: the page, its own modules and
 *                      the vendored preact/htm/uPlot served from the installed package, 401
 *                      without the token, stopped by SIGTERM
 *
 * Every child has a time limit; the temporary directories are removed at the end. The last line
 * is `consumer: N passed, M failed`; the exit status is 1 if any part failed.
 *
 *   npm run test:consumer
 *   npm run test:consumer -- --tarball warden-0.1.0.tgz   # install this tarball, do not pack
 *   npm run test:consumer -- --keep                       # keep the temporary app, print where
 */
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const APP_SOURCES = fileURLToPath(new URL('./app/', import.meta.url));

const { values: options } = parseArgs({ options: { tarball: { type: 'string' }, keep: { type: 'boolean' } }, strict: true });

interface Outcome {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly timedOut: boolean;
}

interface RunOptions {
  readonly cwd: string;
  readonly timeoutMs: number;
  readonly env?: NodeJS.ProcessEnv;
}

interface Running {
  readonly outcome: Promise<Outcome>;
  /** Its standard output so far. */
  stdout(): string;
  /** SIGKILL the child and everything it started. */
  stop(): void;
  /** Send `signal` to the child's process group. */
  signal(signal: NodeJS.Signals): void;
}

/** Start a child in a process group of its own, killed with its group once `timeoutMs` passes. */
function start(command: string, args: readonly string[], o: RunOptions): Running {
  const child = spawn(command, args, { cwd: o.cwd, env: o.env ?? process.env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  let timedOut = false;
  const stop = (): void => {
    try {
      if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  };
  const timer = setTimeout(() => {
    timedOut = true;
    stop();
  }, o.timeoutMs);
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const outcome = new Promise<Outcome>((resolveOutcome) => {
    child.on('error', (e) => {
      clearTimeout(timer);
      resolveOutcome({ code: null, signal: null, stdout, stderr: `${stderr}${e.message}`, timedOut });
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      stop(); // anything it left behind in its group
      resolveOutcome({ code, signal, stdout, stderr, timedOut });
    });
  });
  const signal = (sig: NodeJS.Signals): void => {
    if (child.pid !== undefined) process.kill(-child.pid, sig);
  };
  return { outcome, stdout: () => stdout, stop, signal };
}

/** Run a child to its end (bounded); the same outcome shape whatever happened. */
function run(command: string, args: readonly string[], o: RunOptions): Promise<Outcome> {
  return start(command, args, o).outcome;
}

/** Wait until the child's stdout contains `text`, it ends, or `ms` pass. */
function waitForOutput(child: Running, text: string, ms: number): Promise<boolean> {
  return new Promise((resolveWait) => {
    const timer = setTimeout(() => done(false), ms);
    const check = setInterval(() => {
      if (child.stdout().includes(text)) done(true);
    }, 20);
    void child.outcome.then(() => done(child.stdout().includes(text)));
    function done(seen: boolean): void {
      clearTimeout(timer);
      clearInterval(check);
      resolveWait(seen);
    }
  });
}

const tail = (text: string, lines = 12): string => text.trim().split('\n').slice(-lines).join('\n');

function describe(what: string, r: Outcome): string {
  const how = r.timedOut ? 'was stopped after its time limit' : r.signal !== null ? `was killed by ${r.signal}` : `exited ${r.code}`;
  const output = tail(`${r.stdout}\n${r.stderr}`);
  // The first error line says what went wrong; a stack's tail rarely does.
  const first = r.stderr
    .split('\n')
    .find((l) => /^\s*[A-Z]\w*Error\b[^(]*:/.test(l))
    ?.trim();
  const lead = first === undefined || output.includes(first) ? '' : `${first}\n  ...\n`;
  return `${what} ${how}${output === '' ? '' : `:\n${lead}${output}`}`;
}

class SetupError extends Error {}

/** npm as the environment gives it: under `npm run`, the npm that runs us. */
function npm(): [string, string[]] {
  const cli = process.env.npm_execpath;
  return cli?.endsWith('.js') ? [process.execPath, [cli]] : ['npm', []];
}

/** This process's environment without what `npm run` set for the repository's package. */
function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/^npm_(package_|lifecycle_|config_(local_)?prefix$)|^INIT_CWD$|^NODE_OPTIONS$/i.test(k)) continue;
    env[k] = v;
  }
  // `#!/usr/bin/env node` in the installed bin finds this Node (24) first.
  env.PATH = `${dirname(process.execPath)}:${env.PATH ?? ''}`;
  return env;
}

async function npmStep(args: readonly string[], cwd: string, timeoutMs: number, what: string): Promise<Outcome> {
  const [command, prefix] = npm();
  const r = await run(command, [...prefix, ...args], { cwd, timeoutMs, env: cleanEnv() });
  if (r.code !== 0) throw new SetupError(describe(what, r));
  return r;
}

async function pack(into: string): Promise<string> {
  if (options.tarball !== undefined) return resolve(options.tarball);
  await npmStep(['pack', '--pack-destination', into, '--silent'], REPO, 600_000, 'npm pack (prepack builds dist/)');
  const tarball = readdirSync(into).find((f) => f.endsWith('.tgz'));
  if (tarball === undefined) throw new SetupError(`npm pack wrote no tarball into ${into}`);
  return join(into, tarball);
}

/** The version range the repository's package.json gives `name`. */
function rangeOf(name: string): string {
  const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as {
    dependencies?: Record<string, string>;
    devDependencies?: Record<string, string>;
  };
  const range = pkg.dependencies?.[name] ?? pkg.devDependencies?.[name];
  if (range === undefined) throw new SetupError(`package.json has no ${name}`);
  return range;
}

/** The files each part compiles; a compile error in one fails only that part. */
const PART_FILES: Record<string, string> = {
  '(a) quickstart': 'src/quickstart.ts',
  '(b) memory': 'src/memory.ts',
  '(c) durable': 'src/durable.ts',
  '(d) root exports': 'src/root-exports.ts',
};

async function makeApp(app: string, tarball: string): Promise<Map<string, string>> {
  await npmStep(['init', '-y'], app, 60_000, 'npm init -y');
  const manifest = JSON.parse(readFileSync(join(app, 'package.json'), 'utf8')) as Record<string, unknown>;
  writeFileSync(join(app, 'package.json'), JSON.stringify({ ...manifest, type: 'module', private: true }, null, 2));
  await npmStep(
    [
      'install',
      '--no-audit',
      '--no-fund',
      tarball,
      `@modelcontextprotocol/sdk@${rangeOf('@modelcontextprotocol/sdk')}`,
      `@types/node@${rangeOf('@types/node')}`,
    ],
    app,
    600_000,
    'npm install of the tarball',
  );
  const installed = join(app, 'node_modules', 'warden');
  if (!existsSync(join(installed, 'dist', 'index.js'))) throw new SetupError(`the installed package has no dist/index.js (${installed})`);
  if (existsSync(join(installed, 'src'))) throw new SetupError('the installed package ships src/: it must run from dist/ only');

  mkdirSync(join(app, 'src'));
  cpSync(join(REPO, 'examples', 'quickstart.ts'), join(app, 'src', 'quickstart.ts'));
  for (const f of readdirSync(APP_SOURCES)) cpSync(join(APP_SOURCES, f), join(app, 'src', f));
  writeFileSync(
    join(app, 'tsconfig.json'),
    JSON.stringify(
      {
        compilerOptions: {
          target: 'es2024',
          lib: ['es2024', 'dom'], // the MCP SDK's declarations use DOM types (HeadersInit)
          module: 'nodenext',
          moduleResolution: 'nodenext',
          types: ['node'],
          strict: true,
          noUncheckedIndexedAccess: true,
          skipLibCheck: false, // the package's own .d.ts files must compile for its users
          rootDir: 'src',
          outDir: 'dist',
        },
        include: ['src'],
      },
      null,
      2,
    ),
  );
  const tsc = await run(process.execPath, [join(REPO, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json', '--pretty', 'false'], {
    cwd: app,
    timeoutMs: 300_000,
    env: cleanEnv(),
  });
  // Errors by file; tsc emits JavaScript even for a file with errors.
  const errors = new Map<string, string>();
  const unplaced: string[] = [];
  for (const line of `${tsc.stdout}\n${tsc.stderr}`.split('\n').filter((l) => /error TS\d+/.test(l))) {
    const file = Object.values(PART_FILES).find((f) => line.startsWith(f));
    if (file === undefined) unplaced.push(line);
    else errors.set(file, `${errors.get(file) ?? ''}${line}\n`);
  }
  if (unplaced.length > 0 || (tsc.code !== 0 && errors.size === 0))
    throw new SetupError(describe('tsc of the app', { ...tsc, stdout: unplaced.join('\n') || tsc.stdout }));
  return errors;
}

const node = (app: string, script: string, args: readonly string[], timeoutMs: number): Promise<Outcome> =>
  run(process.execPath, [join(app, 'dist', script), ...args], { cwd: app, timeoutMs, env: cleanEnv() });

/** Each part: resolve with a one-line summary, or throw saying what failed. */
function parts(app: string, work: string): Record<string, () => Promise<string>> {
  const wardenBin = join(app, 'node_modules', '.bin', 'warden');
  return {
    '(a) quickstart': async () => {
      const r = await node(app, 'quickstart.js', [], 60_000);
      if (r.code !== 0 || !r.stdout.includes('researcher crashed') || !r.stdout.includes('after 2 runs, researcher is running')) {
        throw new Error(describe('the quick start', r));
      }
      return tail(r.stdout, 1);
    },
    '(b) memory': async () => {
      const dir = join(work, 'memory');
      mkdirSync(dir);
      const r = await node(app, 'memory.js', [dir, wardenBin], 120_000);
      if (r.code !== 0) throw new Error(describe('the memory app', r));
      return r.stdout.trim().split('\n').join('; ');
    },
    '(c) durable': async () => {
      const dir = join(work, 'durable');
      mkdirSync(dir);
      const db = join(dir, 'warden.db');
      const log = join(dir, 'executions.log');
      const crash = start(process.execPath, [join(app, 'dist', 'durable.js'), 'crash', db, log], { cwd: dir, timeoutMs: 60_000, env: cleanEnv() });
      const hanging = await waitForOutput(crash, 'hanging', 30_000);
      crash.stop(); // SIGKILL
      const killed = await crash.outcome;
      if (!hanging) throw new Error(describe('the run to be killed did not reach its fourth step; it', { ...killed, timedOut: false }));
      if (killed.signal !== 'SIGKILL') throw new Error(describe('the run to be killed was not killed by SIGKILL; it', killed));
      const r = await node(app, 'durable.js', ['recover', db, log], 60_000);
      if (r.code !== 0) throw new Error(describe('the recovering process', r));
      return tail(r.stdout, 1);
    },
    '(d) root exports': async () => {
      const dir = join(work, 'root');
      mkdirSync(dir);
      const r = await node(app, 'root-exports.js', [dir], 60_000);
      if (r.code !== 0) throw new Error(describe('the root-exports app', r));
      return tail(r.stdout, 1);
    },
    '(e) bin': async () => {
      const r = await run(wardenBin, ['--help'], { cwd: app, timeoutMs: 60_000, env: cleanEnv() });
      if (r.code !== 0 || !r.stdout.startsWith('Usage: warden') || !r.stdout.includes('memory')) throw new Error(describe('warden --help', r));
      return `warden --help: ${r.stdout.split('\n')[0]}`;
    },
    '(f) older node': async () => {
      // The machine's own Node (20 here) is below the minimum: the library and the CLI must say
      // so in one line, instead of crashing in the native SQLite addon.
      const older = '/usr/bin/node';
      const version = existsSync(older)
        ? (await run(older, ['-p', 'process.versions.node'], { cwd: app, timeoutMs: 30_000, env: cleanEnv() })).stdout.trim()
        : '';
      const minimum = (
        JSON.parse(readFileSync(join(app, 'node_modules', 'warden', 'package.json'), 'utf8')) as { engines: { node: string } }
      ).engines.node.replace(/^>=/, '');
      const below = version !== '' && version.localeCompare(minimum, undefined, { numeric: true }) < 0;
      if (!below) return `no Node older than ${minimum} on this machine (${older}: ${version || 'absent'}); nothing to check`;
      const lib = await run(older, ['--input-type=module', '-e', "await import('warden')"], { cwd: app, timeoutMs: 30_000, env: cleanEnv() });
      const libLine = `Warden needs Node.js ${minimum} or newer (this is v${version})`;
      if (lib.code === 0 || !lib.stderr.includes(libLine)) throw new Error(describe(`import 'warden' on Node ${version}`, lib));
      const cli = await run(older, [wardenBin, '--help'], { cwd: app, timeoutMs: 30_000, env: cleanEnv() });
      if (cli.code !== 2 || cli.stderr.trim().split('\n').length !== 1 || !cli.stderr.includes(`warden needs Node.js ${minimum} or newer`)) {
        throw new Error(describe(`warden --help on Node ${version}`, cli));
      }
      return `Node ${version}: the library and the CLI name the minimum (${minimum}) in one line`;
    },
    '(g) dashboard': async () => {
      const dir = join(work, 'dashboard');
      mkdirSync(dir);
      const db = join(dir, 'warden.db');
      // A store the dashboard can open (it refuses a database nothing has written), made by the installed library.
      const made = await run(
        process.execPath,
        ['--input-type=module', '-e', "const { openStore } = await import('warden/store'); await (await openStore({ db: process.argv[1] })).close();", db],
        {
          cwd: app,
          timeoutMs: 30_000,
          env: cleanEnv(),
        },
      );
      if (made.code !== 0) throw new Error(describe('opening a store with the installed warden/store', made));
      const server = start(wardenBin, ['dashboard', '--db', db, '--port', '0'], { cwd: dir, timeoutMs: 60_000, env: cleanEnv() });
      try {
        if (!(await waitForOutput(server, 'warden dashboard: http://', 30_000))) {
          server.stop();
          throw new Error(describe('warden dashboard did not print its URL; it', await server.outcome));
        }
        const url = /warden dashboard: (http:\/\/127\.0\.0\.1:\d+\/\?token=\S+)/.exec(server.stdout())?.[1];
        if (url === undefined) throw new Error(`warden dashboard printed no loopback URL with a token: ${JSON.stringify(server.stdout())}`);
        const { origin, searchParams } = new URL(url);
        const token = searchParams.get('token') ?? '';
        const fetched = async (path: string, auth: boolean): Promise<number> =>
          (await fetch(`${origin}${path}`, { headers: auth ? { authorization: `Bearer ${token}` } : {} })).status;
        const page = await fetch(url);
        const html = await page.text();
        if (page.status !== 200 || !html.includes('/vendor/preact.mjs')) throw new Error(`GET / with the token: ${page.status} ${html.slice(0, 200)}`);
        for (const path of ['/app.js', '/vendor/preact.mjs', '/vendor/htm.mjs', '/vendor/uplot.mjs', '/api/runs']) {
          const status = await fetched(path, true);
          if (status !== 200) throw new Error(`GET ${path} with the token answered ${status}, not 200`);
        }
        const refused = await fetched('/api/runs', false);
        if (refused !== 401) throw new Error(`GET /api/runs without the token answered ${refused}, not 401`);
        server.signal('SIGTERM');
        const done = await server.outcome;
        if (done.code !== 0) throw new Error(describe('warden dashboard after SIGTERM', done));
        return `warden dashboard served the page and its modules from the installed package; 401 without the token; stopped on SIGTERM`;
      } finally {
        server.stop();
      }
    },
  };
}

async function main(): Promise<number> {
  const names = ['(a) quickstart', '(b) memory', '(c) durable', '(d) root exports', '(e) bin', '(f) older node', '(g) dashboard'];
  if (Number(process.versions.node.split('.')[0]) !== 24) {
    console.error(`consumer: needs Node 24 to run the app (this is ${process.version}); run it with npm run test:consumer`);
    console.log(`consumer: 0 passed, ${names.length} failed`);
    return 1;
  }
  const root = mkdtempSync(join(os.tmpdir(), 'warden-consumer-'));
  const app = join(root, 'app');
  const work = join(root, 'work');
  mkdirSync(app);
  mkdirSync(work);
  mkdirSync(join(root, 'pack'));
  let passed = 0;
  let failed = 0;
  try {
    let compileErrors: Map<string, string>;
    try {
      const t = Date.now();
      const tarball = await pack(join(root, 'pack'));
      compileErrors = await makeApp(app, tarball);
      console.log(`consumer: ${tarball.split('/').pop()} installed into a fresh app and compiled (${((Date.now() - t) / 1000).toFixed(0)} s)`);
    } catch (e) {
      console.error(`consumer: setup failed, so every part fails: ${e instanceof SetupError ? e.message : String((e as Error).stack ?? e)}`);
      failed = names.length;
      return 1;
    }
    const all = parts(app, work);
    for (const name of names) {
      const t = Date.now();
      const file = PART_FILES[name];
      const errors = file === undefined ? undefined : compileErrors.get(file);
      try {
        if (errors !== undefined) throw new Error(`${file} does not compile against the installed package:\n${tail(errors)}`);
        const summary = await all[name]!();
        passed++;
        console.log(`consumer: ${name} passed (${((Date.now() - t) / 1000).toFixed(1)} s): ${summary}`);
      } catch (e) {
        failed++;
        console.log(`consumer: ${name} FAILED (${((Date.now() - t) / 1000).toFixed(1)} s): ${(e as Error).message}`);
      }
    }
    return failed === 0 ? 0 : 1;
  } finally {
    if (options.keep === true) console.log(`consumer: kept ${root}`);
    else rmSync(root, { recursive: true, force: true });
    console.log(`consumer: ${passed} passed, ${failed} failed`);
  }
}

process.exitCode = await main();
