/**
 * `instrument(bus)`: traces and metrics from one event stream, through the OpenTelemetry API.
 * With no SDK registered (none installed, or none started) the API hands out no-op tracers and
 * meters, so the listeners cost a few calls per event and export nothing; a program that never
 * calls `instrument` pays nothing at all (nothing listens, so no event is even built).
 */
import { disposable, type Disposable, type EventBus } from '../runtime/index.ts';
import { MetricsBridge, type MetricsBridgeOptions } from './metrics-bridge.ts';
import { TraceBridge, type TraceBridgeOptions } from './trace-bridge.ts';

export interface InstrumentOptions extends TraceBridgeOptions, MetricsBridgeOptions {
  /** Build spans. @default true */
  readonly traces?: boolean;
  /** Record metrics. @default true */
  readonly metrics?: boolean;
}

/**
 * Turn the events of `bus` into spans and metrics until the returned handle is disposed (spans
 * still open then are ended).
 *
 * @example
 * ```ts
 * import { Runtime } from 'warden/runtime';
 * import { instrument } from 'warden/otel';
 *
 * const rt = new Runtime();
 * const telemetry = instrument(rt.events, { runtime: rt });
 * // ... supervisors, durable hosts and model clients on rt.events ...
 * telemetry.dispose();
 * ```
 */
export function instrument(bus: EventBus, options: InstrumentOptions = {}): Disposable {
  const parts: Disposable[] = [];
  if (options.traces !== false) parts.push(new TraceBridge(bus, options));
  if (options.metrics !== false) parts.push(new MetricsBridge(bus, options));
  return disposable(() => {
    for (const p of parts) p.dispose();
  });
}
