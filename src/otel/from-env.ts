/**
 * `startTelemetryFromEnv()`: export traces and metrics when the standard `OTEL_*` variables ask
 * for it, with the OpenTelemetry Node SDK (`@opentelemetry/sdk-node`), loaded only then. What the
 * SDK reads (`OTEL_EXPORTER_OTLP_ENDPOINT`, `OTEL_EXPORTER_OTLP_PROTOCOL` `http/json` or
 * `http/protobuf` or `grpc`, `OTEL_SERVICE_NAME`, `OTEL_RESOURCE_ATTRIBUTES`, the samplers,
 * `OTEL_METRIC_EXPORT_INTERVAL`, ...) works as documented by OpenTelemetry.
 *
 * One difference from the SDK's own defaults: an exporter variable that is not set means *no*
 * export here (the SDK would default to `otlp`), so a library never starts sending on its own.
 * Export starts when `OTEL_TRACES_EXPORTER` or `OTEL_METRICS_EXPORTER` names an exporter other
 * than `none` (`otlp`, `console`, `zipkin` for traces, `prometheus` for metrics; the Prometheus
 * endpoint binds 127.0.0.1 unless `OTEL_EXPORTER_PROMETHEUS_HOST` says otherwise);
 * `OTEL_SDK_DISABLED=true` turns it all off. Because the SDK reads `process.env` itself, the
 * variables left unset are set to `none` there before it starts.
 *
 * When export is asked for and the SDK is not installed, one line says so (through `warn`) and
 * the program runs on without telemetry.
 */
import type { Disposable, EventBus } from '../runtime/index.ts';
import { disposable } from '../runtime/index.ts';
import type { InstrumentOptions } from './instrument.ts';
import { MetricsBridge } from './metrics-bridge.ts';
import { TraceBridge } from './trace-bridge.ts';

export interface TelemetryFromEnvOptions {
  /** The variables to read. @default process.env */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Where the one-line notice goes when export is asked for but the SDK is missing or fails to start. @default a line on stderr */
  readonly warn?: (line: string) => void;
  /** `service.name` when `OTEL_SERVICE_NAME` is not set. @default 'warden' */
  readonly serviceName?: string;
}

/** Telemetry as started from the environment. */
export interface Telemetry {
  /** Whether anything is exported (an SDK was started). */
  readonly enabled: boolean;
  readonly traces: boolean;
  readonly metrics: boolean;
  /** Build spans and metrics from `bus`'s events (a no-op handle when nothing is exported). */
  instrument(bus: EventBus, options?: InstrumentOptions): Disposable;
  /**
   * End the spans still open, flush what is buffered (one last collection of the metrics) and stop
   * the SDK. Call it before disposing what `instrument` returned.
   */
  shutdown(): Promise<void>;
}

const OFF: Telemetry = {
  enabled: false,
  traces: false,
  metrics: false,
  instrument: () => disposable(() => undefined),
  shutdown: async () => undefined,
};

function exporters(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '' && s !== 'none');
}

/** Which exports the variables ask for. */
export function telemetryRequested(env: Readonly<Record<string, string | undefined>>): { traces: boolean; metrics: boolean } {
  if ((env.OTEL_SDK_DISABLED ?? '').trim().toLowerCase() === 'true') return { traces: false, metrics: false };
  return { traces: exporters(env.OTEL_TRACES_EXPORTER).length > 0, metrics: exporters(env.OTEL_METRICS_EXPORTER).length > 0 };
}

/**
 * Start exporting traces and/or metrics if `OTEL_TRACES_EXPORTER` / `OTEL_METRICS_EXPORTER` ask
 * for it; otherwise (or without the SDK installed) return a handle that does nothing.
 *
 * @example
 * ```ts
 * import { Runtime } from 'warden/runtime';
 * import { startTelemetryFromEnv } from 'warden/otel';
 *
 * const telemetry = await startTelemetryFromEnv();
 * const rt = new Runtime();
 * const off = telemetry.instrument(rt.events, { runtime: rt });
 * // ... the program ...
 * off.dispose();
 * await telemetry.shutdown();
 * ```
 */
export async function startTelemetryFromEnv(options: TelemetryFromEnvOptions = {}): Promise<Telemetry> {
  const env = options.env ?? process.env;
  const { traces, metrics } = telemetryRequested(env);
  if (!traces && !metrics) return OFF;
  const warn = options.warn ?? ((line: string) => process.stderr.write(`${line}\n`));
  const asked = [traces ? `OTEL_TRACES_EXPORTER=${env.OTEL_TRACES_EXPORTER}` : '', metrics ? `OTEL_METRICS_EXPORTER=${env.OTEL_METRICS_EXPORTER}` : '']
    .filter((s) => s !== '')
    .join(' and ');
  let sdkModule: typeof import('@opentelemetry/sdk-node');
  try {
    sdkModule = await import('@opentelemetry/sdk-node');
  } catch (e) {
    const missing = (e as { code?: unknown }).code === 'ERR_MODULE_NOT_FOUND';
    warn(
      missing
        ? `warden: ${asked} asks for telemetry export, but @opentelemetry/sdk-node is not installed (npm install @opentelemetry/sdk-node); running without telemetry`
        : `warden: ${asked} asks for telemetry export, but @opentelemetry/sdk-node failed to load (${(e as Error).message}); running without telemetry`,
    );
    return OFF;
  }
  // The SDK reads process.env: give it the variables read here, and `none` for the exports not asked for.
  for (const [name, value] of Object.entries(env))
    if (name.startsWith('OTEL_') && value !== undefined && process.env[name] === undefined) process.env[name] = value;
  for (const name of ['OTEL_TRACES_EXPORTER', 'OTEL_METRICS_EXPORTER', 'OTEL_LOGS_EXPORTER']) {
    if ((process.env[name] ?? '').trim() === '') process.env[name] = 'none';
  }
  if (metrics && exporters(env.OTEL_METRICS_EXPORTER).includes('prometheus') && (process.env.OTEL_EXPORTER_PROMETHEUS_HOST ?? '') === '') {
    process.env.OTEL_EXPORTER_PROMETHEUS_HOST = '127.0.0.1';
  }
  const serviceName = (env.OTEL_SERVICE_NAME ?? '') === '' ? (options.serviceName ?? 'warden') : undefined;
  let sdk: InstanceType<typeof sdkModule.NodeSDK>;
  try {
    sdk = new sdkModule.NodeSDK(serviceName === undefined ? {} : { serviceName });
    sdk.start();
  } catch (e) {
    warn(`warden: ${asked} asks for telemetry export, but the OpenTelemetry SDK did not start (${(e as Error).message}); running without telemetry`);
    return OFF;
  }
  let stopped: Promise<void> | undefined;
  const traceBridges = new Set<Disposable>();
  const metricsBridges = new Set<Disposable>();
  return {
    enabled: true,
    traces,
    metrics,
    instrument: (bus, instrumentOptions = {}) => {
      const t = traces && instrumentOptions.traces !== false ? new TraceBridge(bus, instrumentOptions) : undefined;
      const m = metrics && instrumentOptions.metrics !== false ? new MetricsBridge(bus, instrumentOptions) : undefined;
      if (t !== undefined) traceBridges.add(t);
      if (m !== undefined) metricsBridges.add(m);
      return disposable(() => {
        t?.dispose();
        m?.dispose();
        if (t !== undefined) traceBridges.delete(t);
        if (m !== undefined) metricsBridges.delete(m);
      });
    },
    // Spans still open end first (so they are exported); the gauges' callbacks stay until the
    // SDK's last collection has read them.
    shutdown: () => {
      stopped ??= (async () => {
        for (const t of traceBridges) t.dispose();
        try {
          await sdk.shutdown();
        } finally {
          for (const m of metricsBridges) m.dispose();
        }
      })();
      return stopped;
    },
  };
}
