/**
 * `moduleUrl('./worker.ts', import.meta.url)`: the URL of a module named by a string (a remote
 * child's module, a worker's entry), right both when the code runs as TypeScript source and
 * once it is compiled to JavaScript.
 *
 * The TypeScript build rewrites `.ts` to `.js` in import specifiers, but not in strings such as
 * `new URL('./worker.ts', import.meta.url)`, so the compiled code would name a file that is
 * not there. This applies the same rule to the string: when the module asking (`base`) is
 * itself JavaScript, a relative `.ts`, `.mts` or `.cts` name becomes `.js`, `.mjs` or `.cjs`.
 */

const TYPESCRIPT = /\.(?:[mc]?ts|tsx)$/;
const RELATIVE = /^\.\.?\//;

/**
 * Resolve `specifier` against `base` (normally `import.meta.url`) as the module it names.
 * A `.ts` name is kept when `base` is TypeScript and becomes `.js` when `base` is compiled
 * JavaScript; other names, and names that are not relative (`file:` URLs, paths), are left
 * as they are.
 */
export function moduleUrl(specifier: string, base: string | URL): URL {
  const baseUrl = new URL(base);
  if (!RELATIVE.test(specifier) || TYPESCRIPT.test(baseUrl.pathname)) return new URL(specifier, baseUrl);
  return new URL(compiledName(specifier), baseUrl);
}

/** `./x.ts` → `./x.js`, `./x.mts` → `./x.mjs`, `./x.cts` → `./x.cjs`, `./x.tsx` → `./x.js`; `./x.d.ts` stays. */
function compiledName(specifier: string): string {
  if (specifier.endsWith('.d.ts')) return specifier;
  return specifier.replace(/\.tsx$/, '.js').replace(/\.([mc]?)ts$/, '.$1js');
}
