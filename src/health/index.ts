/**
 * Health checks and reliability figures (`warden/health`), in four levels:
 *
 * - **L1 liveness**: the process, its event loop and its runtime answer (`/healthz`);
 * - **L2 readiness**: the store answers, model endpoints answer, not every breaker is open, and
 *   no child is marked unhealthy (`/readyz`);
 * - **L3 known-answer probes**: a question whose answer is known, asked through the real agent
 *   on a schedule; a wrong answer is a failure, like an error or a timeout;
 * - **L4 quality**: a rolling score per agent from its output re-asks, guard trips, completed
 *   runs and your graders.
 *
 * A failing probe or a low score acts: it marks its child unhealthy, restarts (or terminates) it
 * through its supervisor, or moves a degradation ladder down; each action is a
 * `health.action_taken` event. Restarts, failures, MTBF and MTTR per child and for the tree come
 * from the event stream: `reliabilityOf(events)` over a recorded list, or live in the report.
 *
 * <!-- docs-test: prelude store health -->
 * ```ts
 * import { Runtime } from 'warden/runtime';
 * import { startHealth, LevelLadder } from 'warden/health';
 *
 * const runtime = new Runtime();
 * const answers = new LevelLadder({ name: 'answers', levels: ['live', 'cached', 'static'] });
 * const health = await startHealth({
 *   runtime,
 *   readiness: [{ kind: 'store', store }, { kind: 'breakers', breakers: model.breakers }],
 *   probes: [{
 *     name: 'arithmetic', agent: researcher, question: 'What is 2 + 2? Answer with the number.', expect: '4',
 *     child: 'research', intervalMs: 60_000, timeoutMs: 30_000,
 *     actions: [{ kind: 'mark_unhealthy' }, { kind: 'restart', supervisor: 'root', childId: 'research' }],
 *   }],
 *   quality: [{ name: 'research-quality', agent: 'researcher', minScore: 0.8, actions: [{ kind: 'degrade', ladder: answers }] }],
 *   admin: { port: 9464 },
 * });
 * // GET http://127.0.0.1:9464/healthz → 200 { status, liveness, readiness, probes, quality, unhealthy, ladders, reliability }
 * ```
 */
import './events.ts';

export { Health, startHealth } from './health.ts';
export { healthChild } from './health-child.ts';
export { startHealthServer } from './health-server.ts';
export type { HealthServer } from './health-server.ts';
export { HEALTH_DEFAULTS, HEALTH_PROBE_DEFAULTS, QUALITY_MONITOR_DEFAULTS, HEALTH_SERVER_DEFAULTS } from './options.ts';
export type {
  HealthOptions,
  HealthAction,
  ReadinessCheck,
  KnownAnswerProbeOptions,
  QualityMonitorOptions,
  HealthServerOptions,
  ProbeTarget,
  ProbeAnswer,
} from './options.ts';
export { READINESS_PROBE_RUN_ID } from './readiness.ts';
export { LevelLadder, ladderOverSkips } from './level-ladder.ts';
export type { LevelLadderOptions, MovableLadder, SkippableLadder } from './level-ladder.ts';
export { reliabilityOf, RELIABILITY_EVENT_TYPES } from './reliability.ts';
export type { ReliabilityReport, ChildReliability, GroupReliability, SupervisorReliability } from './reliability.ts';
export { ReliabilityTracker } from './reliability-tracker.ts';
export type { HealthReport, HealthStatus, HealthLevel, HealthCheckResult, HealthLevelResult, ProbeReport, QualityReport, LadderReport } from './report.ts';
export type { HealthActionRecord, ProbeFailure } from './events.ts';
