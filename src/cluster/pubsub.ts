/**
 * Pub/sub of JSON messages by topic: `InProcessPubSub` within one process, `ClusterPubSub`
 * across every node of a cluster, behind one interface, so code written against `PubSub` runs
 * alone or in a cluster unchanged.
 *
 * Across nodes a message rides a Postgres `NOTIFY` on the cluster's channel and reaches every
 * subscriber on every node (the publisher's too), at most once: a node not connected when it is
 * sent misses it (use the store's durable runs for what must not be lost). A message whose
 * notification would pass Postgres' payload limit (8000 bytes) is written to
 * `warden_cluster_messages` and its id sent instead; receivers read the row. Such rows are
 * deleted once older than `retainMs`. Each node hands messages to its subscribers one at a time,
 * in the order its connection received them.
 */
import { randomUUID } from 'node:crypto';
import { InvalidSpecError, disposable, type Clock, type Disposable, type EventBus } from '../runtime/index.ts';
import type { Json } from '../store/index.ts';
import type { SqlAccess } from '../store/internal.ts';
import { NOTIFY_LIMIT_BYTES, type ClusterChannel } from './channel.ts';

/** Who sent a message. */
export interface MessageInfo {
  readonly topic: string;
  /** The publishing node's id (`'local'` in process). */
  readonly from: string;
}

export type Subscriber = (payload: Json, info: MessageInfo) => void;

export interface PubSub {
  /** Send `payload` to every subscriber of `topic`. Resolves once it is sent (not delivered). */
  publish(topic: string, payload: Json): Promise<void>;
  /** Call `subscriber` with each message on `topic` until the returned handle is disposed. */
  subscribe(topic: string, subscriber: Subscriber): Disposable;
}

const MAX_TOPIC = 200;

function checkTopic(topic: unknown): string {
  if (typeof topic !== 'string' || topic.length === 0 || topic.length > MAX_TOPIC) {
    throw new InvalidSpecError('pubsub', 'topic', topic, `must be a string of 1 to ${MAX_TOPIC} characters`);
  }
  return topic;
}

function encode(payload: unknown): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(payload);
  } catch {
    text = undefined;
  }
  if (text === undefined) throw new InvalidSpecError('pubsub', 'payload', payload, 'must be JSON (no functions, undefined, cycles or BigInt)');
  return text;
}

/** Subscribers by topic, shared by both kinds. */
class Subscribers {
  private readonly byTopic = new Map<string, Set<Subscriber>>();

  add(topic: string, subscriber: Subscriber): Disposable {
    if (typeof subscriber !== 'function') throw new InvalidSpecError('pubsub', 'subscriber', subscriber, 'must be a function');
    let set = this.byTopic.get(topic);
    if (set === undefined) this.byTopic.set(topic, (set = new Set()));
    set.add(subscriber);
    return disposable(() => {
      set.delete(subscriber);
      if (set.size === 0 && this.byTopic.get(topic) === set) this.byTopic.delete(topic);
    });
  }

  has(topic: string): boolean {
    return this.byTopic.has(topic);
  }

  deliver(payload: Json, info: MessageInfo, onError: (error: unknown) => void): void {
    for (const s of [...(this.byTopic.get(info.topic) ?? [])]) {
      try {
        s(payload, info);
      } catch (error) {
        onError(error);
      }
    }
  }
}

/** Pub/sub within this process: each message goes to the topic's subscribers on a later microtask. */
export class InProcessPubSub implements PubSub {
  private readonly subscribers = new Subscribers();
  private readonly bus: EventBus | undefined;

  constructor(options: { readonly bus?: EventBus } = {}) {
    this.bus = options.bus;
  }

  async publish(topic: string, payload: Json): Promise<void> {
    checkTopic(topic);
    const copy = JSON.parse(encode(payload)) as Json; // what a subscriber in another node would get
    queueMicrotask(() =>
      this.subscribers.deliver(copy, { topic, from: 'local' }, (error) => {
        if (this.bus?.wants('cluster.subscriber_failed')) this.bus.emit({ type: 'cluster.subscriber_failed', node: 'local', topic, error });
      }),
    );
  }

  subscribe(topic: string, subscriber: Subscriber): Disposable {
    return this.subscribers.add(checkTopic(topic), subscriber);
  }
}

/** A message on the channel: inline, or by reference to a row. */
export type MessageNotice =
  | { readonly k: 'msg'; readonly from: string; readonly topic: string; readonly payload: Json }
  | { readonly k: 'msgref'; readonly from: string; readonly topic: string; readonly id: string };

export interface ClusterPubSubDeps {
  readonly sql: SqlAccess;
  readonly channel: () => ClusterChannel;
  readonly clock: Clock;
  readonly bus: EventBus | undefined;
  readonly node: string;
  /** How long a large message's row is kept, ms. */
  readonly retainMs: number;
}

/** Pub/sub across every node of a cluster (see the module comment); made by `joinCluster`, as `cluster.pubsub`. */
export class ClusterPubSub implements PubSub {
  private readonly deps: ClusterPubSubDeps;
  private readonly subscribers = new Subscribers();
  /** Deliveries in the order notifications arrived (a large message waits for its row). */
  private delivering: Promise<void> = Promise.resolve();

  /** @hidden */
  constructor(deps: ClusterPubSubDeps) {
    this.deps = deps;
  }

  async publish(topic: string, payload: Json): Promise<void> {
    checkTopic(topic);
    const text = encode(payload);
    const { node, sql, clock, retainMs } = this.deps;
    const channel = this.deps.channel();
    const inline = `{"k":"msg","from":${JSON.stringify(node)},"topic":${JSON.stringify(topic)},"payload":${text}}`;
    if (Buffer.byteLength(inline) <= NOTIFY_LIMIT_BYTES) {
      await sql.read('SELECT pg_notify(?, ?)', [channel.name, inline]);
      return;
    }
    const id = randomUUID();
    const now = Math.floor(clock.now());
    await sql.transaction(async (c) => {
      await c.run('DELETE FROM warden_cluster_messages WHERE published_at < ?', [now - retainMs]);
      await c.run('INSERT INTO warden_cluster_messages (id, topic, payload, published_at) VALUES (?, ?, ?, ?)', [id, topic, text, now]);
      const notice: MessageNotice = { k: 'msgref', from: node, topic, id };
      await channel.notify(notice, c);
    });
  }

  subscribe(topic: string, subscriber: Subscriber): Disposable {
    return this.subscribers.add(checkTopic(topic), subscriber);
  }

  /** A notification arrived. */
  received(n: MessageNotice): void {
    if (!this.subscribers.has(n.topic)) return;
    const info: MessageInfo = { topic: n.topic, from: n.from };
    if (n.k === 'msg') {
      this.delivering = this.delivering.then(() => this.deliver(n.payload, info));
      return;
    }
    const row = this.deps.sql
      .read<{ payload: string }>('SELECT payload FROM warden_cluster_messages WHERE id = ?', [n.id])
      .then((rows) => rows[0]?.payload)
      .catch((error: unknown) => {
        this.failed('pubsub read', error);
        return undefined;
      });
    this.delivering = this.delivering.then(async () => {
      const text = await row;
      if (text !== undefined) this.deliver(JSON.parse(text) as Json, info);
    });
  }

  private deliver(payload: Json, info: MessageInfo): void {
    this.subscribers.deliver(payload, info, (error) => {
      const bus = this.deps.bus;
      if (bus?.wants('cluster.subscriber_failed')) bus.emit({ type: 'cluster.subscriber_failed', node: this.deps.node, topic: info.topic, error });
    });
  }

  private failed(what: string, error: unknown): void {
    const bus = this.deps.bus;
    if (bus?.wants('cluster.sync_failed')) bus.emit({ type: 'cluster.sync_failed', node: this.deps.node, what, error });
  }
}
