/**
 * The dashboard (`warden/dashboard`, and `warden dashboard` on the command line): a web page,
 * live, over one store: the supervision trees, breakers, budgets and health every host
 * publishes (`publishHostSnapshots` in `warden/durable`), runs with their journals, effects and
 * approvals, the dead-letter queue (replay, discard), approvals (approve, deny), quarantine,
 * schedules and alerts, restarts and spend plotted over time; the same data as JSON under
 * `/api/`. Decisions and replays go through the same operations and audit trail as the CLI.
 *
 * ```ts
 * import { openStore } from 'warden/store';
 * import { startDashboard } from 'warden/dashboard';
 *
 * const dashboard = await startDashboard({ store: await openStore() });   // 127.0.0.1, a free port
 * console.log(dashboard.url);        // http://127.0.0.1:<port>/?token=<token>
 * // ...
 * await dashboard.close();
 * ```
 *
 * Every request needs the token (`?token=`, `Authorization: Bearer`, or the cookie the page
 * sets); a request that changes something must also come from the page itself (Origin and
 * Sec-Fetch-Site checked) with the token in a header or the cookie. hono and the page's
 * libraries load only when a dashboard starts.
 */
export { startDashboard } from './server.ts';
export type { DashboardServer } from './server.ts';
export { DASHBOARD_DEFAULTS, MIN_DASHBOARD_TOKEN_LENGTH } from './options.ts';
export type { DashboardOptions, DashboardProviders } from './options.ts';
