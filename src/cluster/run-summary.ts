/**
 * A node's summary of what it runs, for `joinCluster({ summary })`: the durable runs a host
 * holds, read from the run leases in the store (a run `running` under the host's owner name
 * with a lease not yet expired; see src/durable/run-leases.ts).
 */
import { realClock, type Clock } from '../runtime/index.ts';
import type { Json, Store } from '../store/index.ts';

/** At most this many run ids are listed in a summary (the count is always whole). */
const LISTED = 20;

/**
 * A `summary` function reporting the runs `owner` (a durable host's owner name) holds:
 * `{ runs: <count>, runIds: [...first 20], names: { <run name>: <count> } }`.
 */
export function heldRunsSummary(store: Store, owner: string, clock: Clock = realClock): () => Promise<Json> {
  return async () => {
    const now = clock.now();
    const held = (await store.listRuns({ status: 'running' })).filter((r) => r.owner === owner && (r.leaseExpiresAt ?? 0) > now);
    const names: Record<string, number> = {};
    for (const r of held) names[r.name] = (names[r.name] ?? 0) + 1;
    return { runs: held.length, runIds: held.slice(0, LISTED).map((r) => r.id), names };
  };
}
