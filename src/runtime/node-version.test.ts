/**
 * One minimum Node.js everywhere: the library's check, package.json's engines (which the CLI
 * reads) and, with an older Node on the machine, the CLI's one-line refusal.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { assertSupportedNode, MINIMUM_NODE_VERSION, nodeVersionAtLeast } from './node-version.ts';

const repo = new URL('../../', import.meta.url);

describe('the minimum Node.js version', () => {
  it('compares versions part by part', () => {
    expect(nodeVersionAtLeast('22.18.0', '22.18.0')).toBe(true);
    expect(nodeVersionAtLeast('v24.1.0', '22.18.0')).toBe(true);
    expect(nodeVersionAtLeast('22.19.0', '22.18.0')).toBe(true);
    expect(nodeVersionAtLeast('22.12.0', '22.18.0')).toBe(false);
    expect(nodeVersionAtLeast('20.20.2', '22.18.0')).toBe(false);
    expect(nodeVersionAtLeast('22.9.0', '22.18.0')).toBe(false);
  });

  it('refuses an older Node.js in one line naming the version needed', () => {
    expect(() => assertSupportedNode('20.20.2')).toThrow(`Warden needs Node.js ${MINIMUM_NODE_VERSION} or newer (this is v20.20.2)`);
    expect(() => assertSupportedNode(process.versions.node)).not.toThrow();
  });

  it('is the engines field of package.json, which the CLI reads', () => {
    const pkg = JSON.parse(readFileSync(new URL('package.json', repo), 'utf8')) as { engines: { node: string } };
    expect(pkg.engines.node).toBe(`>=${MINIMUM_NODE_VERSION}`);
    expect(readFileSync(new URL('bin/warden', repo), 'utf8')).toContain('pkg.engines.node');
  });

  const systemNode = '/usr/bin/node';
  const older = existsSync(systemNode) ? spawnSync(systemNode, ['-p', 'process.versions.node'], { encoding: 'utf8' }).stdout.trim() : '';
  it.skipIf(older === '' || nodeVersionAtLeast(older))(`makes the CLI on an older Node (${systemNode} ${older}) say so in one line, exit 2`, () => {
    const r = spawnSync(systemNode, [new URL('bin/warden', repo).pathname, '--help'], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      `warden needs Node.js ${MINIMUM_NODE_VERSION} or newer (this is v${older}). Run it with 'npx warden', which uses the Node 24 installed with the project.\n`,
    );
  });
});
