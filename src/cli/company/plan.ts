/**
 * The company's seeded trouble: which provider faults hit which runs, which agent crashes when,
 * when the memory server is killed, and when the whole host goes down (and for how long). It is
 * a pure function of the seed and the number of days, drawn from the runtime's seeded generator,
 * so one seed gives one week, fault for fault.
 *
 * Faults are aimed at a run by the tag its task carries (`[daily-post 2031-01-03]`), not at the
 * n-th request through the proxy, so they land on the same run whatever else is running.
 */
import { seededRandom } from '../../runtime/index.ts';
import type { ChaosFault, ChaosRule } from '../../sim/index.ts';
import type { Department } from './departments.ts';

export const DAY_MS = 86_400_000;
export const HOUR_MS = 3_600_000;
/** The virtual week starts on Wednesday 1 January 2031, 00:00 UTC (so it holds a Monday and a 1st of the month). */
export const VIRTUAL_START_MS = Date.UTC(2031, 0, 1);

export type HostRestart =
  /** The host dies at `atMs` and is started again `downMs` later. */
  | { readonly kind: 'at'; readonly atMs: number; readonly downMs: number }
  /** The host dies while `runId` is half done (right after its `step`-th model call is journaled). */
  | { readonly kind: 'mid-run'; readonly runId: string; readonly step: number; readonly downMs: number };

export interface AgentCrash {
  readonly department: Department;
  /** The run during which it is killed (right after its first model call is journaled). */
  readonly runId: string;
}

export interface CompanyPlan {
  readonly seed: number;
  readonly startMs: number;
  readonly endMs: number;
  readonly chaos: readonly ChaosRule[];
  readonly agentCrashes: readonly AgentCrash[];
  readonly memoryKills: readonly number[];
  readonly hostRestarts: readonly HostRestart[];
}

export const dayOf = (ms: number): string => new Date(ms).toISOString().slice(0, 10);
export const postSlot = (dayStartMs: number): number => dayStartMs + 14 * HOUR_MS;
export const runIdOf = (job: string, slotMs: number): string => `${job}@${new Date(slotMs).toISOString()}`;

/**
 * Each company run on a database has its own prefix (`c1-`, `c2-`, ...) on its schedule and run
 * ids, so a second virtual week on a kept database is a week of its own, not one found already done.
 */
export const PREFIX = /^c\d+-/;
export const withoutPrefix = (id: string): string => id.replace(PREFIX, '');

const FAULTS: readonly { readonly name: string; readonly fault: ChaosFault; readonly times: number }[] = [
  { name: '429 with Retry-After', fault: { kind: 'rate_limit', retryAfterSeconds: 2 }, times: 1 },
  { name: '529 overloaded', fault: { kind: 'overloaded' }, times: 2 },
  { name: '503', fault: { kind: 'status', status: 503 }, times: 1 },
  { name: 'malformed body', fault: { kind: 'malformed' }, times: 1 },
  { name: 'connection reset', fault: { kind: 'reset' }, times: 1 },
];

/** The plan for `days` days from `startMs`, on `seed`. */
export function companyPlan(seed: number, days: number, startMs = VIRTUAL_START_MS): CompanyPlan {
  const random = seededRandom(seed);
  const int = (lo: number, hi: number): number => lo + Math.floor(random() * (hi - lo + 1));
  const endMs = startMs + days * DAY_MS;
  const dayStart = (d: number): number => startMs + d * DAY_MS;

  // Provider faults: about every other daily post, and each weekly report and month's accounts.
  const chaos: ChaosRule[] = [];
  for (let d = 0; d < days; d++) {
    if (random() < 0.6) {
      const f = FAULTS[int(0, FAULTS.length - 1)]!;
      chaos.push({ name: f.name, match: { body: `[daily-post ${dayOf(dayStart(d))}]` }, times: f.times, fault: f.fault });
    }
  }
  const f = FAULTS[int(0, FAULTS.length - 1)]!;
  chaos.push({ name: f.name, match: { body: '[weekly-report ' }, times: f.times, fault: f.fault });
  chaos.push({ name: '529 overloaded', match: { body: '[monthly-accounts ' }, times: 2, fault: { kind: 'overloaded' } });

  // Agent crashes: Marketing in the middle of some daily posts, the CEO in the weekly report.
  const agentCrashes: AgentCrash[] = [];
  const crashDays = new Set<number>();
  for (let i = 0; i < Math.max(1, Math.ceil(days / 3)); i++) crashDays.add(int(0, days - 1));
  for (const d of [...crashDays].sort((a, b) => a - b)) agentCrashes.push({ department: 'marketing', runId: runIdOf('daily-post', postSlot(dayStart(d))) });
  agentCrashes.push({ department: 'ceo', runId: runIdOf('weekly-report', mondayNine(startMs)) });

  // Memory-server kills, away from the half hour (when the memory sync runs).
  const memoryKills: number[] = [];
  for (let i = 0; i < Math.max(1, Math.ceil(days / 2)); i++) memoryKills.push(dayStart(int(0, days - 1)) + int(0, 23) * HOUR_MS + int(35, 55) * 60_000);
  memoryKills.sort((a, b) => a - b);

  // Whole-host restarts: one in the middle of a daily post (after its second model call: the
  // CEO was consulted, the post is not out yet), and others at a random time, down for 1 to 4 h.
  const hostRestarts: HostRestart[] = [];
  const midRunDay = days >= 2 ? int(1, days - 1) : 0;
  if (days >= 2) hostRestarts.push({ kind: 'mid-run', runId: runIdOf('daily-post', postSlot(dayStart(midRunDay))), step: 2, downMs: int(10, 50) * 60_000 });
  for (let i = 0; i < Math.max(1, Math.floor(days / 3)); i++) {
    const atMs = dayStart(int(0, days - 1)) + int(0, 22) * HOUR_MS + int(5, 55) * 60_000;
    const downMs = Math.min(int(60, 240) * 60_000, endMs - atMs - HOUR_MS);
    if (downMs > 0 && (days < 2 || postSlot(dayStart(Math.floor((atMs - startMs) / DAY_MS))) !== postSlot(dayStart(midRunDay))))
      hostRestarts.push({ kind: 'at', atMs, downMs });
  }
  return { seed, startMs, endMs, chaos, agentCrashes, memoryKills, hostRestarts };
}

/** The first Monday 09:00 UTC at or after `ms`. */
export function mondayNine(ms: number): number {
  const d = new Date(ms);
  const day = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate());
  for (let i = 0; i < 8; i++) {
    const t = day + i * DAY_MS + 9 * HOUR_MS;
    if (new Date(t).getUTCDay() === 1 && t >= ms) return t;
  }
  throw new Error('unreachable');
}
