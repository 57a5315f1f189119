/**
 * The health report: one JSON document for every level, the body of `/healthz` and `/readyz`
 * and what `Health.report()` returns. Plain data (numbers, strings, arrays), so it can be
 * logged, served and stored as it is; times are milliseconds on the health's clock.
 */
import type { ProbeFailure } from './events.ts';
import type { ReliabilityReport } from './reliability.ts';

/** L1 liveness, L2 readiness, L3 known-answer probes, L4 quality. */
export type HealthLevel = 'L1' | 'L2' | 'L3' | 'L4';

/**
 * `ok`: live, ready, every probe passing and every score at or above its minimum.
 * `degraded`: live and ready, but a probe is failing, a score is low or a ladder is below its top.
 * `unhealthy`: not live, or not ready.
 */
export type HealthStatus = 'ok' | 'degraded' | 'unhealthy';

/** One liveness or readiness check. */
export interface HealthCheckResult {
  readonly name: string;
  readonly ok: boolean;
  readonly durationMs: number;
  /** Why it failed. */
  readonly error?: string;
}

export interface HealthLevelResult {
  readonly ok: boolean;
  /** When the checks ran (clock ms). */
  readonly checkedAt: number;
  readonly checks: readonly HealthCheckResult[];
}

/** An L3 probe as last seen. `unknown`: it has not run yet. */
export interface ProbeReport {
  readonly name: string;
  readonly child: string;
  readonly status: 'unknown' | 'passing' | 'failing';
  readonly runs: number;
  readonly failures: number;
  readonly consecutiveFailures: number;
  readonly lastRunAt: number | null;
  readonly lastFailure: ProbeFailure | null;
  /** The last failure's wrong answer or error message. */
  readonly lastDetail: string | null;
}

/** An L4 monitor. `unknown`: fewer than `minSamples` samples in the window. */
export interface QualityReport {
  readonly name: string;
  readonly agent: string;
  readonly child: string;
  readonly status: 'unknown' | 'ok' | 'low';
  /** Mean of the samples in the window, 0..1; null with no samples. */
  readonly score: number | null;
  readonly samples: number;
  readonly minScore: number;
}

export interface LadderReport {
  readonly name: string;
  readonly level: string;
  /** 0 is the top (full quality). */
  readonly index: number;
  readonly levels: readonly string[];
}

export interface HealthReport {
  readonly name: string;
  readonly status: HealthStatus;
  /** When the report was made (clock ms). */
  readonly at: number;
  readonly liveness: HealthLevelResult;
  /** The last readiness evaluation (`/readyz` and `checkReadiness()` make a fresh one). */
  readonly readiness: HealthLevelResult | null;
  readonly probes: readonly ProbeReport[];
  readonly quality: readonly QualityReport[];
  /** Children currently marked unhealthy by a probe or monitor, sorted. */
  readonly unhealthy: readonly string[];
  readonly ladders: readonly LadderReport[];
  /** Restarts, failures, MTBF and MTTR since the health started, per child and for the tree. */
  readonly reliability: ReliabilityReport;
}
