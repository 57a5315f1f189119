/**
 * Circuit breakers whose state is shared by every node: the `BreakerSharing` adapter a node
 * hands each of its breakers (`cluster.breaker(options)` wires one in).
 *
 * - A transition a breaker makes itself (opened, closed, isolated) is written to its row in
 *   `warden_cluster_breakers`, bumping the row's version, and sent with `NOTIFY` in the same
 *   transaction. Publications of one breaker leave this node one after another, so they are
 *   versioned in the order they were made.
 * - Each node adopts a state whose version is newer than the last one it saw, from the
 *   notification (milliseconds) or, if that was missed, from polling the rows every `pollMs`.
 *   So a node that opens a breaker makes the others refuse within `pollMs` at worst.
 * - A half-open probe takes a slot: under the breaker row's lock (`SELECT ... FOR UPDATE`), a
 *   probe row is inserted only while fewer than `halfOpenMaxProbes` exist, so the dependency
 *   never sees more probes than that from the whole cluster. A probe's row is deleted when it
 *   settles, or when its node is declared dead.
 * - Trip counts (consecutive failures, failure rate) stay per node: each node trips on what it
 *   sees, and its opening then holds for all.
 */
import { randomUUID } from 'node:crypto';
import type { BreakerSharing, BreakerState, SharedBreakerLink } from '../resilience/index.ts';
import type { Clock, EventBus } from '../runtime/index.ts';
import type { SqlAccess } from '../store/internal.ts';
import type { ClusterChannel } from './channel.ts';

/** A breaker state on the channel. */
export interface BreakerNotice {
  readonly k: 'breaker';
  /** The adapter that published it (so its own breaker does not adopt it again). */
  readonly from: string;
  readonly name: string;
  readonly version: number;
  readonly state: BreakerState;
}

interface Attached {
  readonly id: string;
  readonly link: SharedBreakerLink;
  /** Newest version this breaker has (made or adopted). */
  version: number;
  /** Publications not yet written, in order. */
  publishing: Promise<void>;
}

export interface SharedBreakersDeps {
  readonly sql: SqlAccess;
  readonly channel: () => ClusterChannel;
  readonly clock: Clock;
  readonly bus: EventBus | undefined;
  readonly node: string;
}

export class SharedBreakers {
  private readonly deps: SharedBreakersDeps;
  private readonly attached = new Map<string, Set<Attached>>();
  private adapters = 0;

  constructor(deps: SharedBreakersDeps) {
    this.deps = deps;
  }

  /** A new adapter for one breaker. */
  sharing(): BreakerSharing {
    const id = `${this.deps.node}/${++this.adapters}`;
    let me: Attached | undefined;
    return {
      attach: (link) => {
        if (me !== undefined) throw new Error('a BreakerSharing serves one breaker; ask the cluster for another');
        me = { id, link, version: 0, publishing: Promise.resolve() };
        let set = this.attached.get(link.name);
        if (set === undefined) this.attached.set(link.name, (set = new Set()));
        set.add(me);
        void this.pollOne(me);
      },
      publish: (state) => {
        const a = me!;
        a.publishing = a.publishing.then(() => this.publish(a, state)).catch((error: unknown) => this.failed('breaker publish', error));
      },
      acquireProbe: (maxProbes) => this.acquireProbe(me!.link.name, maxProbes),
    };
  }

  /** A notification arrived. */
  received(n: BreakerNotice): void {
    const set = this.attached.get(n.name);
    if (set === undefined) return;
    for (const a of set) if (a.id !== n.from) this.offer(a, n.version, n.state);
  }

  /** Read every attached breaker's row and adopt newer states (the fallback for missed notifications). */
  async poll(): Promise<void> {
    const names = [...this.attached.keys()];
    if (names.length === 0) return;
    const rows = await this.deps.sql.read<{ name: string; version: string | number; state: string }>(
      'SELECT name, version, state FROM warden_cluster_breakers WHERE name = ANY(?)',
      [names],
    );
    for (const r of rows) for (const a of this.attached.get(r.name) ?? []) this.offer(a, Number(r.version), JSON.parse(r.state) as BreakerState);
  }

  /** Stop sharing: nothing is published or adopted afterwards. Waits for publications under way. */
  async close(): Promise<void> {
    const pending = [...this.attached.values()].flatMap((s) => [...s].map((a) => a.publishing));
    this.attached.clear();
    await Promise.all(pending);
  }

  private async pollOne(a: Attached): Promise<void> {
    try {
      const rows = await this.deps.sql.read<{ version: string | number; state: string }>('SELECT version, state FROM warden_cluster_breakers WHERE name = ?', [
        a.link.name,
      ]);
      const r = rows[0];
      if (r !== undefined) this.offer(a, Number(r.version), JSON.parse(r.state) as BreakerState);
    } catch (error) {
      this.failed('breaker poll', error);
    }
  }

  private offer(a: Attached, version: number, state: BreakerState): void {
    if (version <= a.version) return;
    a.version = version;
    a.link.adopt(state);
  }

  private async publish(a: Attached, state: BreakerState): Promise<void> {
    const { sql, clock } = this.deps;
    const name = a.link.name;
    const text = JSON.stringify(state);
    const version = await sql.transaction(async (c) => {
      const rows = await c.all<{ version: string | number }>(
        `INSERT INTO warden_cluster_breakers (name, version, state, updated_by, updated_at) VALUES (?, 1, ?, ?, ?)
         ON CONFLICT (name) DO UPDATE SET version = warden_cluster_breakers.version + 1, state = excluded.state,
           updated_by = excluded.updated_by, updated_at = excluded.updated_at
         RETURNING version`,
        [name, text, this.deps.node, Math.floor(clock.now())],
      );
      const v = Number(rows[0]!.version);
      const notice: BreakerNotice = { k: 'breaker', from: a.id, name, version: v, state };
      await this.deps.channel().notify(notice, c);
      return v;
    });
    if (version > a.version) a.version = version;
  }

  private async acquireProbe(name: string, maxProbes: number): Promise<(() => void) | undefined> {
    const { sql, clock, node } = this.deps;
    const id = randomUUID();
    const taken = await sql.transaction(async (c) => {
      await c.run(
        `INSERT INTO warden_cluster_breakers (name, version, state, updated_by, updated_at) VALUES (?, 0, 'null', ?, ?) ON CONFLICT (name) DO NOTHING`,
        [name, node, Math.floor(clock.now())],
      );
      await c.all('SELECT name FROM warden_cluster_breakers WHERE name = ? FOR UPDATE', [name]);
      const rows = await c.all<{ n: string | number }>('SELECT COUNT(*) AS n FROM warden_cluster_breaker_probes WHERE breaker = ?', [name]);
      if (Number(rows[0]!.n) >= maxProbes) return false;
      await c.run('INSERT INTO warden_cluster_breaker_probes (id, breaker, node, taken_at) VALUES (?, ?, ?, ?)', [id, name, node, Math.floor(clock.now())]);
      return true;
    });
    if (!taken) return undefined;
    return () => {
      sql.read('DELETE FROM warden_cluster_breaker_probes WHERE id = ?', [id]).catch((error: unknown) => this.failed('breaker probe release', error));
    };
  }

  private failed(what: string, error: unknown): void {
    const bus = this.deps.bus;
    if (bus?.wants('cluster.sync_failed')) bus.emit({ type: 'cluster.sync_failed', node: this.deps.node, what, error });
  }
}
