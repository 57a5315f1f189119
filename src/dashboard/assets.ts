/**
 * The page and what it loads, with no build step: the HTML shell (an import map pointing the
 * bare module names at `/vendor/`), the page's own modules from `client/` beside this file, and
 * preact, htm and uPlot served as ES modules straight from where Node resolves them (they are
 * dependencies, so this works from a clone and from the installed package alike).
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const resolveModule = createRequire(import.meta.url).resolve;

/**
 * The files under `/vendor/`: URL name → module specifier Node resolves. htm's `exports` give
 * Node only its CommonJS and `.mjs` builds, so its ES module build is found beside the one Node
 * resolves (`htm.module.js`, the same code as `htm.mjs`).
 */
const VENDOR: Readonly<Record<string, string>> = {
  'preact.mjs': 'preact',
  'preact-hooks.mjs': 'preact/hooks',
  'htm.mjs': 'htm',
  'uplot.mjs': 'uplot/dist/uPlot.esm.js',
  'uplot.css': 'uplot/dist/uPlot.min.css',
};

/** The page's own files under `/`. */
const CLIENT_FILES = ['app.js', 'views.js', 'runs.js', 'plots.js', 'api.js', 'html.js', 'style.css'] as const;

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  js: 'text/javascript; charset=utf-8',
  mjs: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
};

/** The import map: the bare module names the page's modules import, mapped to `/vendor/`. */
const IMPORT_MAP = JSON.stringify({
  imports: { preact: '/vendor/preact.mjs', 'preact/hooks': '/vendor/preact-hooks.mjs', htm: '/vendor/htm.mjs', uplot: '/vendor/uplot.mjs' },
});

export const PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Warden dashboard</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/vendor/uplot.css">
<link rel="stylesheet" href="/style.css">
<script type="importmap">${IMPORT_MAP}</script>
<script type="module" src="/app.js"></script>
</head>
<body><main id="app">Loading…</main></body>
</html>
`;

/**
 * The page's Content-Security-Policy: scripts only from the dashboard itself (and the one inline
 * script, the import map, by its hash), requests only to it, no frames, no forms elsewhere.
 * Styles allow inline `style` attributes, which uPlot sets on its elements.
 */
export const PAGE_CSP = [
  "default-src 'self'",
  `script-src 'self' 'sha256-${createHash('sha256').update(IMPORT_MAP).digest('base64')}'`,
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');

/**
 * `client/` beside this module: src/dashboard/client in a clone; dist/dashboard/client in the
 * package, where `npm run build` copies it (tsc copies only what it compiles).
 */
function clientDir(): string {
  return fileURLToPath(new URL('./client/', import.meta.url));
}

export interface Asset {
  readonly body: string;
  readonly contentType: string;
}

const cache = new Map<string, Promise<Asset>>();

/** A vendor module or a page file by its URL path (`/vendor/preact.mjs`, `/app.js`), or undefined. */
export function assetFor(path: string): Promise<Asset> | undefined {
  const hit = cache.get(path);
  if (hit !== undefined) return hit;
  let file: string | undefined;
  if (path.startsWith('/vendor/')) {
    const specifier = VENDOR[path.slice('/vendor/'.length)];
    if (specifier !== undefined) {
      const resolved = resolveModule(specifier);
      file = specifier === 'htm' ? `${resolved.slice(0, resolved.lastIndexOf('/') + 1)}htm.module.js` : resolved;
    }
  } else if ((CLIENT_FILES as readonly string[]).includes(path.slice(1))) {
    file = `${clientDir()}${path.slice(1)}`;
  }
  if (file === undefined) return undefined;
  const contentType = CONTENT_TYPES[file.slice(file.lastIndexOf('.') + 1)] ?? 'application/octet-stream';
  const asset = readFile(file, 'utf8').then((body) => ({ body, contentType }));
  asset.catch(() => cache.delete(path));
  cache.set(path, asset);
  return asset;
}
