/**
 * The cluster's tables in the store (Postgres), owned by this layer (`defineLayerTables`):
 *
 * - `warden_cluster_nodes`: one row per node that ever joined: its heartbeat, how long it may
 *   go quiet before it is declared dead (its own `deadAfterMs`), its status (`alive`, `left`,
 *   `dead`), when that status began and which node declared it dead, and the summary it reports.
 * - `warden_cluster_breakers`: the shared state of each breaker (a JSON `BreakerState`) and its
 *   version, bumped by every published transition: the order every node adopts them in.
 * - `warden_cluster_breaker_probes`: half-open probe slots taken, one row per running probe.
 * - `warden_cluster_budgets` / `..._budget_reservations`: per budget scope the committed spend
 *   and the estimates held by calls in flight, one reservation row per call (so a dead node's
 *   reservations are found and freed).
 * - `warden_cluster_messages`: pub/sub payloads too large for a `NOTIFY`, kept for a while.
 *
 * Work distribution (a queue of runs claimed with `SKIP LOCKED`) and singletons (session
 * advisory locks, no table) come as later migrations; a released migration is never edited.
 */
import { defineLayerTables } from '../store/internal.ts';

const money = 'DOUBLE PRECISION NOT NULL DEFAULT 0';

export const CLUSTER_TABLES = defineLayerTables({
  layer: 'cluster',
  migrations: [
    {
      version: 1,
      description: 'nodes, shared breakers and probe slots, shared budgets and reservations, large pub/sub messages',
      sql: () => [
        `CREATE TABLE warden_cluster_nodes (
          id TEXT PRIMARY KEY,
          name TEXT NOT NULL,
          host TEXT NOT NULL,
          pid INTEGER NOT NULL,
          started_at BIGINT NOT NULL,
          heartbeat_at BIGINT NOT NULL,
          dead_after_ms BIGINT NOT NULL,
          status TEXT NOT NULL,
          status_at BIGINT,
          declared_by TEXT,
          summary TEXT NOT NULL DEFAULT 'null'
        )`,
        'CREATE INDEX warden_cluster_nodes_alive ON warden_cluster_nodes (status, heartbeat_at)',
        `CREATE TABLE warden_cluster_breakers (
          name TEXT PRIMARY KEY,
          version BIGINT NOT NULL,
          state TEXT NOT NULL,
          updated_by TEXT NOT NULL,
          updated_at BIGINT NOT NULL
        )`,
        `CREATE TABLE warden_cluster_breaker_probes (
          id TEXT PRIMARY KEY,
          breaker TEXT NOT NULL,
          node TEXT NOT NULL,
          taken_at BIGINT NOT NULL
        )`,
        'CREATE INDEX warden_cluster_breaker_probes_breaker ON warden_cluster_breaker_probes (breaker)',
        'CREATE INDEX warden_cluster_breaker_probes_node ON warden_cluster_breaker_probes (node)',
        `CREATE TABLE warden_cluster_budgets (
          scope TEXT PRIMARY KEY,
          spent_usd ${money}, spent_tokens ${money}, spent_steps ${money},
          reserved_usd ${money}, reserved_tokens ${money}, reserved_steps ${money},
          updated_at BIGINT NOT NULL
        )`,
        `CREATE TABLE warden_cluster_budget_reservations (
          id TEXT PRIMARY KEY,
          scope TEXT NOT NULL,
          node TEXT NOT NULL,
          usd DOUBLE PRECISION NOT NULL, tokens DOUBLE PRECISION NOT NULL, steps DOUBLE PRECISION NOT NULL,
          reserved_at BIGINT NOT NULL
        )`,
        'CREATE INDEX warden_cluster_budget_reservations_node ON warden_cluster_budget_reservations (node)',
        `CREATE TABLE warden_cluster_messages (
          id TEXT PRIMARY KEY,
          topic TEXT NOT NULL,
          payload TEXT NOT NULL,
          published_at BIGINT NOT NULL
        )`,
        'CREATE INDEX warden_cluster_messages_published ON warden_cluster_messages (published_at)',
      ],
    },
  ],
});
