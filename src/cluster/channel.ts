/**
 * A node's notification channel: one dedicated connection (outside the store's pool) that
 * `LISTEN`s on the cluster's channel, and `notify` for sending on it from any connection. The
 * channel's name comes from the schema (`warden_cluster_` + a hash of `current_schema()`),
 * since Postgres channels are database-wide and several Wardens may share a database, each in
 * its own schema.
 *
 * Delivery is Postgres': a `NOTIFY` sent inside a transaction goes out when it commits, to every
 * listening session (this node's too), at most once, and a node that is not connected at that
 * moment never gets it. So what must not be missed (breaker states) is also in a table that
 * nodes poll; a lost connection is reported (`cluster.sync_failed`) and re-opened after
 * `reconnectMs`. A payload must stay under Postgres' 8000 bytes: see {@link NOTIFY_LIMIT_BYTES}.
 */
import type { Clock, EventBus, Timer } from '../runtime/index.ts';
import type { DedicatedConn, SqlAccess, SqlConn } from '../store/internal.ts';

/** Largest notification we send as it is (Postgres refuses 8000 bytes and more; room left for the envelope). */
export const NOTIFY_LIMIT_BYTES = 7_500;

export interface ChannelDeps {
  readonly sql: SqlAccess;
  readonly clock: Clock;
  readonly bus: EventBus | undefined;
  readonly node: string;
  readonly reconnectMs: number;
  /** Called with each notification's payload, parsed; one that is not JSON is dropped. */
  readonly onMessage: (message: unknown) => void;
}

export class ClusterChannel {
  readonly name: string;
  private readonly deps: ChannelDeps;
  private conn: DedicatedConn | undefined;
  private retry: Timer | undefined;
  private closed = false;

  private constructor(name: string, deps: ChannelDeps) {
    this.name = name;
    this.deps = deps;
  }

  /** Find the channel's name and start listening; rejects if the first connection cannot be made. */
  static async open(deps: ChannelDeps): Promise<ClusterChannel> {
    const rows = await deps.sql.read<{ c: string }>("SELECT 'warden_cluster_' || substr(md5(current_schema()), 1, 16) AS c");
    const channel = new ClusterChannel(rows[0]!.c, deps);
    await channel.connect();
    return channel;
  }

  /** Send `message` (JSON) on the channel through `conn` (a transaction's, so it goes out on commit) or the pool. */
  async notify(message: unknown, conn?: SqlConn): Promise<void> {
    const payload = JSON.stringify(message);
    if (conn !== undefined) await conn.all('SELECT pg_notify(?, ?)', [this.name, payload]);
    else await this.deps.sql.read('SELECT pg_notify(?, ?)', [this.name, payload]);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.retry?.cancel();
    const conn = this.conn;
    this.conn = undefined;
    await conn?.close();
  }

  private async connect(): Promise<void> {
    const conn = await this.deps.sql.dedicated!();
    conn.onNotification((_channel, payload) => {
      let message: unknown;
      try {
        message = JSON.parse(payload);
      } catch {
        return;
      }
      this.deps.onMessage(message);
    });
    conn.onError((error) => {
      if (this.conn !== conn) return;
      this.conn = undefined;
      this.failed(error);
    });
    try {
      await conn.query(`LISTEN ${this.name}`);
    } catch (e) {
      await conn.close();
      throw e;
    }
    if (this.closed) {
      await conn.close();
      return;
    }
    this.conn = conn;
  }

  private failed(error: unknown): void {
    const { bus, node, clock, reconnectMs } = this.deps;
    if (bus?.wants('cluster.sync_failed')) bus.emit({ type: 'cluster.sync_failed', node, what: 'listen', error });
    if (this.closed) return;
    this.retry = clock.setTimer(reconnectMs, () => {
      this.connect().catch((e: unknown) => this.failed(e));
    });
  }
}
