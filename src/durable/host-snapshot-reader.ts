/**
 * Reading what hosts published (host-snapshot-publisher.ts): every host's latest snapshot, each
 * marked `stale` when it is older than three of its intervals (the host stopped without saying
 * so: killed, or cut off from the store), and the samples behind the restarts and spend plots.
 * Opening the reader creates the host tables on a store that has none yet (they are then empty).
 */
import type { Store } from '../store/index.ts';
import type { HostSnapshot } from './host-snapshot.ts';
import { hostTables } from './host-snapshot-tables.ts';

/** A published snapshot as a reader sees it. */
export interface HostSnapshotView extends HostSnapshot {
  /** Older than 3 intervals at the time of reading, and not stopped on purpose. */
  readonly stale: boolean;
}

export interface HostSample {
  readonly host: string;
  readonly at: number;
  /** Restarts seen in the interval that ended at `at`. */
  readonly restarts: number;
  /** What the host's top-level budgets had spent by `at`. */
  readonly spendUsd: number;
  readonly tokens: number;
}

/** Every host's latest snapshot, by host name; `now` (clock ms) decides which are stale. */
export async function readHostSnapshots(store: Store, now: number): Promise<readonly HostSnapshotView[]> {
  const sql = await hostTables(store);
  const rows = await sql.read<{ snapshot: string }>('SELECT snapshot FROM warden_host_snapshots ORDER BY host');
  return rows.map((r) => {
    const s = JSON.parse(r.snapshot) as HostSnapshot;
    return { ...s, stale: !s.stopped && now - s.publishedAt > 3 * s.intervalMs };
  });
}

/** Samples at or after `since` (clock ms), oldest first; at most `limit` (default 5000, the newest kept). */
export async function readHostSamples(
  store: Store,
  options: { readonly since: number; readonly host?: string; readonly limit?: number },
): Promise<readonly HostSample[]> {
  const sql = await hostTables(store);
  const params: unknown[] = [options.since];
  const byHost = options.host === undefined ? '' : ' AND host = ?';
  if (options.host !== undefined) params.push(options.host);
  const rows = await sql.read<Record<string, unknown>>(
    `SELECT host, at, restarts, spend_usd, tokens FROM warden_host_samples WHERE at >= ?${byHost} ORDER BY at DESC, host LIMIT ?`,
    [...params, options.limit ?? 5000],
  );
  return rows
    .map((r) => ({ host: String(r.host), at: Number(r.at), restarts: Number(r.restarts), spendUsd: Number(r.spend_usd), tokens: Number(r.tokens) }))
    .reverse();
}

/** The newest `published_at` of any host (0 when none): a cheap test for "did anything publish". */
export async function lastHostPublish(store: Store): Promise<number> {
  const sql = await hostTables(store);
  const rows = await sql.read<{ last: unknown }>('SELECT MAX(published_at) AS last FROM warden_host_snapshots');
  return rows[0]?.last == null ? 0 : Number(rows[0].last);
}
