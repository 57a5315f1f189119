/**
 * `warden memory import|export` and the command's input checks, run as the real CLI.
 */
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { tempDir, WARDEN_BIN } from './support/memory-harness.ts';

const run = async (args: string[]): Promise<{ code: number; stdout: string; stderr: string }> => {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [WARDEN_BIN, 'memory', ...args]);
    return { code: 0, stdout, stderr };
  } catch (e) {
    const x = e as { code: number; stdout: string; stderr: string };
    return { code: x.code, stdout: x.stdout, stderr: x.stderr };
  }
};

const lines = [
  '{"type":"entity","name":"Ada","entityType":"person","observations":["math"]}',
  '{"type":"entity","name":"Bob","entityType":"person","observations":[]}',
  '{"type":"relation","from":"Ada","to":"Bob","relationType":"knows"}',
];

describe('warden memory import and export', () => {
  it('round-trips a reference JSONL file through the store', async () => {
    const dir = tempDir();
    const input = join(dir, 'in.jsonl');
    writeFileSync(input, lines.join('\n'));
    const db = join(dir, 'w.db');
    const imported = await run(['import', input, '--db', db]);
    expect(imported).toMatchObject({
      code: 0,
      stdout: 'imported in.jsonl: 2 entities created, 1 observations added, 1 relations created\n'.replace('in.jsonl', input),
    });
    const exported = await run(['export', '--db', db]);
    expect(exported.stdout).toBe(`${lines.join('\n')}\n`);
    const out = join(dir, 'out.jsonl');
    expect((await run(['export', '--db', db, '--out', out])).code).toBe(0);
    expect(readFileSync(out, 'utf8')).toBe(`${lines.join('\n')}\n`);
  });

  it('refuses a file with a bad line, naming it, and imports nothing; --skip-invalid imports the rest', async () => {
    const dir = tempDir();
    const input = join(dir, 'bad.jsonl');
    writeFileSync(input, [lines[0], '{"type":"entity","name":"Cy"}', lines[1]].join('\n'));
    const file = join(dir, 'memory.jsonl');
    const refused = await run(['import', input, '--file', file]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(`${input}:2: a "entity" record needs "entityType" as a string; nothing was imported`);
    expect((await run(['export', '--file', file])).stdout).toBe('');
    const skipped = await run(['import', input, '--file', file, '--skip-invalid']);
    expect(skipped.code).toBe(0);
    expect(skipped.stderr).toContain(`${input}:2: a "entity" record needs "entityType" as a string; skipped`);
    expect((await run(['export', '--file', file])).stdout).toBe(`${lines[0]}\n${lines[1]}\n`);
  });

  it.each([
    [['serve', '--file', 'a.jsonl', '--db', 'b.db'], 'give either --file or --db, not both'],
    [['serve', '--port', '80'], '--port and --host need --http'],
    [['serve', '--token', 'a-token-of-enough-length'], '--token needs --http'],
    [['serve', '--http', '--token', 'short'], '--token must be at least 16 characters with no whitespace (got 5 characters)'],
    [['serve', '--http', '--max-sessions', '0'], '--max-sessions must be an integer >= 1 (got "0")'],
    [['serve', '--http', '--host', '192.168.1.20'], '--host 192.168.1.20 is not loopback, so a token is required'],
    [['serve', '--isolation', 'thread'], '--isolation must be inline or process (got "thread")'],
    [['import'], 'give the JSONL file to import'],
    [['export', '--no-share'], '--no-share applies to serve only'],
    [['export', '--out', ''], '--out is empty; give the file to write'],
    // A directory once escaped as a raw EISDIR from the atomic rename, with its stack.
    [['export', '--out', '.'], 'cannot write the file there (EISDIR)'],
    [['frobnicate'], "unknown subcommand 'frobnicate'"],
  ])('rejects %j naming the problem (exit 2)', async (args, message) => {
    const r = await run(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(message);
  });
});
