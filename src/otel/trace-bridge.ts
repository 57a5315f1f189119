/**
 * Traces built from the one event stream: every span here starts at one event and ends at a
 * later one, at the events' own times (`at`, from the injected clock), so nothing is
 * instrumented twice and a virtual clock gives virtual span times.
 *
 * - A durable run: one span per execution (`run <name>`), in the run's own trace (`run.traceId`,
 *   stored with the run), under the run's derived parent span (run-span.ts). A resumed execution
 *   is in the same trace and links to the execution it follows when this process saw it; its
 *   replayed steps are zero-length spans marked `warden.step.replayed`, with no model usage or
 *   cost on them (nothing was paid). A dead letter's replay links to the run it replays.
 * - Each step and effect that runs (`step <name>`, `effect <name>`, `execute_tool <tool>` for an
 *   agent's tool step), under its execution; a step with a retry policy has one span per attempt
 *   (`attempt <n>`; a retry is marked `warden.retry`).
 * - A model call (`chat <model>`, GenAI attributes: provider, models, tokens in and out, finish
 *   reasons; `warden.llm.cost_usd`) under the step it is made in when the call names its run,
 *   with one span per attempt (`attempt <n> <provider>:<model>`; a retry is marked `warden.retry`)
 *   and one per fallback (`fallback <from> → <to>`).
 * - A breaker transition (`breaker <name> <from> → <to>`), an approval wait (`approval <action>`,
 *   from the request to the decision, in the run's trace) and each incarnation of a supervised
 *   child (`start <child>` / `restart <child>`, its own trace): a restarted child's new
 *   incarnation links to the one that crashed (`warden.link.reason` = `restart`).
 *
 * Only the event kinds listed here are subscribed to, so events nobody else wants are still not
 * built. Open spans are bounded (open-spans.ts).
 */
import {
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Context,
  type Link,
  type Span,
  type SpanContext,
  type Tracer,
  type TracerProvider,
} from '@opentelemetry/api';
import { isNormalExit, type Disposable, type EventBus, type WardenEvent, type WardenEventType } from '../runtime/index.ts';
import { GEN_AI, WARDEN, reasonText, safeText } from './attributes.ts';
import { OpenSpans, time } from './open-spans.ts';
import { runContext, runSpanContext } from './run-span.ts';

export interface TraceBridgeOptions {
  /** Where spans go. @default the global tracer provider (a no-op until an SDK registers one) */
  readonly tracerProvider?: TracerProvider;
  /** Open spans kept per kind (runs, steps, calls, ...) before the oldest is ended as `evicted`. @default 10000 */
  readonly maxOpenSpans?: number;
}

export const TRACER_NAME = 'warden';

interface Execution {
  readonly span: Span;
  readonly ctx: Context;
  readonly traceId: string;
  /** Steps started and not yet ended, by sequence number, newest last. */
  readonly steps: Map<number, Span>;
  /** The attempt under way of each retried step still open, by sequence number. */
  readonly attempts: Map<number, Span>;
}

interface Call {
  readonly span: Span;
  readonly ctx: Context;
  attempt: Span | undefined;
  retryAfter: string | undefined;
  finishReason: string | undefined;
  responseModel: string | undefined;
}

type Handlers = { readonly [K in WardenEventType]?: (event: WardenEvent<K>) => void };

const toolStep = /^tool#\d+\.\d+ (.+)$/s;

export class TraceBridge implements Disposable {
  private readonly tracer: Tracer;
  private readonly runs: OpenSpans<Execution>;
  private readonly calls: OpenSpans<Call>;
  private readonly approvals: OpenSpans<{ readonly span: Span }>;
  private readonly children: OpenSpans<{ readonly span: Span }>;
  /** The last incarnation of each supervised child (open or ended), to link a restart to. */
  private readonly lastIncarnation = new Map<string, SpanContext>();
  /** The last execution of each run that may be resumed (open or ended), to link its next execution to. */
  private readonly lastExecution = new Map<string, SpanContext>();
  private readonly subscriptions: Disposable[];
  private readonly maxOpen: number;

  constructor(bus: EventBus, options: TraceBridgeOptions = {}) {
    this.tracer = (options.tracerProvider ?? trace.getTracerProvider()).getTracer(TRACER_NAME);
    this.maxOpen = options.maxOpenSpans ?? 10_000;
    this.runs = new OpenSpans(this.maxOpen);
    this.calls = new OpenSpans(this.maxOpen);
    this.approvals = new OpenSpans(this.maxOpen);
    this.children = new OpenSpans(this.maxOpen);
    const handlers = this.handlers();
    this.subscriptions = Object.entries(handlers).map(([type, handler]) => bus.on(type as WardenEventType, handler as (e: WardenEvent) => void));
  }

  /** Stop listening; spans still open are ended as `telemetry stopped`. */
  dispose(): void {
    for (const s of this.subscriptions) s.dispose();
    const now = Date.now();
    for (const run of this.runs.values()) for (const step of run.steps.values()) step.end(now);
    for (const table of [this.calls, this.runs, this.approvals, this.children]) table.endAll(now, 'telemetry stopped');
  }

  [Symbol.dispose](): void {
    this.dispose();
  }

  private start(name: string, parent: Context, at: number, attributes: Attributes, extra: { kind?: SpanKind; links?: Link[] } = {}): Span {
    return this.tracer.startSpan(name, { startTime: time(at), attributes, ...extra }, parent);
  }

  /** The context new spans of run `runId` hang from: its newest open step, its execution, or the run itself. */
  private parentIn(runId: string | undefined): Context {
    if (runId === undefined) return ROOT_CONTEXT;
    const run = this.runs.get(runId);
    if (run === undefined) return ROOT_CONTEXT;
    let seq: number | undefined;
    for (const s of run.steps.keys()) seq = s;
    const span = seq === undefined ? undefined : (run.attempts.get(seq) ?? run.steps.get(seq));
    return span === undefined ? run.ctx : trace.setSpan(run.ctx, span);
  }

  private handlers(): Handlers {
    return {
      'run.started': (e) => {
        const links: Link[] = [];
        if (e.replayOf !== undefined) {
          const original = runSpanContext(e.replayOf.traceId, e.replayOf.runId ?? e.replayOf.letterId);
          if (original !== undefined)
            links.push({ context: original, attributes: { [WARDEN.linkReason]: 'dlq_replay', [WARDEN.letterId]: e.replayOf.letterId } });
        }
        this.openExecution(e.runId, e.name, e.traceId, e.at, { [WARDEN.epoch]: 1, [WARDEN.resumed]: false }, links);
      },
      'run.resumed': (e) => {
        this.endExecution(e.runId, e.at, 'superseded', `superseded by epoch ${e.epoch}`);
        const previous = this.lastExecution.get(e.runId);
        const links: Link[] = previous === undefined ? [] : [{ context: previous, attributes: { [WARDEN.linkReason]: 'resume' } }];
        this.openExecution(e.runId, e.name, e.traceId, e.at, { [WARDEN.epoch]: e.epoch, [WARDEN.resumed]: true, 'warden.run.journaled': e.journaled }, links);
      },
      'run.completed': (e) => this.endExecution(e.runId, e.at, 'completed'),
      'run.failed': (e) => this.endExecution(e.runId, e.at, 'failed', safeText(`${e.error.name}: ${e.error.message}`)),
      'run.cancelled': (e) => this.endExecution(e.runId, e.at, 'cancelled', safeText(e.reason)),
      'run.suspended': (e) => this.endExecution(e.runId, e.at, 'suspended'),
      'run.fenced': (e) =>
        this.runs.get(e.runId)?.span.addEvent('fenced', { 'warden.fenced.operation': safeText(e.operation), [WARDEN.epoch]: e.epoch }, time(e.at)),
      'run.step_started': (e) => {
        const run = this.runs.get(e.runId);
        if (run === undefined) return;
        const tool = toolStep.exec(e.step)?.[1];
        const name = tool === undefined ? `${e.kind} ${e.step}` : `execute_tool ${tool}`;
        const attributes: Attributes = { [WARDEN.runId]: e.runId, [WARDEN.step]: e.step, [WARDEN.seq]: e.seq, [WARDEN.kind]: e.kind };
        if (tool !== undefined) Object.assign(attributes, { [GEN_AI.operation]: 'execute_tool', [GEN_AI.toolName]: tool });
        run.steps.delete(e.seq);
        run.steps.set(e.seq, this.start(name, run.ctx, e.at, attributes));
      },
      'run.step_attempt': (e) => {
        const run = this.runs.get(e.runId);
        const step = run?.steps.get(e.seq);
        if (run === undefined || step === undefined) return;
        run.attempts.get(e.seq)?.end(time(e.at));
        const attributes = { [WARDEN.runId]: e.runId, [WARDEN.step]: e.step, 'warden.step.attempt': e.attempt, [WARDEN.retry]: e.attempt > 1 };
        run.attempts.set(e.seq, this.start(`attempt ${e.attempt}`, trace.setSpan(run.ctx, step), e.at, attributes));
      },
      'run.step_attempt_failed': (e) => {
        const run = this.runs.get(e.runId);
        const attempt = run?.attempts.get(e.seq);
        if (run === undefined || attempt === undefined) return;
        run.attempts.delete(e.seq);
        attempt.setAttribute('error.type', e.error.code ?? e.error.name);
        attempt.setStatus({ code: SpanStatusCode.ERROR, message: safeText(e.error.message) });
        attempt.end(time(e.at));
      },
      'run.step_completed': (e) => {
        const run = this.runs.get(e.runId);
        const span = run?.steps.get(e.seq);
        if (run === undefined || span === undefined) return;
        run.steps.delete(e.seq);
        run.attempts.get(e.seq)?.end(time(e.at));
        run.attempts.delete(e.seq);
        if (e.outcome === 'error') span.setStatus({ code: SpanStatusCode.ERROR, message: 'the step failed' });
        span.end(time(e.at));
      },
      'run.step_replayed': (e) => {
        const run = this.runs.get(e.runId);
        if (run === undefined) return;
        const tool = toolStep.exec(e.step)?.[1];
        const span = this.start(tool === undefined ? `step ${e.step}` : `execute_tool ${tool}`, run.ctx, e.at, {
          [WARDEN.runId]: e.runId,
          [WARDEN.step]: e.step,
          [WARDEN.seq]: e.seq,
          [WARDEN.replayed]: true,
        });
        span.end(time(e.at));
      },
      'effect.uncertain': (e) =>
        this.runs.get(e.runId)?.span.addEvent('effect uncertain', { 'warden.effect.name': e.effect, 'warden.effect.reconciled': e.reconciled }, time(e.at)),
      'step.uncertain': (e) =>
        this.runs
          .get(e.runId)
          ?.span.addEvent('step uncertain', { [WARDEN.step]: e.step, [WARDEN.seq]: e.seq, 'warden.step.reconciled': e.reconciled }, time(e.at)),
      'approval.requested': (e) => {
        const run = this.runs.get(e.runId);
        const parent = run === undefined ? ROOT_CONTEXT : runContext(run.traceId, e.runId);
        const span = this.start(`approval ${e.action}`, parent, e.at, {
          [WARDEN.runId]: e.runId,
          [WARDEN.approvalId]: e.approvalId,
          [WARDEN.action]: e.action,
          'warden.approval.reason': safeText(e.reason),
        });
        this.approvals.set(e.approvalId, { span }, e.at);
      },
      'approval.decided': (e) => {
        const open = this.approvals.take(e.approvalId);
        if (open === undefined) return;
        open.span.setAttributes({ [WARDEN.decision]: e.decision, [WARDEN.decidedBy]: safeText(e.by, 200) });
        open.span.end(time(e.at));
      },
      'llm.request': (e) => {
        const key = `${e.client}\u0000${e.callId}`;
        let call = this.calls.get(key);
        if (call === undefined) {
          const span = this.start(
            `chat ${e.model}`,
            this.parentIn(e.runId),
            e.at,
            {
              [GEN_AI.operation]: 'chat',
              [GEN_AI.provider]: e.provider,
              [GEN_AI.system]: e.provider,
              [GEN_AI.requestModel]: e.model,
              [WARDEN.client]: e.client,
              [WARDEN.callId]: e.callId,
              'warden.llm.stream': e.stream,
              ...(e.runId === undefined ? {} : { [WARDEN.runId]: e.runId }),
            },
            { kind: SpanKind.CLIENT },
          );
          call = { span, ctx: trace.setSpan(ROOT_CONTEXT, span), attempt: undefined, retryAfter: undefined, finishReason: undefined, responseModel: undefined };
          this.calls.set(key, call, e.at);
        }
        const retry = call.retryAfter !== undefined;
        call.attempt = this.start(
          `attempt ${e.attempt} ${e.provider}:${e.model}`,
          call.ctx,
          e.at,
          {
            [GEN_AI.provider]: e.provider,
            [GEN_AI.system]: e.provider,
            [GEN_AI.requestModel]: e.model,
            [WARDEN.attempt]: e.attempt,
            [WARDEN.level]: e.level,
            [WARDEN.retry]: retry,
            ...(retry ? { [WARDEN.retryAfter]: call.retryAfter } : {}),
            'warden.llm.resumed_stream': e.resumed,
          },
          { kind: SpanKind.CLIENT },
        );
        call.retryAfter = undefined;
      },
      'llm.retry': (e) => {
        const call = this.calls.get(`${e.client}\u0000${e.callId}`);
        if (call !== undefined) call.retryAfter = safeText(e.after.code ?? e.after.name, 100);
      },
      'llm.response': (e) => {
        const call = this.calls.get(`${e.client}\u0000${e.callId}`);
        const span = call?.attempt;
        if (call === undefined || span === undefined) return;
        call.attempt = undefined;
        call.finishReason = e.finishReason;
        call.responseModel = e.model;
        span.setAttributes({
          [GEN_AI.responseModel]: e.model,
          [GEN_AI.inputTokens]: e.usage.inputTokens,
          [GEN_AI.outputTokens]: e.usage.outputTokens,
          [GEN_AI.finishReasons]: [e.finishReason],
          'warden.llm.usage_estimated': e.usageEstimated,
          ...(e.costUsd === undefined ? {} : { [WARDEN.costUsd]: e.costUsd }),
        });
        span.end(time(e.at));
      },
      'llm.attempt_failed': (e) => {
        const call = this.calls.get(`${e.client}\u0000${e.callId}`);
        const span = call?.attempt;
        if (call === undefined || span === undefined) return;
        call.attempt = undefined;
        span.setAttributes({ 'error.type': e.error.code ?? e.error.name, 'warden.retryable': e.retryable });
        span.setStatus({ code: SpanStatusCode.ERROR, message: safeText(e.error.message) });
        span.end(time(e.at));
      },
      'llm.stream_error': (e) =>
        this.calls
          .get(`${e.client}\u0000${e.callId}`)
          ?.span.addEvent(
            'stream cut',
            { 'error.type': e.error.code ?? e.error.name, 'warden.llm.stream_action': e.action, 'warden.llm.events_received': e.eventsReceived },
            e.at,
          ),
      'llm.fallback': (e) => {
        const call = this.calls.get(`${e.client}\u0000${e.callId}`);
        if (call === undefined) return;
        const from = `${e.from.provider}:${e.from.model}`;
        const to = `${e.to.provider}:${e.to.model}`;
        this.start(`fallback ${from} → ${to}`, call.ctx, e.at, {
          'warden.fallback.from': from,
          'warden.fallback.to': to,
          'error.type': e.error.code ?? e.error.name,
        }).end(time(e.at));
      },
      'llm.completed': (e) => {
        const call = this.calls.take(`${e.client}\u0000${e.callId}`);
        if (call === undefined) return;
        call.attempt?.end(time(e.at));
        call.span.setAttributes({
          [GEN_AI.inputTokens]: e.totalUsage.inputTokens,
          [GEN_AI.outputTokens]: e.totalUsage.outputTokens,
          [WARDEN.level]: e.level,
          [WARDEN.attempts]: e.attempts,
          ...(call.responseModel === undefined ? {} : { [GEN_AI.responseModel]: call.responseModel }),
          ...(call.finishReason === undefined ? {} : { [GEN_AI.finishReasons]: [call.finishReason] }),
          ...(e.costUsd === undefined ? {} : { [WARDEN.costUsd]: e.costUsd }),
        });
        call.span.end(time(e.at));
      },
      'llm.failed': (e) => {
        const call = this.calls.take(`${e.client}\u0000${e.callId}`);
        if (call === undefined) return;
        call.attempt?.end(time(e.at));
        call.span.setAttributes({ [WARDEN.attempts]: e.attempts, 'error.type': e.error.code ?? e.error.name });
        call.span.setStatus({ code: SpanStatusCode.ERROR, message: safeText(e.error.message) });
        call.span.end(time(e.at));
      },
      'breaker.state_changed': (e) => {
        this.start(`breaker ${e.breaker} ${e.from} → ${e.to}`, ROOT_CONTEXT, e.at, {
          [WARDEN.breaker]: e.breaker,
          [WARDEN.from]: e.from,
          [WARDEN.to]: e.to,
        }).end(time(e.at));
      },
      'supervisor.child_started': (e) => this.openIncarnation(e.supervisor, e.name, e.childId, e.pid, e.at, false),
      'supervisor.child_restarted': (e) => this.openIncarnation(e.supervisor, e.name, e.childId, e.pid, e.at, true),
      'supervisor.child_exited': (e) => {
        const open = this.children.take(`${String(e.supervisor)}\u0000${e.childId}`);
        if (open === undefined) return;
        const abnormal = !isNormalExit(e.reason);
        open.span.setAttributes({ [WARDEN.exitReason]: reasonText(e.reason), [WARDEN.abnormal]: abnormal });
        if (abnormal) open.span.setStatus({ code: SpanStatusCode.ERROR, message: reasonText(e.reason) });
        open.span.end(time(e.at));
      },
      'supervisor.child_terminated': (e) => {
        const open = this.children.take(`${String(e.supervisor)}\u0000${e.childId}`);
        if (open === undefined) return;
        open.span.setAttributes({ [WARDEN.exitReason]: reasonText(e.reason), 'warden.exit.expected': e.expected });
        open.span.end(time(e.at));
      },
    };
  }

  private openExecution(runId: string, name: string, traceId: string, at: number, attributes: Attributes, links: Link[]): void {
    const span = this.start(`run ${name}`, runContext(traceId, runId), at, { [WARDEN.runId]: runId, [WARDEN.runName]: name, ...attributes }, { links });
    this.runs.set(runId, { span, ctx: trace.setSpan(ROOT_CONTEXT, span), traceId, steps: new Map(), attempts: new Map() }, at);
    remember(this.lastExecution, runId, span.spanContext(), this.maxOpen);
  }

  private endExecution(runId: string, at: number, outcome: string, error?: string): void {
    const run = this.runs.take(runId);
    if (run === undefined) return;
    for (const attempt of run.attempts.values()) attempt.end(time(at));
    for (const step of run.steps.values()) {
      step.setStatus({ code: SpanStatusCode.ERROR, message: `the run ended (${outcome}) before the step did` });
      step.end(time(at));
    }
    run.span.setAttribute(WARDEN.outcome, outcome);
    // A completed or cancelled run is never executed again: nothing will link to it.
    if (outcome === 'completed' || outcome === 'cancelled') this.lastExecution.delete(runId);
    if (error !== undefined) run.span.setStatus({ code: SpanStatusCode.ERROR, message: error });
    run.span.end(time(at));
  }

  private openIncarnation(supervisor: unknown, supervisorName: string, childId: string, pid: unknown, at: number, restart: boolean): void {
    const key = `${String(supervisor)}\u0000${childId}`;
    const previous = this.children.take(key);
    previous?.span.end(time(at));
    const before = this.lastIncarnation.get(key);
    const links: Link[] = restart && before !== undefined ? [{ context: before, attributes: { [WARDEN.linkReason]: 'restart' } }] : [];
    const span = this.start(
      `${restart ? 'restart' : 'start'} ${childId}`,
      ROOT_CONTEXT,
      at,
      { [WARDEN.supervisor]: supervisorName, [WARDEN.child]: childId, [WARDEN.pid]: String(pid), [WARDEN.restart]: restart },
      { links },
    );
    this.children.set(key, { span }, at);
    remember(this.lastIncarnation, key, span.spanContext(), this.maxOpen);
  }
}

/** Keep `value` as the newest entry of `map`, dropping the oldest beyond `capacity`. */
function remember(map: Map<string, SpanContext>, key: string, value: SpanContext, capacity: number): void {
  map.delete(key);
  map.set(key, value);
  if (map.size > capacity) map.delete(map.keys().next().value as string);
}
