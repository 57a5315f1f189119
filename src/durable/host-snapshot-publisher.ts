/**
 * `publishHostSnapshots`: a host publishes its snapshot (host-snapshot.ts) to the store every
 * `intervalMs` on its clock, and a sample (restarts in the interval, spend so far) beside it, so
 * the dashboard and other nodes see every running host without reaching into its process.
 *
 * - One publish at a time: the next is armed once the previous is written, so a slow store
 *   delays publishing, never piles it up.
 * - A publish that fails (the store is down, a tree does not answer) is reported as
 *   `host.snapshot_failed` and tried again at the next interval; it never throws into the host.
 * - `stop()` publishes a last snapshot marked `stopped`, so readers tell a host that stopped
 *   from one that vanished (whose snapshot only grows stale).
 * - Samples older than `sampleRetentionMs` are removed as new ones are written.
 */
import { z } from 'zod';
import { InvalidSpecError, realClock, type Clock, type EventBus, type Timer } from '../runtime/index.ts';
import { parseWith } from '../runtime/internal.ts';
import type { Store } from '../store/index.ts';
import { takeHostSnapshot, RestartCounter, type HostSnapshot, type SnapshotSources } from './host-snapshot.ts';
import { hostTables } from './host-snapshot-tables.ts';

export interface HostSnapshotOptions extends SnapshotSources {
  readonly store: Store;
  /** This host's name, unique among the hosts publishing to the store (a `DurableHost`'s `owner`, say). */
  readonly host: string;
  /** @default 2000 */
  readonly intervalMs?: number;
  /** Keep samples this long. @default 86_400_000 (a day) */
  readonly sampleRetentionMs?: number;
  /** @default the runtime's clock, else the real clock */
  readonly clock?: Clock;
  /** Where `host.snapshot_failed` goes, and the restarts are counted from. @default the runtime's events */
  readonly events?: EventBus;
}

export const HOST_SNAPSHOT_DEFAULTS = Object.freeze({ intervalMs: 2000, sampleRetentionMs: 86_400_000 });

export interface HostSnapshotPublisher {
  readonly host: string;
  /** Publish now (also what each interval does); resolves with what was written. */
  publishNow(): Promise<HostSnapshot>;
  /** Stop publishing, after a last snapshot marked `stopped`. Idempotent. */
  stop(): Promise<void>;
}

const optionsSchema = z.object({
  host: z.string().trim().min(1, 'must not be empty').max(200, 'must be at most 200 characters'),
  intervalMs: z.number().int().min(10).optional(),
  sampleRetentionMs: z.number().int().min(1).optional(),
  trees: z.array(z.object({ name: z.string().min(1), supervisor: z.any() })).optional(),
  breakers: z.array(z.any()).optional(),
  budgets: z.array(z.any()).optional(),
});

/**
 * Start publishing this host's snapshot: once now (resolving after it is written, so a bad store
 * fails here), then every `intervalMs`. Throws `InvalidSpecError` naming a bad option.
 *
 * ```ts
 * const publisher = await publishHostSnapshots({ store, host: 'worker-1', runtime: rt, trees: [{ name: 'app', supervisor: root }], breakers: [openai] });
 * // ...
 * await publisher.stop();
 * ```
 */
export async function publishHostSnapshots(options: HostSnapshotOptions): Promise<HostSnapshotPublisher> {
  const checked = parseWith(`host snapshots of "${String(options.host)}"`, optionsSchema, options);
  if ((options.trees?.length ?? 0) > 0 && options.runtime === undefined) {
    throw new InvalidSpecError(`host snapshots of "${checked.host}"`, 'runtime', undefined, 'is required with trees');
  }
  const intervalMs = checked.intervalMs ?? HOST_SNAPSHOT_DEFAULTS.intervalMs;
  const retentionMs = checked.sampleRetentionMs ?? HOST_SNAPSHOT_DEFAULTS.sampleRetentionMs;
  const clock = options.clock ?? options.runtime?.clock ?? realClock;
  const events = options.events ?? options.runtime?.events;
  const sql = await hostTables(options.store);
  const restarts = new RestartCounter(events);
  const startedAt = clock.now();
  let restartsSampled = 0;
  let timer: Timer | undefined;
  let stopped = false;
  let inFlight: Promise<HostSnapshot> | undefined;

  const write = async (stopping: boolean): Promise<HostSnapshot> => {
    const snapshot = await takeHostSnapshot(options, restarts, { host: checked.host, publishedAt: clock.now(), startedAt, intervalMs, stopped: stopping });
    const restartsNow = snapshot.restarts.total;
    const top = snapshot.budgets.filter((b) => !snapshot.budgets.some((o) => o !== b && b.scope.startsWith(`${o.scope}/`)));
    const spendUsd = top.reduce((sum, b) => sum + b.spent.usd, 0);
    const tokens = top.reduce((sum, b) => sum + b.spent.tokens, 0);
    await sql.transaction(async (c) => {
      await c.run(
        'INSERT INTO warden_host_snapshots (host, published_at, snapshot) VALUES (?, ?, ?) ON CONFLICT (host) DO UPDATE SET published_at = excluded.published_at, snapshot = excluded.snapshot',
        [snapshot.host, snapshot.publishedAt, JSON.stringify(snapshot)],
      );
      await c.run(
        'INSERT INTO warden_host_samples (host, at, restarts, spend_usd, tokens) VALUES (?, ?, ?, ?, ?) ON CONFLICT (host, at) DO UPDATE SET restarts = excluded.restarts, spend_usd = excluded.spend_usd, tokens = excluded.tokens',
        [snapshot.host, snapshot.publishedAt, restartsNow - restartsSampled, spendUsd, tokens],
      );
      await c.run('DELETE FROM warden_host_samples WHERE host = ? AND at < ?', [snapshot.host, snapshot.publishedAt - retentionMs]);
    });
    restartsSampled = restartsNow;
    return snapshot;
  };

  const publishNow = (stopping = false): Promise<HostSnapshot> => {
    const next = (inFlight ?? Promise.resolve(undefined)).catch(() => undefined).then(() => write(stopping));
    inFlight = next;
    return next;
  };

  const tick = (): void => {
    timer = undefined;
    if (stopped) return;
    publishNow()
      .catch((error: unknown) => {
        if (events?.wants('host.snapshot_failed')) events.emit({ type: 'host.snapshot_failed', host: checked.host, error });
      })
      .finally(() => {
        if (!stopped) timer = clock.setTimer(intervalMs, tick);
      });
  };

  await publishNow();
  timer = clock.setTimer(intervalMs, tick);

  return {
    host: checked.host,
    publishNow: () => publishNow(),
    async stop() {
      if (stopped) return;
      stopped = true;
      timer?.cancel();
      try {
        await publishNow(true);
      } finally {
        restarts.dispose();
      }
    },
  };
}
