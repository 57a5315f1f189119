/**
 * `warden cluster status` against a real Postgres: two nodes alive (one reporting the runs it
 * holds), one that left, a shared breaker opened and a shared budget spent, as a table and as
 * JSON; a SQLite store and an unreachable server refused in one line, exit status 1.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { joinCluster, type Cluster } from '../src/cluster/index.ts';
import { withStores, type TestStore } from '../src/testing/index.ts';
import { runCli } from './support/cli-harness.ts';

const pg = withStores().find((c) => c.kind === 'postgres')!;

describe('warden cluster status', () => {
  it('refuses a SQLite store: the cluster needs Postgres', async () => {
    const db = join(mkdtempSync(join(tmpdir(), 'warden-cluster-cli-')), 'w.db');
    const r = await runCli(['cluster', 'status', '--db', db]);
    expect(r.code).toBe(1);
    expect(r.err).toBe(`warden cluster: the cluster needs Postgres: ${db} is a SQLite file; pass --db postgres://... or set WARDEN_DATABASE_URL\n`);
  });

  it('says so when no Postgres answers', async () => {
    const r = await runCli(['cluster', 'status', '--db', 'postgres://postgres@127.0.0.1:1/none', '--db-timeout-ms', '3000']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^warden cluster: .*cannot reach the database/);
  });

  describe.skipIf(pg.skip)('on Postgres', () => {
    let t: TestStore;
    const nodes: Cluster[] = [];
    afterEach(async () => {
      for (const n of nodes.splice(0)) await n.leave();
      await t.cleanup();
    });

    it('lists the nodes with their liveness and what they run, then shared breakers and budgets', async () => {
      t = await pg.open();
      const db = `${t.location.db}${t.location.db.includes('?') ? '&' : '?'}options=-c%20search_path%3D${t.location.schema}`;
      const options = { store: t.store, heartbeatMs: 60_000, deadAfterMs: 120_000 };
      const alpha = await joinCluster({ ...options, name: 'alpha', summary: () => ({ runs: 2, runIds: ['r1', 'r2'], names: { report: 2 } }) });
      const beta = await joinCluster({ ...options, name: 'beta' });
      const gone = await joinCluster({ ...options, name: 'gamma' });
      nodes.push(alpha, beta);
      await gone.leave();
      const breaker = alpha.breaker({ name: 'openai', trip: { kind: 'consecutive', failures: 1 }, isFailure: () => true });
      await breaker.execute(() => Promise.reject(new Error('529'))).catch(() => undefined);
      await beta.budget({ scope: 'global', limits: { usd: 10 } }).run(async () => 'ok', { estimate: { usd: 0.25 } });
      await alpha.heartbeat(); // a heartbeat writes after the breaker's row, so every row is there below

      const table = await runCli(['cluster', 'status', '--db', db]);
      expect(table.err).toBe('');
      expect(table.code).toBe(0);
      const lines = table.out.split('\n');
      expect(lines[0]).toMatch(/^NAME\s+ID\s+LIVENESS\s+SINCE\s+HEARTBEAT\s+HOST\s+RUNNING/);
      expect(lines.find((l) => l.startsWith('alpha'))).toMatch(new RegExp(`^alpha\\s+${alpha.node.id}\\s+alive\\s+.*\\s+2 runs$`));
      expect(lines.find((l) => l.startsWith('beta'))).toMatch(/^beta\s+\w+\s+alive\s+.*:\d+\s+-$/);
      expect(lines.find((l) => l.startsWith('gamma'))).toMatch(/^gamma\s+\w+\s+left\s/);
      expect(lines.find((l) => l.startsWith('openai'))).toMatch(/^openai\s+open\s+\d{4}-/);
      expect(lines.find((l) => l.startsWith('global'))).toMatch(/^global\s+0\.25\s+0\s+1\s+0$/);

      const json = await runCli(['cluster', 'status', '--db', db, '--json']);
      expect(json.code).toBe(0);
      const status = JSON.parse(json.out);
      expect(status.nodes.map((n: { name: string; liveness: string }) => [n.name, n.liveness])).toEqual([
        ['alpha', 'alive'],
        ['beta', 'alive'],
        ['gamma', 'left'],
      ]);
      expect(status.nodes[0].summary).toEqual({ runs: 2, runIds: ['r1', 'r2'], names: { report: 2 } });
      expect(status.breakers).toMatchObject([{ name: 'openai', state: { kind: 'open' }, updatedBy: alpha.node.id }]);
      expect(status.budgets).toEqual([{ scope: 'global', spent: { usd: 0.25, tokens: 0, steps: 1 }, reserved: { usd: 0, tokens: 0, steps: 0 } }]);
    });
  });
});
