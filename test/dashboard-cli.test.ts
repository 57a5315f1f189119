/**
 * `warden dashboard` as a user runs it (the real bin/warden in its own process): it prints the
 * URL with its token, answers with that token and refuses without it, and stops cleanly on
 * SIGTERM; bad options are usage errors (exit 2) that name the option.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSqliteStore } from '../src/store/index.ts';
import { runCli } from './support/cli-harness.ts';

const repo = new URL('..', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'warden-dashboard-cli-'));
const db = join(dir, 'warden.db');

beforeAll(async () => {
  const store = await openSqliteStore({ path: db });
  await store.createRun({ id: 'run-1', name: 'digest', input: { day: 1 }, traceId: 'trace-1', at: 1 });
  await store.close();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('warden dashboard', () => {
  it('prints its URL with the token, serves with it, refuses without it, and stops on SIGTERM', async () => {
    const child = spawn(process.execPath, [`${repo}bin/warden`, 'dashboard', '--db', db, '--port', '0'], { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      const line = await new Promise<string>((resolve, reject) => {
        const check = (): void => {
          if (out.includes('\n')) resolve(out.split('\n')[0]!);
        };
        child.stdout.on('data', check);
        child.on('exit', () => reject(new Error(`warden dashboard exited early: ${out}`)));
      });
      const m = /^warden dashboard: (http:\/\/127\.0\.0\.1:\d+)\/\?token=([A-Za-z0-9_-]{43})$/.exec(line);
      expect(m, line).not.toBeNull();
      const [, origin, token] = m!;
      const runs = await fetch(`${origin}/api/runs?token=${token}`);
      expect(runs.status).toBe(200);
      expect(((await runs.json()) as { id: string }[]).map((r) => r.id)).toEqual(['run-1']);
      expect((await fetch(`${origin}/api/runs`)).status).toBe(401);
      expect((await fetch(`${origin}/api/runs`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    expect(out).toMatch(/warden dashboard: stopped \(SIGTERM\)/);
  });

  it.each([
    [['--port', 'x'], /--port must be an integer >= 0 \(got "x"\)/],
    [['--port', '70000'], /--port must be an integer from 0 to 65535/],
    [['--bind', '0.0.0.0'], /bind/],
    [['extra'], /unexpected argument 'extra'/],
  ])('refuses %j with a usage error naming it', async (args, message) => {
    const r = await runCli(['dashboard', '--db', db, ...args], { cwd: repo });
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message);
  });

  it('refuses a database that is not there, without creating it', async () => {
    const r = await runCli(['dashboard', '--db', join(dir, 'missing.db')], { cwd: repo });
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/no database at .*missing\.db/);
  });
});
