/**
 * `startDashboard`: the dashboard's HTTP server (hono on `@hono/node-server`), on loopback by
 * default, with an access token every request must carry (access.ts). hono and its Node adapter
 * are imported here when a dashboard starts, never when Warden loads.
 */
import type { AddressInfo } from 'node:net';
import { realClock } from '../runtime/index.ts';
import { isLoopbackHost } from '../memory/index.ts';
import { newDashboardToken } from './access.ts';
import { ChangeWatcher } from './live.ts';
import { resolveDashboardOptions, type DashboardOptions } from './options.ts';
import type { ViewContext } from './views.ts';

export interface DashboardServer {
  /** The page's URL with its token: `http://127.0.0.1:<port>/?token=<token>`. */
  readonly url: string;
  /** The URL without the token. */
  readonly origin: string;
  readonly port: number;
  readonly token: string;
  /** Pages listening for changes right now. */
  readonly listening: number;
  /** Stop listening, end the open event streams. Idempotent. */
  close(): Promise<void>;
}

/**
 * Serve the dashboard for `options.store`. Resolves once it listens; throws `InvalidSpecError`
 * naming a bad option, or the listen error (a port in use).
 *
 * ```ts
 * const dashboard = await startDashboard({ store, port: 8790 });
 * console.log(dashboard.url);   // http://127.0.0.1:8790/?token=...
 * ```
 */
export async function startDashboard(options: DashboardOptions): Promise<DashboardServer> {
  const resolved = resolveDashboardOptions(options);
  const [{ serve }, { dashboardApp }] = await Promise.all([import('@hono/node-server'), import('./app.ts')]);
  const token = resolved.token ?? newDashboardToken();
  const clock = options.clock ?? realClock;
  const ctx: ViewContext = {
    store: options.store,
    clock,
    providers: options.providers ?? {},
    pageSize: resolved.pageSize,
    plotWindowMs: resolved.plotWindowMs,
  };
  const watcher = new ChangeWatcher(ctx, resolved.pollMs);
  const closing = new AbortController();
  const app = dashboardApp({ ctx, token, loopback: isLoopbackHost(resolved.host), watcher, events: options.events, closing: closing.signal });

  const server = await new Promise<ReturnType<typeof serve>>((resolve, reject) => {
    const s = serve({ fetch: app.fetch, port: resolved.port, hostname: resolved.host }, () => resolve(s));
    s.once('error', reject);
  });
  const port = (server.address() as AddressInfo).port;
  const hostInUrl = resolved.host.includes(':') ? `[${resolved.host}]` : resolved.host;
  const origin = `http://${hostInUrl}:${port}`;
  let closed: Promise<void> | undefined;
  return {
    url: `${origin}/?token=${token}`,
    origin,
    port,
    token,
    get listening() {
      return watcher.listening;
    },
    close() {
      closed ??= new Promise<void>((resolve) => {
        closing.abort();
        watcher.close();
        server.close(() => resolve());
        if ('closeAllConnections' in server) server.closeAllConnections();
      });
      return closed;
    },
  };
}
