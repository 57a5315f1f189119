/**
 * One measurement of one telemetry variant, in a fresh process; prints one JSON line. Run by
 * bench/otel.bench.ts:
 *
 *   node bench/otel/variant.ts <variant> <workload> <n> <dir>
 *
 * variants: `off` (nothing listens: what a program that never calls instrument() pays),
 * `no-sdk` (instrument() on the OpenTelemetry API with no SDK registered: no SDK installed, or
 * none started), `sdk-no-export` (the SDK's tracer and meter providers registered, sampling
 * everything, with no exporter or reader), `sdk-memory` (the SDK exporting every span to its
 * in-memory exporter, and a metric reader collected at the end).
 * workloads: `model` (n sequential model calls through the resilient client, as the demo makes
 * them, to the simulated server over loopback HTTP), `step` (a durable run of n steps on SQLite):
 * wall and CPU time (user + system) per operation; `model-events`, `step-events`: the events one
 * such operation emits (recorded from a real one first), emitted n times on the bus: the
 * telemetry's own work per operation, without the network and the disk around it.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { metrics, trace } from '@opentelemetry/api';
import { InMemoryMetricExporter, MeterProvider, AggregationTemporality, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { DurableHost, defineRun } from '../../src/durable/index.ts';
import { createModelClient, openaiChat } from '../../src/llm/index.ts';
import { instrument } from '../../src/otel/index.ts';
import { EventBus, Runtime, realClock, type WardenEvent, type WardenEventInput } from '../../src/runtime/index.ts';
import { startSimServer } from '../../src/sim/index.ts';
import { openSqliteStore } from '../../src/store/index.ts';

const [variant, workload, nText, dir] = process.argv.slice(2);
const n = Number(nText);
if (variant === undefined || workload === undefined || !Number.isInteger(n) || dir === undefined)
  throw new Error('usage: variant.ts <variant> <workload> <n> <dir>');
mkdirSync(dir, { recursive: true });

const spans = new InMemorySpanExporter();
const metricExporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
let reader: PeriodicExportingMetricReader | undefined;
if (variant === 'sdk-no-export' || variant === 'sdk-memory') {
  const exporting = variant === 'sdk-memory';
  trace.setGlobalTracerProvider(new TracerProvider({ spanProcessors: exporting ? [new SimpleSpanProcessor({ exporter: spans })] : [] }));
  reader = exporting ? new PeriodicExportingMetricReader({ exporter: metricExporter, exportIntervalMillis: 3_600_000 }) : undefined;
  metrics.setGlobalMeterProvider(new MeterProvider({ readers: reader === undefined ? [] : [reader] }));
} else if (variant !== 'off' && variant !== 'no-sdk') {
  throw new Error(`unknown variant ${variant}`);
}

const rt = new Runtime();
const telemetry = variant === 'off' ? undefined : instrument(rt.events, { runtime: rt });
const now = (): number => performance.now();
let perOpUs = Number.NaN;
let cpuPerOpUs = Number.NaN;
const cpu = (): number => {
  const c = process.cpuUsage();
  return c.user + c.system;
};

/** The events of one real durable step that makes one model call, as the demo's agents do. */
async function recordOneCall(): Promise<WardenEventInput[]> {
  const bus = new EventBus(realClock);
  const seen: WardenEvent[] = [];
  bus.onAny((e) => seen.push(e));
  const sim = await startSimServer({});
  const store = await openSqliteStore({ path: join(dir as string, `record-${process.pid}.db`) });
  const client = createModelClient({
    models: [openaiChat({ model: 'sim-small', apiKey: 'sk-bench', baseURL: `${sim.url}/v1`, maxOutputTokens: 64 })],
    pricing: { 'sim-small': { inputPerMTok: 0.15, outputPerMTok: 0.6 } },
    bus,
  });
  const def = defineRun('record', async (run) =>
    run.step('model#1', async () => (await client.complete({ messages: [{ role: 'user', content: 'hi' }] }, { runId: run.id })).text),
  );
  const host = new DurableHost({ store, runs: [def], bus });
  await (await host.start(def, null, { id: 'bench-run' })).result;
  await host.close();
  await store.close();
  await sim.close();
  return seen.map(({ at: _at, ...input }) => input as WardenEventInput);
}

async function replay(events: readonly WardenEventInput[]): Promise<void> {
  for (let i = 0; i < 1000; i++) for (const e of events) rt.events.emit(e); // warm-up
  const c0 = cpu();
  const t0 = now();
  for (let i = 0; i < n; i++) for (const e of events) rt.events.emit(e);
  perOpUs = ((now() - t0) * 1000) / n;
  cpuPerOpUs = (cpu() - c0) / n;
}

if (workload === 'model') {
  const sim = await startSimServer({});
  const model = openaiChat({ model: 'sim-small', apiKey: 'sk-bench', baseURL: `${sim.url}/v1`, maxOutputTokens: 64 });
  await model.loadSdk();
  const client = createModelClient({
    name: 'bench',
    models: [model],
    pricing: { 'sim-small': { inputPerMTok: 0.15, outputPerMTok: 0.6 } },
    bus: rt.events,
  });
  const ask = (i: number) => client.complete({ messages: [{ role: 'user', content: `question ${i}` }] }, { runId: 'bench-run' });
  for (let i = 0; i < 20; i++) await ask(i); // warm-up
  const c0 = cpu();
  const t0 = now();
  for (let i = 0; i < n; i++) await ask(i);
  perOpUs = ((now() - t0) * 1000) / n;
  cpuPerOpUs = (cpu() - c0) / n;
  await sim.close();
} else if (workload === 'step') {
  const store = await openSqliteStore({ path: join(dir, 'warden.db') });
  const def = defineRun('bench', async (run, count: number) => {
    for (let i = 0; i < count; i++) await run.step(`s${i}`, () => i);
    return count;
  });
  const host = new DurableHost({ store, runs: [def], bus: rt.events });
  await (await host.start(def, 20)).result; // warm-up
  const c0 = cpu();
  const t0 = now();
  await (await host.start(def, n)).result;
  perOpUs = ((now() - t0) * 1000) / n;
  cpuPerOpUs = (cpu() - c0) / n;
  await host.close();
  await store.close();
} else if (workload === 'model-events' || workload === 'step-events') {
  // The run stays open (started once); each operation is a step (with its model call).
  const recorded = await recordOneCall();
  for (const e of recorded) if (e.type === 'run.started') rt.events.emit(e);
  const step = (e: WardenEventInput): boolean => e.type === 'run.step_started' || e.type === 'run.step_completed';
  await replay(recorded.filter((e) => (workload === 'step-events' ? step(e) : step(e) || !e.type.startsWith('run.'))));
} else {
  throw new Error(`unknown workload ${workload}`);
}

await reader?.forceFlush();
telemetry?.dispose();
const exported = spans.getFinishedSpans().length;
process.stdout.write(`${JSON.stringify({ variant, workload, n, us_per_op: perOpUs, cpu_us_per_op: cpuPerOpUs, spans_exported: exported })}\n`);
