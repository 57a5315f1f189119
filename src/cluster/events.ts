/**
 * The cluster's events, on the node's bus. `cluster.node_dead` is emitted once per death, by the
 * node that declared it (the conditional update only one survivor wins); the others see the
 * node's status in `nodes()`.
 */
declare module '../runtime/index.ts' {
  interface WardenEventMap {
    /** This node joined the cluster. */
    'cluster.node_joined': { readonly node: string; readonly name: string };
    /** This node declared `node` dead: it had not heartbeaten since `lastHeartbeatAt`. Its budget reservations and probe slots were freed. */
    'cluster.node_dead': { readonly node: string; readonly name: string; readonly lastHeartbeatAt: number; readonly declaredBy: string };
    /** This node left the cluster (`leave()`). */
    'cluster.node_left': { readonly node: string; readonly name: string };
    /** Another node declared this one dead (it had not heartbeaten in time); it stops heartbeating. Restart it to rejoin. */
    'cluster.node_expelled': { readonly node: string; readonly name: string };
    /** Talking to the database failed; the cluster keeps trying (heartbeat, listen, publish, poll). */
    'cluster.sync_failed': { readonly node: string; readonly what: string; readonly error: unknown };
    /** A pub/sub subscriber threw; other subscribers still get the message. */
    'cluster.subscriber_failed': { readonly node: string; readonly topic: string; readonly error: unknown };
  }
}

export {};
