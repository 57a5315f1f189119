/**
 * The package's public surface, pinned: what every entry in package.json's `exports` gives a
 * user ('warden' and each 'warden/<layer>'), value names read from the loaded module and type
 * names from its index.ts, snapshotted (test/__snapshots__/exports.test.ts.snap), so that adding,
 * renaming or removing a public name is a change someone reviews. Also: the root lists every
 * layer's whole surface, the plumbing layers share inside Warden is exported from no entry, and
 * the `internal.ts` modules that carry it are imported only from higher layers.
 *
 * Vitest loads 'warden/...' through the `warden-dev` condition, so the modules are src/'s.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const repo = new URL('..', import.meta.url).pathname;
const pkg = JSON.parse(readFileSync(`${repo}package.json`, 'utf8')) as {
  exports: Record<string, { 'warden-dev': string; types: string; default: string }>;
};

/** Each entry as a user imports it ('warden', 'warden/store', ...), with its source file. */
const entries = Object.entries(pkg.exports).map(([key, target]) => ({
  specifier: key === '.' ? 'warden' : `warden/${key.slice(2)}`,
  source: target['warden-dev'],
}));

/** What the layers share inside Warden but users must not see. */
const PLUMBING = [
  'sqlAccessOf',
  'defineLayerTables',
  'openLayerTables',
  'LayerTables',
  'SqlAccess',
  'SqlConn',
  'MIGRATIONS',
  'Migration',
  'Dialect',
  'executeAgent',
  'StepJournal',
  'durableJournal',
  'ephemeralJournal',
  'RemoteEndpoint',
  'RemoteCallFrom',
  'isRemoteCallFrom',
];

/** Layers from the bottom up (ARCHITECTURE.md); a folder may import only from lower ranks. */
const LAYER_RANK: Record<string, number> = {
  runtime: 0,
  supervisor: 1,
  isolation: 1,
  testing: 1,
  resilience: 2,
  store: 3,
  llm: 4,
  sim: 4,
  config: 4,
  durable: 5,
  memory: 6,
  health: 6,
  alerts: 6,
  scheduler: 6,
  cluster: 6,
  agent: 7,
  cli: 8,
  dashboard: 8,
};

interface Surface {
  readonly values: readonly string[];
  readonly types: readonly string[];
}

/**
 * The names an entry's index.ts exports, read from its source. An entry holds only side-effect
 * imports and `export { ... } from` / `export type { ... } from` lists (comments aside); anything
 * else fails here, so no name can slip past the snapshot.
 */
function declaredSurface(source: string): Surface {
  const text = readFileSync(`${repo}${source}`, 'utf8')
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/^\s*\/\/.*$/gm, '');
  const values: string[] = [];
  const types: string[] = [];
  const statement = /import\s+'[^']+';|export\s+(type\s+)?\{([^}]*)\}\s+from\s+'[^']+';/y;
  let at = 0;
  for (;;) {
    while (at < text.length && /\s/.test(text[at]!)) at++;
    if (at >= text.length) break;
    statement.lastIndex = at;
    const m = statement.exec(text);
    if (m === null) throw new Error(`${source}: an entry may only re-export named lists; found: ${text.slice(at, at + 80)}`);
    at = statement.lastIndex;
    for (const item of (m[2] ?? '').split(',')) {
      const name = item
        .trim()
        .split(/\s+as\s+/)
        .pop()!
        .trim();
      if (name !== '') (m[1] === undefined ? values : types).push(name);
    }
  }
  return { values: [...values].sort(), types: [...types].sort() };
}

async function loadedSurface(specifier: string): Promise<Surface> {
  const module = (await import(specifier)) as Record<string, unknown>;
  const declared = declaredSurface(entries.find((e) => e.specifier === specifier)!.source);
  return { values: Object.keys(module).sort(), types: declared.types };
}

describe('public entry points', () => {
  it('lists every entry of package.json, each backed by an index.ts', () => {
    expect(entries.map((e) => e.specifier)).toEqual([
      'warden',
      'warden/runtime',
      'warden/supervisor',
      'warden/testing',
      'warden/resilience',
      'warden/llm',
      'warden/sim',
      'warden/isolation',
      'warden/store',
      'warden/durable',
      'warden/agent',
      'warden/memory',
      'warden/dashboard',
      'warden/otel',
      'warden/health',
      'warden/alerts',
      'warden/config',
      'warden/scheduler',
      'warden/cluster',
    ]);
    for (const { source } of entries) expect(source).toMatch(/^\.\/src\/(?:[a-z]+\/)?index\.ts$/);
  });

  for (const { specifier, source } of entries) {
    it(`exports from ${specifier} exactly the reviewed names`, async () => {
      const surface = await loadedSurface(specifier);
      // The source lists what the module loads: no value comes from anywhere else.
      expect(surface.values).toEqual(declaredSurface(source).values);
      expect(surface).toMatchSnapshot();
    });
  }

  it('exports from the root every layer’s surface, and nothing else', async () => {
    const root = await loadedSurface('warden');
    const values = new Set<string>();
    const types = new Set<string>();
    // warden/testing is test support, kept out of the root; what it shares with the runtime
    // (the virtual clock, settle, seededRandom) comes in with the runtime.
    for (const { specifier } of entries.filter((e) => e.specifier !== 'warden' && e.specifier !== 'warden/testing')) {
      const layer = await loadedSurface(specifier);
      for (const v of layer.values) values.add(v);
      for (const t of layer.types) types.add(t);
    }
    // A name a layer exports and the root does not (or the reverse): list it in src/index.ts (or
    // drop it there), then review the snapshot change (`npx vitest run test/exports.test.ts -u`).
    expect({ missingFromRoot: [...values, ...types].filter((n) => !root.values.includes(n) && !root.types.includes(n)) }).toEqual({ missingFromRoot: [] });
    expect({ notInAnyLayer: [...root.values, ...root.types].filter((n) => !values.has(n) && !types.has(n)) }).toEqual({ notInAnyLayer: [] });
    expect(root.values).toEqual([...values].sort());
    expect(root.types).toEqual([...types].sort());
  });

  it('gives the root the same objects as the layers', async () => {
    const root = (await import('warden')) as Record<string, unknown>;
    const store = await import('warden/store');
    const runtime = await import('warden/runtime');
    const supervisor = await import('warden/supervisor');
    const testing = await import('warden/testing');
    expect(root.openStore).toBe(store.openStore);
    expect(root.Runtime).toBe(runtime.Runtime);
    expect(root.startSupervisor).toBe(supervisor.startSupervisor);
    for (const [name, value] of Object.entries(testing)) {
      if (name in runtime) expect(root[name]).toBe(value);
      else expect(root, `warden/testing's ${name} is not in the root`).not.toHaveProperty(name);
    }
  });

  it('keeps the plumbing layers share inside Warden out of every entry', async () => {
    for (const { specifier } of entries) {
      const surface = await loadedSurface(specifier);
      expect(
        [...surface.values, ...surface.types].filter((n) => PLUMBING.includes(n)),
        specifier,
      ).toEqual([]);
    }
  });

  it('gives each exported name one meaning across the layers', async () => {
    const owner = new Map<string, string>();
    const clashes: string[] = [];
    for (const { specifier, source } of entries.filter((e) => e.specifier !== 'warden' && e.specifier !== 'warden/testing')) {
      for (const name of [...declaredSurface(source).values, ...declaredSurface(source).types]) {
        const first = owner.get(name);
        if (first !== undefined) clashes.push(`${name}: ${first} and ${specifier}`);
        else owner.set(name, specifier);
      }
    }
    expect(clashes).toEqual([]);
  });

  it('reaches internal.ts modules only from higher layers, never through an entry', () => {
    const exported = Object.values(pkg.exports).map((t) => t['warden-dev']);
    expect(exported.filter((p) => p.endsWith('internal.ts'))).toEqual([]);
    const offences: string[] = [];
    for (const folder of readdirSync(`${repo}src`, { withFileTypes: true }).filter((d) => d.isDirectory())) {
      const files = readdirSync(`${repo}src/${folder.name}`, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'));
      for (const file of files) {
        const text = readFileSync(`${repo}src/${folder.name}/${file}`, 'utf8');
        for (const m of text.matchAll(/from '((?:\.\.\/)+)([a-z]+)\/internal\.ts'/g)) {
          const target = m[2]!;
          if (!((LAYER_RANK[folder.name] ?? -1) > (LAYER_RANK[target] ?? Infinity))) {
            offences.push(`src/${folder.name}/${file} imports ${target}/internal.ts`);
          }
        }
        if (file === 'index.ts' && /internal\.ts'/.test(text)) offences.push(`src/${folder.name}/index.ts re-exports internal.ts`);
      }
    }
    expect(offences).toEqual([]);
  });

  it('leaves members marked @internal out of the published declarations', () => {
    const build = JSON.parse(readFileSync(`${repo}tsconfig.build.json`, 'utf8')) as { compilerOptions: { stripInternal?: boolean } };
    expect(build.compilerOptions.stripInternal).toBe(true);
  });
});
