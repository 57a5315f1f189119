/**
 * OpenTelemetry for Warden: traces and metrics built from the one event stream, through
 * `@opentelemetry/api`. The API is a no-op until an SDK is registered, so a program without the
 * SDK installed pays nothing; with it, spans and metrics go wherever the SDK sends them.
 *
 * - {@link instrument}`(bus, options)`: spans (durable runs and their steps and effects, model
 *   calls with the GenAI attributes, attempts, retries, fallbacks, breaker transitions, approval
 *   waits, supervised children with links from a restart to the crash) and metrics (restarts,
 *   MTBF/MTTR, breaker states, budgets, tokens and cost per model, steps, runs, dead letters,
 *   memory writes, mailboxes and queues) from `bus`, on the global providers or the ones given.
 * - {@link startTelemetryFromEnv}`()`: start the Node SDK (loaded lazily) when `OTEL_TRACES_EXPORTER`
 *   or `OTEL_METRICS_EXPORTER` ask for export (`otlp` over `OTEL_EXPORTER_OTLP_ENDPOINT`, with
 *   `OTEL_EXPORTER_OTLP_PROTOCOL` `http/json` or `http/protobuf`); one line says so when the SDK
 *   is not installed. What `warden demo` calls.
 * - {@link servePrometheus}`()`: a scrape endpoint on 127.0.0.1.
 *
 * @example
 * ```ts
 * import { Runtime } from 'warden/runtime';
 * import { startTelemetryFromEnv } from 'warden/otel';
 *
 * // OTEL_TRACES_EXPORTER=otlp OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4318 node app.ts
 * const telemetry = await startTelemetryFromEnv();
 * const rt = new Runtime();
 * const off = telemetry.instrument(rt.events, { runtime: rt });
 * // ... supervisors, durable hosts, agents and model clients on rt.events ...
 * off.dispose();
 * await telemetry.shutdown();
 * ```
 */
export { instrument } from './instrument.ts';
export type { InstrumentOptions } from './instrument.ts';
export { TraceBridge, TRACER_NAME } from './trace-bridge.ts';
export type { TraceBridgeOptions } from './trace-bridge.ts';
export { MetricsBridge } from './metrics-bridge.ts';
export type { MetricsBridgeOptions } from './metrics-bridge.ts';
export { startTelemetryFromEnv, telemetryRequested } from './from-env.ts';
export type { Telemetry, TelemetryFromEnvOptions } from './from-env.ts';
export { servePrometheus } from './prometheus.ts';
export type { PrometheusEndpoint, PrometheusOptions } from './prometheus.ts';
export { runSpanContext, runSpanId } from './run-span.ts';
export { GEN_AI, WARDEN } from './attributes.ts';
