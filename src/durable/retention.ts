/**
 * Retention of finished runs: once a run has been finished for `keepFinishedMs`, its journal is
 * folded into one archived value on the run row (`archive`), or the run is deleted with its
 * journal and effect rows (`delete`). Only runs whose status the policy names are touched:
 * by default `completed` and `cancelled`.
 */
import type { Clock } from '../runtime/index.ts';
import type { RunStatus, RunStore } from '../store/index.ts';

/** Compaction of finished runs. */
export interface RetentionPolicy {
  /** Compact runs this long after they finished, ms. */
  readonly keepFinishedMs: number;
  /** @default ['completed', 'cancelled'] */
  readonly statuses?: readonly RunStatus[];
  /** `archive` keeps the run row with its journal folded into one value; `delete` removes it. @default 'archive' */
  readonly mode?: 'archive' | 'delete';
}

/** Apply `policy` now; returns how many runs were compacted. */
export function compactFinishedRuns(store: RunStore, clock: Clock, policy: RetentionPolicy): Promise<number> {
  return store.compactRuns({
    finishedBefore: clock.now() - policy.keepFinishedMs,
    statuses: policy.statuses ?? ['completed', 'cancelled'],
    mode: policy.mode ?? 'archive',
    at: clock.now(),
  });
}
