/**
 * A node of a Warden cluster: many processes (on one machine or many) sharing one Postgres
 * database. `joinCluster` registers the node, then it heartbeats every `heartbeatMs` on the
 * injected clock; each heartbeat also declares dead any node quiet past its `deadAfterMs`
 * (membership.ts: once, by one survivor). Through the node, breakers and budgets are shared
 * (`cluster.breaker()`, `cluster.budget()`) and messages reach every node (`cluster.pubsub`).
 *
 * One dedicated connection per node listens for notifications (channel.ts); everything else uses
 * the store's pool. Timers are armed one at a time, the next only after the last one's work is
 * done, so a slow database never piles them up. `leave()` marks the node `left`, stops its
 * timers and closes its listening connection; the store stays open (it is the caller's).
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { Budget, CircuitBreaker, type BreakerOptions, type BreakerSharing, type BudgetOptions } from '../resilience/index.ts';
import { realClock, type Clock, type EventBus, type Timer } from '../runtime/index.ts';
import type { Json, Store } from '../store/index.ts';
import { openLayerTables, type SqlAccess } from '../store/internal.ts';
import { ClusterChannel } from './channel.ts';
import { ClusterNeedsPostgresError } from './errors.ts';
import './events.ts';
import { declareDead, markLeft, readNodes, registerNode, writeHeartbeat, type ClusterNode, type DeclaredDead } from './membership.ts';
import { checkClusterOptions, type CheckedClusterOptions, type ClusterOptions } from './options.ts';
import { ClusterPubSub, type MessageNotice } from './pubsub.ts';
import { SharedBreakers, type BreakerNotice } from './shared-breaker.ts';
import { SharedBudgets, type SharedSpend } from './shared-budget.ts';
import { CLUSTER_TABLES } from './tables.ts';

/** The store's SQL access, if it is Postgres; else `ClusterNeedsPostgresError`. */
export async function clusterTablesOf(store: Store): Promise<SqlAccess> {
  if (store.info.kind !== 'postgres') throw new ClusterNeedsPostgresError(store.info.location, store.info.kind === 'sqlite' ? 'SQLite' : store.info.kind);
  return openLayerTables(store, CLUSTER_TABLES);
}

/**
 * Join the cluster in `options.store` (Postgres) as a new node. Throws `InvalidSpecError` for a
 * bad option, `ClusterNeedsPostgresError` for a store that is not Postgres, and the store's
 * errors when the database cannot be reached.
 */
export async function joinCluster(options: ClusterOptions): Promise<Cluster> {
  const o = checkClusterOptions(options);
  const sql = await clusterTablesOf(o.store);
  const cluster = new Cluster(o, sql);
  await cluster.start();
  return cluster;
}

export class Cluster {
  /** This node: its id (unique, never reused) and name. */
  readonly node: { readonly id: string; readonly name: string };
  readonly clock: Clock;
  /** Pub/sub across every node of the cluster. */
  readonly pubsub: ClusterPubSub;
  private readonly options: CheckedClusterOptions;
  private readonly sql: SqlAccess;
  private readonly bus: EventBus | undefined;
  private readonly breakers: SharedBreakers;
  private readonly budgets: SharedBudgets;
  private channelOrUndefined: ClusterChannel | undefined;
  private heartbeatTimer: Timer | undefined;
  private pollTimer: Timer | undefined;
  private heartbeating: Promise<void> | undefined;
  private polling: Promise<void> | undefined;
  private stopped = false;
  private expelled = false;

  /** @hidden Use {@link joinCluster}. */
  constructor(options: CheckedClusterOptions, sql: SqlAccess) {
    this.options = options;
    this.sql = sql;
    this.clock = options.clock ?? realClock;
    this.bus = options.bus;
    this.node = Object.freeze({ id: `${randomBytes(6).toString('hex')}`, name: options.name });
    const deps = { sql, clock: this.clock, bus: this.bus, node: this.node.id, channel: () => this.channel };
    this.breakers = new SharedBreakers(deps);
    this.budgets = new SharedBudgets(sql, this.clock, this.node.id);
    this.pubsub = new ClusterPubSub({ ...deps, retainMs: options.messageRetainMs });
  }

  private get channel(): ClusterChannel {
    if (this.channelOrUndefined === undefined) throw new Error(`cluster node ${this.node.name}: not started, or it has left`);
    return this.channelOrUndefined;
  }

  /** @hidden Register, start listening and arm the timers. */
  async start(): Promise<void> {
    this.channelOrUndefined = await ClusterChannel.open({
      sql: this.sql,
      clock: this.clock,
      bus: this.bus,
      node: this.node.id,
      reconnectMs: this.options.pollMs,
      onMessage: (m) => this.received(m),
    });
    try {
      await registerNode(this.sql, {
        id: this.node.id,
        name: this.node.name,
        host: hostname(),
        pid: process.pid,
        now: Math.floor(this.clock.now()),
        deadAfterMs: this.options.deadAfterMs,
        summary: await this.summary(),
      });
    } catch (e) {
      await this.channel.close();
      throw e;
    }
    if (this.bus?.wants('cluster.node_joined')) this.bus.emit({ type: 'cluster.node_joined', node: this.node.id, name: this.node.name });
    this.armHeartbeat();
    this.armPoll();
  }

  /** A circuit breaker whose state is shared with every node (its `sharing` is this cluster's; clock and bus default to the node's). */
  breaker(options: Omit<BreakerOptions, 'sharing'> = {}): CircuitBreaker {
    return new CircuitBreaker({
      ...(this.clock === realClock ? {} : { clock: this.clock }),
      ...(this.bus === undefined ? {} : { bus: this.bus }),
      ...options,
      sharing: this.breakerSharing(),
    });
  }

  /** The adapter that shares one breaker's state through this cluster (one per breaker). */
  breakerSharing(): BreakerSharing {
    return this.breakers.sharing();
  }

  /** A budget scope whose spend is counted across every node (`run`/`execute` reserve in the shared ledger). */
  budget(options: Omit<BudgetOptions, 'ledger'>): Budget {
    return new Budget({
      ...(this.clock === realClock ? {} : { clock: this.clock }),
      ...(this.bus === undefined ? {} : { bus: this.bus }),
      ...options,
      ledger: this.budgets,
    });
  }

  /** The shared ledger itself, for `new Budget({ ledger })`. */
  get ledger(): SharedBudgets {
    return this.budgets;
  }

  /** A budget scope's shared totals (its path, as `budget.scope` gives it). */
  spending(scope: string): Promise<SharedSpend> {
    return this.budgets.spending(scope);
  }

  /** Every node that has joined, with its liveness now. */
  nodes(): Promise<ClusterNode[]> {
    return readNodes(this.sql, Math.floor(this.clock.now()));
  }

  /**
   * Heartbeat now, then declare dead the nodes quiet past their timeout (what the timer does
   * every `heartbeatMs`). Resolves with the nodes this node declared dead.
   */
  async heartbeat(): Promise<DeclaredDead[]> {
    if (this.stopped || this.expelled) return [];
    const alive = await writeHeartbeat(this.sql, this.node.id, Math.floor(this.clock.now()), await this.summary());
    if (!alive) {
      if (!this.stopped && !this.expelled) {
        this.expelled = true;
        this.heartbeatTimer?.cancel();
        if (this.bus?.wants('cluster.node_expelled')) this.bus.emit({ type: 'cluster.node_expelled', node: this.node.id, name: this.node.name });
      }
      return [];
    }
    return this.sweep();
  }

  /** Declare dead every other node quiet past its timeout now; each death is declared by one node only. */
  async sweep(): Promise<DeclaredDead[]> {
    const dead = await declareDead(this.sql, this.node.id, Math.floor(this.clock.now()));
    for (const d of dead) {
      if (this.bus?.wants('cluster.node_dead')) {
        this.bus.emit({ type: 'cluster.node_dead', node: d.id, name: d.name, lastHeartbeatAt: d.lastHeartbeatAt, declaredBy: this.node.id });
      }
    }
    return dead;
  }

  /** Leave: marked `left` (not dead), timers stopped, the listening connection closed. Idempotent. */
  async leave(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.heartbeatTimer?.cancel();
    this.pollTimer?.cancel();
    await Promise.all([this.heartbeating, this.polling]);
    await this.breakers.close();
    if (!this.expelled) await markLeft(this.sql, this.node.id, Math.floor(this.clock.now()));
    await this.channelOrUndefined?.close();
    this.channelOrUndefined = undefined;
    if (this.bus?.wants('cluster.node_left')) this.bus.emit({ type: 'cluster.node_left', node: this.node.id, name: this.node.name });
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.leave();
  }

  // ---- internals ---------------------------------------------------------------------------

  private async summary(): Promise<Json> {
    const fn = this.options.summary;
    if (fn === undefined) return null;
    try {
      const s = await fn();
      return s === undefined ? null : s;
    } catch (error) {
      this.failed('summary', error);
      return null;
    }
  }

  private received(m: unknown): void {
    if (typeof m !== 'object' || m === null) return;
    const k = (m as { k?: unknown }).k;
    if (k === 'breaker') this.breakers.received(m as BreakerNotice);
    else if (k === 'msg' || k === 'msgref') this.pubsub.received(m as MessageNotice);
  }

  private armHeartbeat(): void {
    if (this.stopped || this.expelled) return;
    this.heartbeatTimer = this.clock.setTimer(this.options.heartbeatMs, () => {
      this.heartbeating = this.heartbeat()
        .then(
          () => undefined,
          (error: unknown) => this.failed('heartbeat', error),
        )
        .finally(() => this.armHeartbeat());
    });
  }

  private armPoll(): void {
    if (this.stopped) return;
    this.pollTimer = this.clock.setTimer(this.options.pollMs, () => {
      this.polling = this.breakers
        .poll()
        .catch((error: unknown) => this.failed('breaker poll', error))
        .finally(() => this.armPoll());
    });
  }

  private failed(what: string, error: unknown): void {
    if (this.bus?.wants('cluster.sync_failed')) this.bus.emit({ type: 'cluster.sync_failed', node: this.node.id, what, error });
  }
}
