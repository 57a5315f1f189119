/**
 * Start-up stays light: `warden --help`, an unknown command and `import 'warden/runtime'` load
 * none of the heavy packages (the model SDKs, the MCP SDK, the database drivers), nor does importing
 * the root entry or `warden/memory`; a model adapter loads its SDK only when first called. The times themselves are
 * measured by bench/startup.bench.ts, not here.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const repo = new URL('..', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'warden-loads-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const HEAVY = [
  '/node_modules/openai/',
  '/node_modules/@anthropic-ai/sdk/',
  '/node_modules/@modelcontextprotocol/sdk/',
  '/node_modules/pg/',
  '/node_modules/better-sqlite3/',
];

let n = 0;
/** The packages (of HEAVY) that running `args` with node loaded. */
function heavyLoads(args: readonly string[]): string[] {
  const out = join(dir, `loads-${n++}.json`);
  const r = spawnSync(process.execPath, ['--conditions=warden-dev', '--import', `${repo}test/support/record-loads.ts`, ...args], {
    cwd: repo,
    encoding: 'utf8',
    env: { ...process.env, WARDEN_RECORD_LOADS: out },
    timeout: 60_000,
  });
  expect(r.error).toBeUndefined();
  const urls = JSON.parse(readFileSync(out, 'utf8')) as string[];
  expect(urls.some((u) => u.includes('/src/'))).toBe(true); // the recorder saw Warden's own modules
  return HEAVY.filter((h) => urls.some((u) => u.includes(h)));
}

describe('start-up', () => {
  it('warden --help and an unknown command load no heavy package', () => {
    expect(heavyLoads([`${repo}bin/warden`, '--help'])).toEqual([]);
    expect(heavyLoads([`${repo}bin/warden`, 'no-such-command'])).toEqual([]);
  });

  it("import 'warden/runtime', 'warden/memory' and 'warden' load no heavy package", () => {
    expect(heavyLoads(['--input-type=module', '-e', "await import('warden/runtime')"])).toEqual([]);
    expect(heavyLoads(['--input-type=module', '-e', "await import('warden/memory')"])).toEqual([]);
    expect(heavyLoads(['--input-type=module', '-e', "await import('warden')"])).toEqual([]);
  });

  it('a model adapter loads its SDK on its first call, not when it is built', () => {
    const build =
      "const { openaiChat, anthropicMessages } = await import('warden/llm'); openaiChat({ model: 'm', apiKey: 'k', baseURL: 'http://127.0.0.1:9' }); anthropicMessages({ model: 'm', apiKey: 'k', baseURL: 'http://127.0.0.1:9' });";
    expect(heavyLoads(['--input-type=module', '-e', build])).toEqual([]);
  });
});
