/**
 * `joinCluster`'s options, their defaults and their checks: a bad one is refused with
 * `InvalidSpecError` naming the field and the value (`cluster: deadAfterMs must be >= 2 x
 * heartbeatMs`), before anything is written.
 */
import { z } from 'zod';
import { hostname } from 'node:os';
import { parseWith } from '../resilience/index.ts';
import type { Clock, EventBus } from '../runtime/index.ts';
import type { Json, Store } from '../store/index.ts';

export interface ClusterOptions {
  /** The store the cluster lives in: a Postgres one (`openStore({ db: 'postgres://...' })`). */
  readonly store: Store;
  /** This node's name, shown by `warden cluster status`. @default `<hostname>:<pid>` */
  readonly name?: string;
  /** How often this node heartbeats (and looks for dead nodes), ms. @default 2_000 */
  readonly heartbeatMs?: number;
  /** Declare this node dead once it has not heartbeaten for this long, ms; at least 2 x `heartbeatMs`. @default 10_000 */
  readonly deadAfterMs?: number;
  /** How often shared breaker states are re-read, in case a notification was missed, ms. @default 1_000 */
  readonly pollMs?: number;
  /** How long a pub/sub message too large for a notification is kept for its receivers, ms. @default 60_000 */
  readonly messageRetainMs?: number;
  /** What this node runs, reported with each heartbeat (see `heldRunsSummary`). @default none (null) */
  readonly summary?: () => Json | Promise<Json>;
  /** Clock for heartbeats and every timestamp. @default realClock */
  readonly clock?: Clock;
  /** Where the cluster's events go. @default none */
  readonly bus?: EventBus;
}

export const CLUSTER_DEFAULTS = Object.freeze({ heartbeatMs: 2_000, deadAfterMs: 10_000, pollMs: 1_000, messageRetainMs: 60_000 });

const positiveMs = z.number().gt(0).finite();
const isFn = (v: unknown): boolean => typeof v === 'function';
const hasMethods =
  (...names: string[]) =>
  (v: unknown): boolean =>
    typeof v === 'object' && v !== null && names.every((n) => typeof (v as Record<string, unknown>)[n] === 'function');

const schema = z
  .strictObject({
    store: z.custom<Store>((v) => typeof v === 'object' && v !== null && typeof (v as Store).info === 'object', {
      message: 'must be a store opened by openStore',
    }),
    name: z.string().min(1).max(200).optional(),
    heartbeatMs: positiveMs.default(CLUSTER_DEFAULTS.heartbeatMs),
    deadAfterMs: positiveMs.default(CLUSTER_DEFAULTS.deadAfterMs),
    pollMs: positiveMs.default(CLUSTER_DEFAULTS.pollMs),
    messageRetainMs: positiveMs.default(CLUSTER_DEFAULTS.messageRetainMs),
    summary: z.custom<() => Json | Promise<Json>>(isFn, { message: 'must be a function' }).optional(),
    clock: z.custom<Clock>(hasMethods('now', 'setTimer', 'sleep'), { message: 'must be a Clock (now, setTimer, sleep)' }).optional(),
    bus: z.custom<EventBus>(hasMethods('emit', 'wants'), { message: 'must be an EventBus' }).optional(),
  })
  .superRefine((o, ctx) => {
    if (o.deadAfterMs < 2 * o.heartbeatMs) {
      ctx.addIssue({ code: 'custom', path: ['deadAfterMs'], message: `must be >= 2 x heartbeatMs (${2 * o.heartbeatMs})` });
    }
  });

export type CheckedClusterOptions = z.output<typeof schema> & { readonly name: string };

export function checkClusterOptions(options: ClusterOptions): CheckedClusterOptions {
  const o = parseWith('cluster', schema, options);
  return { ...o, name: o.name ?? `${hostname()}:${process.pid}` };
}
