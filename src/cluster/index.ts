/**
 * Warden's cluster (`warden/cluster`): many nodes, on one machine or many, sharing one Postgres
 * database. What exists now: membership with heartbeats and dead-node detection, circuit
 * breakers and budgets shared by every node, and pub/sub across nodes. Distributing queued runs,
 * cluster singletons and the `cluster-demo` command are not built yet (see docs/cluster.md).
 *
 * ```ts
 * import { joinCluster } from 'warden/cluster';
 * import { openStore } from 'warden/store';
 *
 * const store = await openStore({ db: 'postgres://postgres@127.0.0.1:5432/test' });
 * const cluster = await joinCluster({ store, name: 'worker-1' });
 * const openai = cluster.breaker({ name: 'openai' });          // opened here, refused everywhere
 * const spend = cluster.budget({ scope: 'global', limits: { usd: 50 } });
 * const answer = await spend.run(() => openai.execute(async () => 'hi'), { estimate: { usd: 0.02 } });
 * const sub = cluster.pubsub.subscribe('deploys', (payload, { from }) => console.log(from, payload));
 * await cluster.pubsub.publish('deploys', { version: 42 });
 * console.log(answer, await cluster.nodes());
 * sub.dispose();
 * await cluster.leave();
 * await store.close();
 * ```
 *
 * Without a cluster nothing changes: a `CircuitBreaker`, a `Budget` and an `InProcessPubSub`
 * work per process, as they always have. Errors: `ClusterNeedsPostgresError` (a SQLite store),
 * `InvalidSpecError` (a bad option, named), and the store's when the database is unreachable.
 */
import './events.ts';

export { joinCluster, Cluster } from './cluster.ts';
export { CLUSTER_DEFAULTS } from './options.ts';
export type { ClusterOptions } from './options.ts';
export { ClusterNeedsPostgresError } from './errors.ts';
export type { ClusterNode, NodeLiveness, NodeStatus, DeclaredDead } from './membership.ts';
export { InProcessPubSub, ClusterPubSub } from './pubsub.ts';
export type { PubSub, Subscriber, MessageInfo } from './pubsub.ts';
export type { SharedBudgets, SharedSpend } from './shared-budget.ts';
export { heldRunsSummary } from './run-summary.ts';
export { clusterStatus } from './status.ts';
export type { ClusterStatus } from './status.ts';
