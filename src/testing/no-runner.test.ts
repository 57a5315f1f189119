/**
 * `warden/testing` works under any test runner: none of its modules imports one (vitest,
 * node:test, jest, mocha). docs/testing.md runs an example under node:test to show it.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const dir = new URL('.', import.meta.url).pathname;

describe('warden/testing', () => {
  it('imports no test runner in any of its modules', () => {
    const modules = readdirSync(dir).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'));
    expect(modules).toContain('index.ts');
    const offences = modules.flatMap((f) =>
      [...readFileSync(`${dir}${f}`, 'utf8').matchAll(/from '(vitest|node:test|@jest\/[^']*|jest|mocha)'/g)].map((m) => `${f} imports ${m[1]}`),
    );
    expect(offences).toEqual([]);
  });
});
