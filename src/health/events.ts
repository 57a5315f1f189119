/**
 * The health layer's events, on the one stream. Each is emitted after what it reports is done:
 * `health.probe_failed` once the verdict is recorded, `health.action_taken` as an action starts
 * (a restart's supervisor calls follow it, so the stream reads cause → effect), and
 * `health.action_failed` if the supervisor refused the action.
 */
import type { HealthLevel } from './report.ts';

/** What a probe's or a quality monitor's action did. */
export type HealthActionRecord =
  /** The child is reported unhealthy; `/readyz` answers 503 until it is marked healthy again. */
  | { readonly action: 'mark_unhealthy'; readonly child: string }
  /** The probe passed (or the score recovered) after the child was marked unhealthy. */
  | { readonly action: 'mark_healthy'; readonly child: string }
  /**
   * The child is terminated and started again through its supervisor (`terminateChild`,
   * `restartChild`). `supervisor` as the action names it; `supervisorPid` the process it resolved
   * to (null if no process has that name).
   */
  | { readonly action: 'restart'; readonly supervisor: string; readonly supervisorPid: string | null; readonly childId: string }
  /** The child is terminated through its supervisor and left stopped. */
  | { readonly action: 'terminate'; readonly supervisor: string; readonly supervisorPid: string | null; readonly childId: string }
  /** The ladder moved one level down. */
  | { readonly action: 'degrade'; readonly ladder: string; readonly from: string; readonly to: string }
  /** The ladder moved one level back up after the probe passed again. */
  | { readonly action: 'restore'; readonly ladder: string; readonly from: string; readonly to: string };

/** How a known-answer probe failed. */
export type ProbeFailure = 'wrong_answer' | 'timeout' | 'error';

declare module '../runtime/index.ts' {
  interface WardenEventMap {
    /** A known-answer probe (L3) got the expected answer. */
    'health.probe_passed': { readonly health: string; readonly probe: string; readonly child: string; readonly durationMs: number };
    /** A known-answer probe (L3) got a wrong answer, timed out or threw. */
    'health.probe_failed': {
      readonly health: string;
      readonly probe: string;
      readonly child: string;
      readonly failure: ProbeFailure;
      /** The wrong answer (cut to 200 characters) or the error's message. */
      readonly detail: string;
      readonly consecutiveFailures: number;
      readonly durationMs: number;
    };
    /** A quality monitor's (L4) rolling score crossed its `minScore`, either way. */
    'health.quality_changed': {
      readonly health: string;
      readonly monitor: string;
      readonly agent: string;
      readonly status: 'ok' | 'low';
      readonly score: number;
      readonly minScore: number;
      readonly samples: number;
    };
    /** Readiness (L2, with the children marked unhealthy) changed; `failing` names what is not ready. */
    'health.readiness_changed': { readonly health: string; readonly ready: boolean; readonly failing: readonly string[] };
    /** A probe or monitor acted on a failure (or a recovery). */
    'health.action_taken': {
      readonly health: string;
      /** The probe or quality monitor that acted. */
      readonly source: string;
      readonly level: HealthLevel;
    } & HealthActionRecord;
    /**
     * An action could not be done: the supervisor refused a restart or terminate (or could not be
     * reached), or a ladder's `onChange` threw (the ladder has moved; applying the level failed).
     */
    'health.action_failed': { readonly health: string; readonly source: string; readonly error: string } & (
      | { readonly action: 'restart' | 'terminate'; readonly supervisor: string; readonly childId: string }
      | { readonly action: 'degrade' | 'restore'; readonly ladder: string }
    );
  }
}
