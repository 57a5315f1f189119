/**
 * The version `warden --version` prints: package.json's, read where the CLI runs from, so it
 * never goes stale. This file is src/cli/version.ts in a checkout and dist/cli/version.js in an
 * installed package; either way package.json is two folders up.
 */
import { readFileSync } from 'node:fs';

/** package.json's `version`, or `unknown` (with why) if it cannot be read. */
export function wardenVersion(): string {
  const file = new URL('../../package.json', import.meta.url);
  try {
    const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: unknown; version?: unknown };
    return typeof pkg.version === 'string' ? pkg.version : `unknown (no version in ${file.pathname})`;
  } catch (e) {
    return `unknown (cannot read ${file.pathname}: ${(e as Error).message})`;
  }
}
