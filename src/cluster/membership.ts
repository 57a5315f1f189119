/**
 * Membership: the rows of `warden_cluster_nodes` and the two writes that change them.
 *
 * - A node heartbeats by writing `heartbeat_at` (its clock) and its summary, only while its row
 *   is still `alive`: a heartbeat that finds it `dead` tells the node it was declared dead.
 * - A survivor declares a quiet node dead with one conditional `UPDATE ... WHERE status =
 *   'alive' AND heartbeat_at + dead_after_ms < now`. Postgres locks the row for the first
 *   updater; a second survivor's update waits, re-reads the row (now `dead`) and changes nothing.
 *   So each death is declared once, by one node, which also frees the dead node's budget
 *   reservations and breaker probe slots in the same transaction.
 *
 * A node's liveness as shown: `alive`; `overdue` (quiet past its `deadAfterMs`, not yet
 * declared); `dead`; `left` (it called `leave()`).
 */
import type { Json } from '../store/index.ts';
import type { SqlAccess, SqlConn } from '../store/internal.ts';

export type NodeStatus = 'alive' | 'left' | 'dead';
export type NodeLiveness = 'alive' | 'overdue' | 'dead' | 'left';

/** One node as the store records it. Times are clock ms. */
export interface ClusterNode {
  readonly id: string;
  readonly name: string;
  readonly host: string;
  readonly pid: number;
  readonly startedAt: number;
  readonly heartbeatAt: number;
  readonly deadAfterMs: number;
  readonly status: NodeStatus;
  readonly liveness: NodeLiveness;
  /** Since when it has been what `liveness` says: its start while alive (or overdue), else when it left or was declared dead. */
  readonly since: number;
  /** With `dead`: the node that declared it. */
  readonly declaredBy?: string;
  /** What the node last reported running (its `summary` option), or null. */
  readonly summary: Json;
}

interface NodeRow {
  id: string;
  name: string;
  host: string;
  pid: number | string;
  started_at: number | string;
  heartbeat_at: number | string;
  dead_after_ms: number | string;
  status: NodeStatus;
  status_at: number | string | null;
  declared_by: string | null;
  summary: string;
}

/** Every node that has joined, oldest first, with its liveness at `now`. */
export async function readNodes(sql: SqlAccess, now: number): Promise<ClusterNode[]> {
  const rows = await sql.read<NodeRow>('SELECT * FROM warden_cluster_nodes ORDER BY started_at, name, id');
  return rows.map((r) => {
    const heartbeatAt = Number(r.heartbeat_at);
    const deadAfterMs = Number(r.dead_after_ms);
    const liveness: NodeLiveness = r.status !== 'alive' ? r.status : heartbeatAt + deadAfterMs < now ? 'overdue' : 'alive';
    return {
      id: r.id,
      name: r.name,
      host: r.host,
      pid: Number(r.pid),
      startedAt: Number(r.started_at),
      heartbeatAt,
      deadAfterMs,
      status: r.status,
      liveness,
      since: r.status === 'alive' ? Number(r.started_at) : Number(r.status_at),
      ...(r.declared_by === null ? {} : { declaredBy: r.declared_by }),
      summary: parseSummary(r.summary),
    };
  });
}

function parseSummary(text: string): Json {
  try {
    return JSON.parse(text) as Json;
  } catch {
    return null;
  }
}

export interface NodeRegistration {
  readonly id: string;
  readonly name: string;
  readonly host: string;
  readonly pid: number;
  readonly now: number;
  readonly deadAfterMs: number;
  readonly summary: Json;
}

export async function registerNode(sql: SqlAccess, n: NodeRegistration): Promise<void> {
  await sql.transaction((c) =>
    c.run(
      `INSERT INTO warden_cluster_nodes (id, name, host, pid, started_at, heartbeat_at, dead_after_ms, status, summary)
       VALUES (?, ?, ?, ?, ?, ?, ?, 'alive', ?)`,
      [n.id, n.name, n.host, n.pid, n.now, n.now, n.deadAfterMs, JSON.stringify(n.summary)],
    ),
  );
}

/** Write a heartbeat; false when the node is no longer `alive` (declared dead, or it left). */
export async function writeHeartbeat(sql: SqlAccess, id: string, now: number, summary: Json): Promise<boolean> {
  const rows = await sql.read<{ id: string }>("UPDATE warden_cluster_nodes SET heartbeat_at = ?, summary = ? WHERE id = ? AND status = 'alive' RETURNING id", [
    now,
    JSON.stringify(summary),
    id,
  ]);
  return rows.length === 1;
}

export async function markLeft(sql: SqlAccess, id: string, now: number): Promise<void> {
  await sql.read("UPDATE warden_cluster_nodes SET status = 'left', status_at = ? WHERE id = ? AND status = 'alive'", [now, id]);
}

/** A node this survivor declared dead. */
export interface DeclaredDead {
  readonly id: string;
  readonly name: string;
  readonly lastHeartbeatAt: number;
}

/** Declare dead every node (but `self`) quiet past its `deadAfterMs` at `now`, freeing what it held; see the module comment. */
export async function declareDead(sql: SqlAccess, self: string, now: number): Promise<DeclaredDead[]> {
  return sql.transaction(async (c) => {
    const dead = await c.all<{ id: string; name: string; heartbeat_at: number | string }>(
      `UPDATE warden_cluster_nodes SET status = 'dead', status_at = ?, declared_by = ?
       WHERE status = 'alive' AND id <> ? AND heartbeat_at + dead_after_ms < ?
       RETURNING id, name, heartbeat_at`,
      [now, self, self, now],
    );
    for (const d of dead) await freeHeldBy(c, d.id);
    return dead.map((d) => ({ id: d.id, name: d.name, lastHeartbeatAt: Number(d.heartbeat_at) }));
  });
}

/** Free a gone node's budget reservations (its estimates leave the scopes' reserved totals) and its probe slots. */
async function freeHeldBy(c: SqlConn, node: string): Promise<void> {
  await c.run(
    `WITH d AS (DELETE FROM warden_cluster_budget_reservations WHERE node = ? RETURNING scope, usd, tokens, steps),
          s AS (SELECT scope, SUM(usd) AS usd, SUM(tokens) AS tokens, SUM(steps) AS steps FROM d GROUP BY scope)
     UPDATE warden_cluster_budgets b
        SET reserved_usd = b.reserved_usd - s.usd, reserved_tokens = b.reserved_tokens - s.tokens, reserved_steps = b.reserved_steps - s.steps
       FROM s WHERE b.scope = s.scope`,
    [node],
  );
  await c.run('DELETE FROM warden_cluster_breaker_probes WHERE node = ?', [node]);
}
