/**
 * The tree's layout rules that no compiler checks: code and tests under src/ never import from
 * test/ (a test beside its code uses `warden/testing` or the sources), so src/ stands alone.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const src = new URL('../src/', import.meta.url).pathname;

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) =>
    d.isDirectory() ? sources(join(dir, d.name)) : d.name.endsWith('.ts') ? [join(dir, d.name)] : [],
  );
}

describe('the layout of src/', () => {
  it('has no file that imports from test/', () => {
    const offenders = sources(src).filter((file) => /from '(\.\.\/)+test\//.test(readFileSync(file, 'utf8')));
    expect(offenders.map((f) => f.slice(src.length))).toEqual([]);
  });
});
