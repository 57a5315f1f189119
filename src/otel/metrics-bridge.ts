/**
 * Metrics built from the one event stream, through the OpenTelemetry metrics API (a no-op until
 * an SDK registers a meter provider, or given one). Counters and histograms are recorded as the
 * events arrive; gauges report what the events last said, or read the parts they were given
 * (budgets, a runtime's mailboxes, queue lengths) when a reader collects.
 *
 * | metric | kind | attributes |
 * |---|---|---|
 * | `warden.supervisor.restarts` | counter | `warden.supervisor.name`, `warden.child.id` |
 * | `warden.supervisor.exits` | counter | the same, `warden.exit.abnormal` |
 * | `warden.child.mtbf`, `warden.child.mttr` | gauge, s | the same |
 * | `warden.supervisor.mtbf`, `warden.supervisor.mttr` | gauge, s | `warden.supervisor.name` |
 * | `warden.breaker.state` | gauge: 0 closed, 1 half-open, 2 open, 3 isolated | `warden.breaker.name` |
 * | `warden.budget.spent`, `warden.budget.remaining` | gauge | `warden.budget.scope`, `warden.budget.unit` |
 * | `gen_ai.client.token.usage` | histogram, tokens | `gen_ai.provider.name`, `gen_ai.request.model`, `gen_ai.token.type` |
 * | `gen_ai.client.operation.duration` | histogram, s | `gen_ai.provider.name`, `gen_ai.request.model`, `error.type` on failures |
 * | `warden.llm.cost` | counter, USD | `gen_ai.provider.name`, `gen_ai.request.model` |
 * | `warden.durable.steps` | counter | `warden.step.kind`, `warden.step.outcome` (`ok`, `error`, `replayed`) |
 * | `warden.durable.runs` | counter | `warden.run.status` (`started`, `resumed`, `completed`, `failed`, `suspended`, `cancelled`) |
 * | `warden.dlq.letters` | counter | `warden.dlq.event` (`added`, `replayed`, `discarded`) |
 * | `warden.memory.writes` | counter | `warden.memory.backend`, `warden.memory.tool` |
 * | `warden.runtime.mailbox.messages` | gauge | `warden.process` (its registered name or label; unnamed processes summed as `other`) |
 * | `warden.runtime.processes` | gauge | |
 * | `warden.queue.depth` | gauge | `warden.queue` |
 *
 * MTBF and MTTR are the health layer's figures (warden/health's `ReliabilityTracker`, fed from
 * the same bus): per child, time up / failures and repair time / repairs; per supervisor, time
 * observed / failures among its children. Neither is reported before there is something to
 * divide by.
 */
import { metrics, type Attributes, type Meter, type MeterProvider, type ObservableResult } from '@opentelemetry/api';
import { ReliabilityTracker } from '../health/index.ts';
import type { Budget } from '../resilience/index.ts';
import { isNormalExit, type Clock, type Disposable, type EventBus, type Runtime, type WardenEvent, type WardenEventType } from '../runtime/index.ts';
import { GEN_AI, WARDEN } from './attributes.ts';

export interface MetricsBridgeOptions {
  /** Where metrics go. @default the global meter provider (a no-op until an SDK registers one) */
  readonly meterProvider?: MeterProvider;
  /** Budgets whose spend and remaining allowance are reported (`warden.budget.*`) when collected. @default none */
  readonly budgets?: readonly Budget[];
  /** A runtime whose mailbox sizes and process count are reported when collected. @default none */
  readonly runtime?: Runtime;
  /** Queues whose lengths are reported (`warden.queue.depth`), by name. @default none */
  readonly queues?: Readonly<Record<string, () => number>>;
  /** The clock MTBF's time up runs to when collected. @default the time of the last supervisor event */
  readonly clock?: Clock;
}

const BREAKER_STATE = { closed: 0, half_open: 1, open: 2, isolated: 3 } as const;

type Handlers = { readonly [K in WardenEventType]?: (event: WardenEvent<K>) => void };

export class MetricsBridge implements Disposable {
  private readonly meter: Meter;
  private readonly subscriptions: Disposable[];
  private readonly breakers = new Map<string, number>();
  private readonly spent = new Map<string, { scope: string; total: Readonly<Record<string, number>> }>();
  private readonly reliability: ReliabilityTracker;
  private readonly options: MetricsBridgeOptions;
  private readonly removeCallbacks: (() => void)[] = [];

  constructor(bus: EventBus, options: MetricsBridgeOptions = {}) {
    this.options = options;
    this.meter = (options.meterProvider ?? metrics.getMeterProvider()).getMeter('warden');
    this.reliability = new ReliabilityTracker(bus, options.clock);
    this.observeGauges();
    const handlers = this.handlers();
    this.subscriptions = Object.entries(handlers).map(([type, handler]) => bus.on(type as WardenEventType, handler as (e: WardenEvent) => void));
  }

  dispose(): void {
    for (const s of this.subscriptions) s.dispose();
    this.reliability.dispose();
    for (const remove of this.removeCallbacks) remove();
  }

  [Symbol.dispose](): void {
    this.dispose();
  }

  private handlers(): Handlers {
    const m = this.meter;
    const restarts = m.createCounter('warden.supervisor.restarts', { description: 'Children restarted by their supervisor' });
    const exits = m.createCounter('warden.supervisor.exits', { description: 'Children that exited on their own (crash, normal end, kill)' });
    const tokens = m.createHistogram('gen_ai.client.token.usage', { unit: '{token}', description: 'Tokens used per model attempt' });
    const duration = m.createHistogram('gen_ai.client.operation.duration', { unit: 's', description: 'Duration of each model attempt' });
    const cost = m.createCounter('warden.llm.cost', { unit: 'USD', description: 'What model attempts cost, from the pricing table' });
    const steps = m.createCounter('warden.durable.steps', { description: 'Durable steps and effects, by outcome (replayed: answered from the journal)' });
    const runs = m.createCounter('warden.durable.runs', { description: 'Durable run transitions, by status' });
    const letters = m.createCounter('warden.dlq.letters', { description: 'Dead letters added, replayed and discarded' });
    const writes = m.createCounter('warden.memory.writes', { description: 'Durable memory-graph writes' });
    const run = (status: string) => () => runs.add(1, { 'warden.run.status': status });
    const model = (e: { provider: string; model: string }): Attributes => ({ [GEN_AI.provider]: e.provider, [GEN_AI.requestModel]: e.model });
    return {
      'supervisor.child_restarted': (e) => restarts.add(1, { [WARDEN.supervisor]: e.name, [WARDEN.child]: e.childId }),
      'supervisor.child_exited': (e) => exits.add(1, { [WARDEN.supervisor]: e.name, [WARDEN.child]: e.childId, [WARDEN.abnormal]: !isNormalExit(e.reason) }),
      'breaker.state_changed': (e) => {
        this.breakers.set(e.breaker, BREAKER_STATE[e.to]);
      },
      'budget.spent': (e) => {
        this.spent.set(e.scope, { scope: e.scope, total: e.total });
      },
      'llm.response': (e) => {
        tokens.record(e.usage.inputTokens, { ...model(e), [GEN_AI.tokenType]: 'input' });
        tokens.record(e.usage.outputTokens, { ...model(e), [GEN_AI.tokenType]: 'output' });
        duration.record(e.durationMs / 1000, model(e));
        if (e.costUsd !== undefined && e.costUsd > 0) cost.add(e.costUsd, model(e));
      },
      'llm.attempt_failed': (e) => {
        duration.record(e.durationMs / 1000, { ...model(e), 'error.type': e.error.code ?? e.error.name });
      },
      'run.step_completed': (e) => steps.add(1, { [WARDEN.kind]: e.kind, 'warden.step.outcome': e.outcome }),
      'run.step_replayed': () => steps.add(1, { 'warden.step.outcome': 'replayed' }),
      'run.started': run('started'),
      'run.resumed': run('resumed'),
      'run.completed': run('completed'),
      'run.failed': run('failed'),
      'run.suspended': run('suspended'),
      'run.cancelled': run('cancelled'),
      'dlq.added': () => letters.add(1, { 'warden.dlq.event': 'added' }),
      'dlq.replayed': () => letters.add(1, { 'warden.dlq.event': 'replayed' }),
      'dlq.discarded': () => letters.add(1, { 'warden.dlq.event': 'discarded' }),
      'memory.write': (e) => writes.add(1, { 'warden.memory.backend': e.backend, 'warden.memory.tool': e.tool }),
    };
  }

  /** The gauges, each read when a reader collects. */
  private observeGauges(): void {
    const m = this.meter;
    const gauge = (name: string, description: string, unit: string | undefined, observe: (result: ObservableResult) => void): void => {
      const g = m.createObservableGauge(name, { description, ...(unit === undefined ? {} : { unit }) });
      g.addCallback(observe);
      this.removeCallbacks.push(() => g.removeCallback(observe));
    };
    const figures = (pick: (f: { mtbfMs: number | null; mttrMs: number | null }) => number | null) => (r: ObservableResult) => {
      const report = this.reliability.report();
      for (const c of report.children) {
        const ms = pick(c);
        if (ms !== null) r.observe(ms / 1000, { [WARDEN.supervisor]: c.supervisor, [WARDEN.child]: c.childId });
      }
    };
    const supervisorFigures = (pick: (f: { mtbfMs: number | null; mttrMs: number | null }) => number | null) => (r: ObservableResult) => {
      for (const s of this.reliability.report().supervisors) {
        const ms = pick(s);
        if (ms !== null) r.observe(ms / 1000, { [WARDEN.supervisor]: s.name });
      }
    };
    gauge(
      'warden.child.mtbf',
      'Mean time between failures of a supervised child: time up / failures',
      's',
      figures((f) => f.mtbfMs),
    );
    gauge(
      'warden.child.mttr',
      'Mean time to repair a supervised child: time down until its restart / repairs',
      's',
      figures((f) => f.mttrMs),
    );
    gauge(
      'warden.supervisor.mtbf',
      "Mean time between failures among a supervisor's children",
      's',
      supervisorFigures((f) => f.mtbfMs),
    );
    gauge(
      'warden.supervisor.mttr',
      "Mean time to repair a supervisor's children",
      's',
      supervisorFigures((f) => f.mttrMs),
    );
    gauge('warden.breaker.state', 'Circuit breaker state: 0 closed, 1 half-open, 2 open, 3 isolated', undefined, (r) => {
      for (const [breaker, state] of this.breakers) r.observe(state, { [WARDEN.breaker]: breaker });
    });
    gauge('warden.budget.spent', 'What a budget scope has spent, by unit', undefined, (r) => {
      const seen = new Set<string>();
      for (const b of this.options.budgets ?? []) {
        seen.add(b.scope);
        for (const [unit, value] of Object.entries(b.spending)) r.observe(value, { 'warden.budget.scope': b.scope, 'warden.budget.unit': unit });
      }
      for (const { scope, total } of this.spent.values()) {
        if (seen.has(scope)) continue;
        for (const [unit, value] of Object.entries(total)) r.observe(value, { 'warden.budget.scope': scope, 'warden.budget.unit': unit });
      }
    });
    gauge('warden.budget.remaining', 'What a budget scope may still spend, by capped unit', undefined, (r) => {
      for (const b of this.options.budgets ?? []) {
        const spending = b.spending as Readonly<Record<string, number>>;
        for (const [unit, limit] of Object.entries(b.config.limits)) {
          if (typeof limit === 'number') r.observe(Math.max(0, limit - (spending[unit] ?? 0)), { 'warden.budget.scope': b.scope, 'warden.budget.unit': unit });
        }
      }
    });
    const rt = this.options.runtime;
    if (rt !== undefined) {
      gauge('warden.runtime.mailbox.messages', 'Messages waiting in process mailboxes', undefined, (r) => {
        const byName = new Map<string, number>();
        for (const pid of rt.processes()) {
          const info = rt.info(pid);
          if (info === undefined) continue;
          const name = info.name ?? info.label ?? 'other';
          byName.set(name, (byName.get(name) ?? 0) + info.messageQueueLength);
        }
        for (const [name, n] of byName) r.observe(n, { 'warden.process': name });
      });
      gauge('warden.runtime.processes', 'Live processes', undefined, (r) => r.observe(rt.processCount));
    }
    const queues = this.options.queues;
    if (queues !== undefined) {
      gauge('warden.queue.depth', 'Items waiting in a queue', undefined, (r) => {
        for (const [name, length] of Object.entries(queues)) r.observe(length(), { 'warden.queue': name });
      });
    }
  }
}
