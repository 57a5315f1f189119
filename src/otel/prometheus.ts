/**
 * A Prometheus scrape endpoint for Warden's metrics: an SDK meter provider read by
 * `@opentelemetry/exporter-prometheus` (both loaded only when this is called; they are the
 * OpenTelemetry SDK, which a program installs when it wants metrics), served on 127.0.0.1 by
 * default, on a port of its own (0: any free one; `url` says which).
 */
import { createServer, type Server } from 'node:http';
import type { MeterProvider } from '@opentelemetry/api';
import { InvalidSpecError } from '../runtime/index.ts';

export interface PrometheusOptions {
  /** @default '127.0.0.1' */
  readonly host?: string;
  /** @default 9464 (Prometheus's registered port for OpenTelemetry); 0 picks a free one */
  readonly port?: number;
  /** @default '/metrics' */
  readonly path?: string;
}

export interface PrometheusEndpoint {
  /** Where to scrape: `http://127.0.0.1:9464/metrics`. */
  readonly url: string;
  /** Pass it to `instrument(bus, { meterProvider })`. */
  readonly meterProvider: MeterProvider;
  close(): Promise<void>;
}

/**
 * Serve Warden's metrics for Prometheus to scrape.
 *
 * @example
 * ```ts
 * import { Runtime } from 'warden/runtime';
 * import { instrument, servePrometheus } from 'warden/otel';
 *
 * const rt = new Runtime();
 * const prometheus = await servePrometheus({ port: 0 });
 * const off = instrument(rt.events, { meterProvider: prometheus.meterProvider, traces: false, runtime: rt });
 * console.log(`scrape ${prometheus.url}`);
 * off.dispose();
 * await prometheus.close();
 * ```
 */
export async function servePrometheus(options: PrometheusOptions = {}): Promise<PrometheusEndpoint> {
  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? 9464;
  const path = options.path ?? '/metrics';
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new InvalidSpecError('servePrometheus', 'port', port, 'must be an integer from 0 to 65535');
  if (!path.startsWith('/')) throw new InvalidSpecError('servePrometheus', 'path', path, "must start with '/'");
  const [{ PrometheusExporter }, { MeterProvider: SdkMeterProvider }] = await Promise.all([
    import('@opentelemetry/exporter-prometheus'),
    import('@opentelemetry/sdk-metrics'),
  ]);
  const exporter = new PrometheusExporter({ preventServerStart: true });
  const meterProvider = new SdkMeterProvider({ readers: [exporter] });
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (req.method !== 'GET' || url.pathname !== path) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end(`not found: scrape GET ${path}\n`);
      return;
    }
    exporter.getMetricsRequestHandler(req, res);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  const bound = typeof address === 'object' && address !== null ? address.port : port;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${shownHost}:${bound}${path}`,
    meterProvider,
    close: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await meterProvider.shutdown();
    },
  };
}
