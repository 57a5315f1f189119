/**
 * The span a run's trace hangs from. A durable run keeps one trace id for its whole life
 * (`run.traceId`, stored with the run), across crashes, resumptions and processes; each execution
 * of it is a span in that trace. Their common parent is the run itself, whose span id is derived
 * from the run id (the first 8 bytes of its SHA-256), so any process (the one that resumes the
 * run, the one that replays its dead letter) can name it, and link to it, from the stored run
 * alone. No exporter ever receives that parent span: backends show the executions as the
 * trace's top spans.
 */
import { createHash } from 'node:crypto';
import { ROOT_CONTEXT, TraceFlags, isSpanContextValid, trace, type Context, type SpanContext } from '@opentelemetry/api';

/** The span id a run's executions have as their parent: 16 hex digits derived from the run id. */
export function runSpanId(runId: string): string {
  const id = createHash('sha256').update(runId).digest('hex').slice(0, 16);
  return id === '0000000000000000' ? '0000000000000001' : id;
}

/** The run as a span context in the trace `traceId`; undefined when `traceId` is not a W3C trace id. */
export function runSpanContext(traceId: string, runId: string): SpanContext | undefined {
  const ctx: SpanContext = { traceId, spanId: runSpanId(runId), traceFlags: TraceFlags.SAMPLED, isRemote: true };
  return isSpanContextValid(ctx) ? ctx : undefined;
}

/** A context whose parent is the run (the root context when the trace id is not valid). */
export function runContext(traceId: string, runId: string): Context {
  const ctx = runSpanContext(traceId, runId);
  return ctx === undefined ? ROOT_CONTEXT : trace.setSpanContext(ROOT_CONTEXT, ctx);
}
