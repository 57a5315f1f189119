/**
 * The cluster as the store records it, for `warden cluster status` and dashboards: every node
 * with its liveness, every shared breaker's state and every shared budget's totals. Reading it
 * opens the cluster's tables (creating them, empty, in a store no node has joined yet).
 */
import type { BreakerState } from '../resilience/index.ts';
import type { Store } from '../store/index.ts';
import { clusterTablesOf } from './cluster.ts';
import { readNodes, type ClusterNode } from './membership.ts';
import type { SharedSpend } from './shared-budget.ts';

export interface ClusterStatus {
  readonly nodes: readonly ClusterNode[];
  readonly breakers: readonly { readonly name: string; readonly state: BreakerState; readonly updatedBy: string; readonly updatedAt: number }[];
  readonly budgets: readonly SharedSpend[];
}

/** Read the cluster in `store` (Postgres; else `ClusterNeedsPostgresError`), liveness judged at `now`. */
export async function clusterStatus(store: Store, now: number): Promise<ClusterStatus> {
  const sql = await clusterTablesOf(store);
  const nodes = await readNodes(sql, now);
  const breakers = await sql.read<{ name: string; state: string; updated_by: string; updated_at: string | number }>(
    "SELECT name, state, updated_by, updated_at FROM warden_cluster_breakers WHERE state <> 'null' ORDER BY name",
  );
  const budgets = await sql.read<Record<string, string | number>>('SELECT * FROM warden_cluster_budgets ORDER BY scope');
  const n = (v: string | number | undefined) => Number(v ?? 0);
  return {
    nodes,
    breakers: breakers.map((b) => ({ name: b.name, state: JSON.parse(b.state) as BreakerState, updatedBy: b.updated_by, updatedAt: Number(b.updated_at) })),
    budgets: budgets.map((b) => ({
      scope: String(b.scope),
      spent: { usd: n(b.spent_usd), tokens: n(b.spent_tokens), steps: n(b.spent_steps) },
      reserved: { usd: n(b.reserved_usd), tokens: n(b.reserved_tokens), steps: n(b.reserved_steps) },
    })),
  };
}
