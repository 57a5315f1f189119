/**
 * Anomaly alerts (`warden/alerts`): monitors that read the one event stream and raise typed
 * `alert.raised` events, and sinks that deliver them.
 *
 * - {@link SubagentCountMonitor}: too many of one kind of child running, or starting too fast
 *   (the memory-sync incident: duplicate workers spawned silently); optionally refuses the start
 *   or stops the newest.
 * - {@link SpendRateMonitor}: budget or model spend per window.
 * - {@link RestartRateMonitor}: supervisor restarts per window.
 * - {@link WebhookSink}: each alert POSTed as JSON, with a deadline, bounded retries, a bounded
 *   queue, an optional HMAC signature, and the URL and secrets never shown.
 * - {@link AlertHistory}: the recent alerts, for a dashboard.
 *
 * Every monitor raises one alert per kind and subject per cool-down (the repeats are counted in
 * the next alert's `suppressed`), so one incident is one webhook, not a thousand.
 *
 * ```ts
 * import { Runtime } from 'warden/runtime';
 * import { SubagentCountMonitor, RestartRateMonitor, WebhookSink } from 'warden/alerts';
 *
 * const rt = new Runtime();
 * const subagents = new SubagentCountMonitor({
 *   bus: rt.events,
 *   runtime: rt,
 *   limits: [{ kind: 'memory-sync', max: 1, maxStarts: 3, windowMs: 60_000, action: 'refuse' }],
 * });
 * const restarts = new RestartRateMonitor({ bus: rt.events, maxRestarts: 5, windowMs: 60_000 });
 * const sink = new WebhookSink({ bus: rt.events, url: 'https://hooks.example.com/warden/alerts' });
 *
 * subagents.admit('memory-sync');   // throws SubagentLimitError if one already runs
 * ```
 */
import './events.ts';
import './errors.ts';

export { AlertGate, ALERT_KINDS } from './alert.ts';
export type { Alert, AlertInput, AlertKind, AlertSeverity } from './alert.ts';
export { SubagentCountMonitor, SUBAGENT_MONITOR_DEFAULTS } from './subagent-monitor.ts';
export type { SubagentLimit, SubagentMonitorOptions, SubagentMonitorTunables, SubagentAction, SubagentLease } from './subagent-monitor.ts';
export { SpendRateMonitor, SPEND_RATE_DEFAULTS } from './spend-rate.ts';
export type { SpendRateOptions, SpendRateTunables } from './spend-rate.ts';
export { RestartRateMonitor, RESTART_RATE_DEFAULTS } from './restart-rate.ts';
export type { RestartRateOptions, RestartRateTunables } from './restart-rate.ts';
export { WebhookSink, WEBHOOK_SINK_DEFAULTS } from './webhook-sink.ts';
export type { WebhookSinkOptions } from './webhook-sink.ts';
export { AlertHistory } from './alert-history.ts';
export type { AlertHistoryOptions, AlertRecord } from './alert-history.ts';
export { SubagentLimitError } from './errors.ts';
