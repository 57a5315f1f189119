/**
 * The admin endpoints, as Kubernetes probes expect them: `GET /healthz` (L1 liveness) and
 * `GET /readyz` (L2 readiness, checked fresh) answer 200 when that level passes and 503 when it
 * does not, each with the whole health report as JSON (L3 probes and L4 scores included);
 * `GET /health` gives the same report with a fresh readiness and always 200 (for dashboards).
 *
 * Read-only: only GET and HEAD are answered (405 otherwise), nothing can be changed through it,
 * so it needs no token. It listens on 127.0.0.1 by default; give `host: '0.0.0.0'` for a kubelet
 * that probes the pod's address. On a loopback address a request whose `Host` does not name
 * loopback is refused (403), so a web page cannot read the report through DNS rebinding.
 * Plain `node:http`: three read-only routes need no framework.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseWith } from '../runtime/internal.ts';
import type { Health } from './health.ts';
import { isLoopbackHostHeader, isLoopbackName } from './loopback-host.ts';
import { HEALTH_SERVER_DEFAULTS, serverSchema, type HealthServerOptions } from './options.ts';
import type { HealthReport } from './report.ts';

export interface HealthServer {
  /** `http://host:port` */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/** Serve `health` on its own port. */
export async function startHealthServer(health: Health, options: HealthServerOptions = {}): Promise<HealthServer> {
  parseWith('health admin server', serverSchema, options);
  const host = options.host ?? HEALTH_SERVER_DEFAULTS.host;
  const loopbackOnly = isLoopbackName(host);
  const server = createServer((req, res) => {
    if (loopbackOnly && !isLoopbackHostHeader(req.headers.host)) {
      send(res, req, 403, { error: 'the Host header must name loopback (localhost, 127.0.0.1, [::1])' });
      return;
    }
    void answer(health, req, res).catch((error: unknown) => send(res, req, 500, { error: error instanceof Error ? error.message : String(error) }));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? HEALTH_SERVER_DEFAULTS.port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const shown = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${shown}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function answer(health: Health, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('allow', 'GET, HEAD');
    send(res, req, 405, { error: `${req.method ?? 'this method'} is not allowed; the health endpoints are read-only` });
    return;
  }
  const path = new URL(req.url ?? '/', 'http://health').pathname;
  let report: HealthReport;
  switch (path) {
    case '/healthz':
      report = await health.report();
      send(res, req, report.liveness.ok ? 200 : 503, report);
      return;
    case '/readyz':
      report = await health.report({ fresh: true });
      send(res, req, report.liveness.ok && report.readiness?.ok === true ? 200 : 503, report);
      return;
    case '/health':
      send(res, req, 200, await health.report({ fresh: true }));
      return;
    default:
      send(res, req, 404, { error: `no such endpoint: ${path} (try /healthz, /readyz, /health)` });
  }
}

function send(res: ServerResponse, req: IncomingMessage, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', 'content-length': Buffer.byteLength(text) });
  res.end(req.method === 'HEAD' ? undefined : text);
}
