/**
 * Start-up stays light: `warden --help`, an unknown command and `import 'warden/runtime'` load
 * no OpenTelemetry package (`warden/otel` loads the API only, the SDK when export is asked for) and
 * none of the heavy packages (the model SDKs, the MCP SDK, the database drivers, the dashboard's hono
 * and page libraries), nor does importing
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
  '/node_modules/hono/',
  '/node_modules/@hono/node-server/',
  '/node_modules/preact/',
  '/node_modules/htm/',
  '/node_modules/uplot/',
];

let n = 0;
/** Any OpenTelemetry package: loaded only by warden/otel and the commands that export telemetry. */
const OTEL = ['/node_modules/@opentelemetry/'];

/** The packages (of `heavy`) that running `args` with node loaded. */
function heavyLoads(args: readonly string[], heavy: readonly string[] = HEAVY): string[] {
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
  return heavy.filter((h) => urls.some((u) => u.includes(h)));
}

describe('start-up', () => {
  it('warden --help and an unknown command load no heavy package', () => {
    expect(heavyLoads([`${repo}bin/warden`, '--help'])).toEqual([]);
    expect(heavyLoads([`${repo}bin/warden`, 'no-such-command'])).toEqual([]);
    expect(heavyLoads([`${repo}bin/warden`, 'dashboard', '--help'])).toEqual([]);
  });

  it("import 'warden/runtime', 'warden/memory' and 'warden' load no heavy package", () => {
    expect(heavyLoads(['--input-type=module', '-e', "await import('warden/runtime')"])).toEqual([]);
    expect(heavyLoads(['--input-type=module', '-e', "await import('warden/memory')"])).toEqual([]);
    expect(heavyLoads(['--input-type=module', '-e', "await import('warden')"])).toEqual([]);
  });

  it("warden --help and import 'warden/runtime' load no OpenTelemetry package; 'warden/otel' loads the API alone", () => {
    expect(heavyLoads([`${repo}bin/warden`, '--help'], OTEL)).toEqual([]);
    expect(heavyLoads(['--input-type=module', '-e', "await import('warden/runtime')"], OTEL)).toEqual([]);
    const sdk = ['/node_modules/@opentelemetry/api/', '/node_modules/@opentelemetry/sdk-', '/node_modules/@opentelemetry/exporter-'];
    expect(heavyLoads(['--input-type=module', '-e', "await import('warden/otel')"], sdk)).toEqual(['/node_modules/@opentelemetry/api/']);
  });

  it('a model adapter loads its SDK on its first call, not when it is built', () => {
    const build =
      "const { openaiChat, anthropicMessages } = await import('warden/llm'); openaiChat({ model: 'm', apiKey: 'k', baseURL: 'http://127.0.0.1:9' }); anthropicMessages({ model: 'm', apiKey: 'k', baseURL: 'http://127.0.0.1:9' });";
    expect(heavyLoads(['--input-type=module', '-e', build])).toEqual([]);
  });
});
