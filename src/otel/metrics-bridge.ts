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
 * MTBF and MTTR are computed here from the supervisor's events, per child: MTBF is the mean time
 * between two abnormal exits, MTTR the mean time from an abnormal exit to the restart that
 * follows it. Neither is reported before there is something to average.
 */
import { metrics, type Attributes, type Meter, type MeterProvider, type ObservableResult } from '@opentelemetry/api';
import type { Budget } from '../resilience/index.ts';
import { isNormalExit, type Disposable, type EventBus, type Runtime, type WardenEvent, type WardenEventType } from '../runtime/index.ts';
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
}

const BREAKER_STATE = { closed: 0, half_open: 1, open: 2, isolated: 3 } as const;

/** What the supervisor's events said about one child, for MTBF and MTTR. */
interface ChildHealth {
  readonly attributes: Attributes;
  failures: number;
  firstFailureAt: number;
  lastFailureAt: number;
  /** An abnormal exit not yet followed by a restart. */
  downSince: number | undefined;
  repairs: number;
  repairMs: number;
}

type Handlers = { readonly [K in WardenEventType]?: (event: WardenEvent<K>) => void };

export class MetricsBridge implements Disposable {
  private readonly meter: Meter;
  private readonly subscriptions: Disposable[];
  private readonly breakers = new Map<string, number>();
  private readonly spent = new Map<string, { scope: string; total: Readonly<Record<string, number>> }>();
  private readonly health = new Map<string, ChildHealth>();
  private readonly options: MetricsBridgeOptions;
  private readonly removeCallbacks: (() => void)[] = [];

  constructor(bus: EventBus, options: MetricsBridgeOptions = {}) {
    this.options = options;
    this.meter = (options.meterProvider ?? metrics.getMeterProvider()).getMeter('warden');
    this.observeGauges();
    const handlers = this.handlers();
    this.subscriptions = Object.entries(handlers).map(([type, handler]) => bus.on(type as WardenEventType, handler as (e: WardenEvent) => void));
  }

  dispose(): void {
    for (const s of this.subscriptions) s.dispose();
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
      'supervisor.child_restarted': (e) => {
        const attributes = { [WARDEN.supervisor]: e.name, [WARDEN.child]: e.childId };
        restarts.add(1, attributes);
        const h = this.health.get(`${e.name}\u0000${e.childId}`);
        if (h?.downSince !== undefined) {
          h.repairs++;
          h.repairMs += e.at - h.downSince;
          h.downSince = undefined;
        }
      },
      'supervisor.child_exited': (e) => {
        const abnormal = !isNormalExit(e.reason);
        exits.add(1, { [WARDEN.supervisor]: e.name, [WARDEN.child]: e.childId, [WARDEN.abnormal]: abnormal });
        if (abnormal) this.failed(e.name, e.childId, e.at);
      },
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

  private failed(supervisor: string, childId: string, at: number): void {
    const key = `${supervisor}\u0000${childId}`;
    let h = this.health.get(key);
    if (h === undefined) {
      h = {
        attributes: { [WARDEN.supervisor]: supervisor, [WARDEN.child]: childId },
        failures: 0,
        firstFailureAt: at,
        lastFailureAt: at,
        downSince: undefined,
        repairs: 0,
        repairMs: 0,
      };
      this.health.set(key, h);
    }
    h.failures++;
    h.lastFailureAt = at;
    h.downSince = at;
  }

  /** The gauges, each read when a reader collects. */
  private observeGauges(): void {
    const m = this.meter;
    const gauge = (name: string, description: string, unit: string | undefined, observe: (result: ObservableResult) => void): void => {
      const g = m.createObservableGauge(name, { description, ...(unit === undefined ? {} : { unit }) });
      g.addCallback(observe);
      this.removeCallbacks.push(() => g.removeCallback(observe));
    };
    gauge('warden.child.mtbf', 'Mean time between abnormal exits of a supervised child', 's', (r) => {
      for (const h of this.health.values()) if (h.failures >= 2) r.observe((h.lastFailureAt - h.firstFailureAt) / (h.failures - 1) / 1000, h.attributes);
    });
    gauge('warden.child.mttr', 'Mean time from an abnormal exit of a supervised child to its restart', 's', (r) => {
      for (const h of this.health.values()) if (h.repairs > 0) r.observe(h.repairMs / h.repairs / 1000, h.attributes);
    });
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
