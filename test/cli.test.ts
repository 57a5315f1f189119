/**
 * The warden CLI: help on every command, clear errors with exit status 2 for bad input, and the
 * conformance command (the demo has its own test, test/demo.test.ts). Most cases call
 * `main` in-process; one runs the real `bin/warden` as a child process.
 */
import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { commands } from '../src/cli/main.ts';
import { runCli, type CliRun } from './support/cli-harness.ts';

const repo = new URL('..', import.meta.url).pathname;

const cli = (...argv: string[]): Promise<CliRun> => runCli(argv, { cwd: repo });

describe('warden CLI', () => {
  it('prints help listing every command', async () => {
    const r = await cli('--help');
    expect(r.code).toBe(0);
    for (const c of commands) expect(r.out).toContain(c.name);
  });

  it.each(commands.map((c) => c.name))('has --help for %s', async (name) => {
    const r = await cli(name, '--help');
    expect(r.code).toBe(0);
    expect(r.out).toContain(`Usage: warden ${name}`);
  });

  it('names in its help only files that exist', async () => {
    for (const c of commands) {
      const help = (await cli(c.name, '--help')).out;
      for (const [path] of help.matchAll(/\b(?:test|examples|docs|bench|src)\/[\w./-]*\w/g))
        expect(existsSync(join(repo, path)), `${c.name} --help names ${path}`).toBe(true);
    }
  });

  it.each([
    [['nope'], "unknown command 'nope'"],
    [['demo', '--bogus'], "Unknown option '--bogus'"],
    [['demo', '--seed', 'soon'], '--seed must be an integer >= 0 (got "soon")'],
    [['demo', 'extra'], 'Unexpected argument'],
    [['conformance'], 'give at least one scenario'],
    [['conformance', 'missing.json'], 'no such file or directory: missing.json'],
  ])('rejects %j with exit status 2 and says what is wrong', async (argv, message) => {
    const r = await cli(...argv);
    expect(r.code).toBe(2);
    expect(r.err).toContain(message);
  });

  it('names the bad field of a scenario file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'warden-cli-'));
    const file = join(dir, 'bad.json');
    writeFileSync(file, JSON.stringify({ supervisor: { intensity: -1 } }));
    const r = await cli('conformance', file);
    expect(r.code).toBe(2);
    expect(r.err).toContain('supervisor.intensity');
    writeFileSync(file, '{ not json');
    expect((await cli('conformance', file)).err).toContain('not valid JSON');
  });

  it('compares the public scenarios with their OTP traces', async () => {
    const r = await cli('conformance', 'test/conformance/scenarios', '--expected', 'test/conformance/expected');
    expect(r.code).toBe(0);
    expect(r.out).toContain('24 passed, 0 failed');
  });

  it('runs as a real executable, printing the version package.json gives', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [join(repo, 'bin/warden'), '--version']);
    const { version } = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as { version: string };
    expect(stdout).toBe(`warden ${version}\n`);
  });

  it('finds package.json from an installed package too (dist/cli/ two folders below it)', async () => {
    const pkg = mkdtempSync(join(tmpdir(), 'warden-installed-'));
    mkdirSync(join(pkg, 'dist', 'cli'), { recursive: true });
    writeFileSync(join(pkg, 'package.json'), JSON.stringify({ name: 'warden', version: '9.8.7' }));
    copyFileSync(join(repo, 'src/cli/version.ts'), join(pkg, 'dist/cli/version.ts'));
    const { wardenVersion } = (await import(join(pkg, 'dist/cli/version.ts'))) as { wardenVersion: () => string };
    expect(wardenVersion()).toBe('9.8.7');
  });
});
