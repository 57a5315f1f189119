/**
 * `moduleUrl`: a module named by a string keeps its `.ts` name in the sources and takes the
 * compiled name once the asking module is JavaScript (the installed package's own modules are
 * checked from dist/ by test/consumer/run.ts).
 */
import { describe, expect, it } from 'vitest';
import { moduleUrl } from './module-url.ts';

describe('moduleUrl', () => {
  it('keeps a TypeScript name when the asking module is TypeScript', () => {
    expect(moduleUrl('./guest/entry.ts', 'file:///app/src/remote-child.ts').href).toBe('file:///app/src/guest/entry.ts');
    expect(moduleUrl('../x.mts', 'file:///app/src/remote-child.mts').href).toBe('file:///app/x.mts');
  });

  it('names the compiled file when the asking module is JavaScript, as the build does for imports', () => {
    expect(moduleUrl('./guest/entry.ts', 'file:///app/dist/remote-child.js').href).toBe('file:///app/dist/guest/entry.js');
    expect(moduleUrl('./a.mts', 'file:///app/dist/remote-child.js').href).toBe('file:///app/dist/a.mjs');
    expect(moduleUrl('./a.cts', new URL('file:///app/dist/remote-child.mjs')).href).toBe('file:///app/dist/a.cjs');
    expect(moduleUrl('./a.tsx', 'file:///app/dist/remote-child.js').href).toBe('file:///app/dist/a.js');
  });

  it('leaves alone names that are not relative TypeScript modules', () => {
    expect(moduleUrl('./a.js', 'file:///app/dist/remote-child.js').href).toBe('file:///app/dist/a.js');
    expect(moduleUrl('./types.d.ts', 'file:///app/dist/remote-child.js').href).toBe('file:///app/dist/types.d.ts');
    expect(moduleUrl('file:///elsewhere/w.ts', 'file:///app/dist/remote-child.js').href).toBe('file:///elsewhere/w.ts');
  });
});
