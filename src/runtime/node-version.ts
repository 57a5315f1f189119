/**
 * The oldest Node.js Warden runs on, checked when the package is first imported. Below it the
 * failure would be obscure (better-sqlite3's native addon ends the process with a segmentation
 * fault and no message on Node 20), so the check comes first and says what is needed in one
 * line. The same minimum is `engines.node` in package.json, which `bin/warden` reads; a test
 * keeps the two equal.
 */

export const MINIMUM_NODE_VERSION = '22.18.0';

/** Whether `version` (as in `process.versions.node`) is at least `minimum`. */
export function nodeVersionAtLeast(version: string, minimum: string = MINIMUM_NODE_VERSION): boolean {
  const have = version
    .replace(/^v/, '')
    .split('.')
    .map((p) => Number.parseInt(p, 10));
  const need = minimum.split('.').map((p) => Number.parseInt(p, 10));
  for (let i = 0; i < need.length; i++) {
    const h = have[i] ?? 0;
    const n = need[i] ?? 0;
    if (h !== n) return h > n;
  }
  return true;
}

/** Throw a one-line error naming the version needed when this Node.js is older than the minimum. */
export function assertSupportedNode(version: string = process.versions.node): void {
  if (!nodeVersionAtLeast(version)) {
    throw new Error(`Warden needs Node.js ${MINIMUM_NODE_VERSION} or newer (this is v${version.replace(/^v/, '')})`);
  }
}

assertSupportedNode();
