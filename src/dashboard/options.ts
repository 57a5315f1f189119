/**
 * The dashboard's options, their defaults in one place, and their check: a bad value throws
 * `InvalidSpecError` naming the option before anything listens. Listening off loopback is
 * allowed (every request needs the token anyway), but the token must then be long enough to
 * stand on its own.
 */
import { z } from 'zod';
import type { Clock, EventBus } from '../runtime/index.ts';
import { parseWith } from '../runtime/internal.ts';
import type { Json, Store } from '../store/index.ts';

/**
 * Views the dashboard shows when another layer supplies them, read from the store: each hook
 * returns plain JSON (an array of rows, or an object), or throws to show the error in place.
 */
export interface DashboardProviders {
  /** Schedules and their slots (the scheduler layer's view of the store). */
  readonly schedules?: (store: Store) => Promise<Json>;
  /** A health report beside what the hosts publish in their snapshots. */
  readonly health?: (store: Store) => Promise<Json>;
  /** Alert events, newest first. */
  readonly alerts?: (store: Store) => Promise<Json>;
}

export interface DashboardOptions {
  readonly store: Store;
  /** 0 picks a free port. @default 0 */
  readonly port?: number;
  /** The address to listen on. @default '127.0.0.1' */
  readonly host?: string;
  /** The access token (at least 16 characters, URL-safe). @default 32 random bytes, base64url */
  readonly token?: string;
  /** How often the page's data is checked for changes while a page is open, ms. @default 500 */
  readonly pollMs?: number;
  /** Rows a list answers at most when the request does not say. @default 100 */
  readonly pageSize?: number;
  /** How far back the restarts and spend plots go, ms. @default 3_600_000 (an hour) */
  readonly plotWindowMs?: number;
  readonly providers?: DashboardProviders;
  /** @default the real clock */
  readonly clock?: Clock;
  /** Where the dashboard's decisions and replays are reported (`approval.decided`, `dlq.discarded`). */
  readonly events?: EventBus;
}

export const DASHBOARD_DEFAULTS = Object.freeze({ port: 0, host: '127.0.0.1', pollMs: 500, pageSize: 100, plotWindowMs: 3_600_000 });

/** Shortest token accepted. */
export const MIN_DASHBOARD_TOKEN_LENGTH = 16;

const schema = z.object({
  port: z.number().int().min(0).max(65_535).optional(),
  host: z.string().min(1, 'must not be empty').optional(),
  token: z
    .string()
    .min(MIN_DASHBOARD_TOKEN_LENGTH, `must have at least ${MIN_DASHBOARD_TOKEN_LENGTH} characters`)
    .regex(/^[A-Za-z0-9._~-]+$/, 'must be URL-safe: letters, digits and . _ ~ -')
    .optional(),
  pollMs: z.number().int().min(10).optional(),
  pageSize: z.number().int().min(1).max(10_000).optional(),
  plotWindowMs: z.number().int().min(1000).optional(),
});

export interface ResolvedDashboardOptions {
  readonly port: number;
  readonly host: string;
  readonly token: string | undefined;
  readonly pollMs: number;
  readonly pageSize: number;
  readonly plotWindowMs: number;
}

/** Check the options and fill in the defaults; throws `InvalidSpecError` naming a bad one. */
export function resolveDashboardOptions(options: DashboardOptions): ResolvedDashboardOptions {
  const o = parseWith('dashboard', schema, options);
  return Object.freeze({
    port: o.port ?? DASHBOARD_DEFAULTS.port,
    host: o.host ?? DASHBOARD_DEFAULTS.host,
    token: o.token,
    pollMs: o.pollMs ?? DASHBOARD_DEFAULTS.pollMs,
    pageSize: o.pageSize ?? DASHBOARD_DEFAULTS.pageSize,
    plotWindowMs: o.plotWindowMs ?? DASHBOARD_DEFAULTS.plotWindowMs,
  });
}
