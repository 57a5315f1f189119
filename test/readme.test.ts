/**
 * The README's quick start is real: it is exactly examples/quickstart.ts, and running that
 * file prints a crash, the restart and a running child.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const repo = new URL('..', import.meta.url).pathname;

describe('README', () => {
  it('shows examples/quickstart.ts verbatim as its quick start', () => {
    const readme = readFileSync(`${repo}README.md`, 'utf8');
    const block = /## Quick start\n\n```ts\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(block).toBe(readFileSync(`${repo}examples/quickstart.ts`, 'utf8'));
  });

  it('has a quick start that runs and recovers from the crash', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, ['--conditions=warden-dev', `${repo}examples/quickstart.ts`]);
    expect(stdout.split('\n')).toEqual([
      'researcher crashed: crash(SyntaxError: model returned malformed JSON)',
      expect.stringMatching(/^researcher restarted as <0\.\d+>$/),
      'after 2 runs, researcher is running',
      '',
    ]);
  });

  it('states the install and test commands', () => {
    const readme = readFileSync(`${repo}README.md`, 'utf8');
    expect(readme).toContain('npm install && npx warden demo');
    expect(readme).toContain('npm test');
  });
});
