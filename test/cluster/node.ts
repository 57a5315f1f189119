/**
 * One cluster node in its own process, for test/cluster.slow.test.ts: joins the cluster in
 * CLUSTER_DB (schema CLUSTER_SCHEMA) as NODE_NAME and plays ROLE, reporting over IPC and taking
 * 'go' and 'exit' from the parent. Roles:
 *
 * - `breaker-open`: on 'go', fails one call through breaker "dep" (it opens), then reports 'opened'.
 * - `breaker-watch`: reports 'ready'; when breaker "dep" changes state here (adopted from
 *   another node), calls through it and reports 'refused' with the error's state.
 * - `budget`: on 'go', makes CALLS calls, CONCURRENCY at a time, through the shared budget
 *   "global" (cap CAP_USD, each estimated at 1 USD and spending ACTUAL_USD), then reports
 *   'done' with how many were admitted and refused and what it spent.
 * - `sub`: subscribes to "news" and reports 'got' with each message.
 * - `pub`: on 'go', publishes {n:1}, a 20 kB message and {n:3} to "news", then reports 'published'.
 * - `member`: heartbeats every 100 ms (dead after 600 ms quiet) and reports each
 *   `cluster.node_dead` it emits as 'declared'.
 */
import { type Cluster, joinCluster } from '../../src/cluster/index.ts';
import { EventBus, isWardenError, realClock } from '../../src/runtime/index.ts';
import { openStore } from '../../src/store/index.ts';

const env = (name: string): string => {
  const v = process.env[name];
  if (v === undefined || v === '') throw new Error(`cluster node: ${name} is not set`);
  return v;
};
const send = (m: unknown): void => {
  process.send?.(m);
};
const role = env('ROLE');
const store = await openStore({ db: env('CLUSTER_DB'), schema: env('CLUSTER_SCHEMA') });
const bus = new EventBus(realClock);
const member = role === 'member';
const cluster: Cluster = await joinCluster({
  store,
  bus,
  name: env('NODE_NAME'),
  ...(member ? { heartbeatMs: 100, deadAfterMs: 600 } : { heartbeatMs: 60_000, deadAfterMs: 120_000 }),
  pollMs: 500,
});
const breakerOptions = { name: 'dep', trip: { kind: 'consecutive', failures: 1 } as const, openMs: 60_000, isFailure: () => true };

let onGo: () => Promise<void> = async () => {};
process.on('message', (m: { type: string }) => {
  if (m.type === 'go') onGo().catch((e: unknown) => send({ type: 'error', message: String((e as Error)?.stack ?? e) }));
  if (m.type === 'exit') {
    void cluster
      .leave()
      .then(() => store.close())
      .finally(() => process.exit(0));
  }
});

switch (role) {
  case 'breaker-open': {
    const breaker = cluster.breaker(breakerOptions);
    onGo = async () => {
      await breaker.execute(() => Promise.reject(new Error('dependency down'))).catch(() => undefined);
      send({ type: 'opened', state: breaker.state.kind, at: Date.now() });
    };
    break;
  }
  case 'breaker-watch': {
    const breaker = cluster.breaker({ ...breakerOptions, bus });
    bus.on('breaker.state_changed', () => {
      breaker
        .execute(async () => 'called')
        .then(
          () => send({ type: 'refused', state: 'none (the call went through)', at: Date.now() }),
          (e: unknown) => send({ type: 'refused', state: isWardenError(e, 'BROKEN_CIRCUIT') ? e.state : String(e), at: Date.now() }),
        );
    });
    break;
  }
  case 'budget': {
    const budget = cluster.budget({ scope: 'global', limits: { usd: Number(env('CAP_USD')) } });
    const calls = Number(env('CALLS'));
    const actual = Number(env('ACTUAL_USD'));
    onGo = async () => {
      let next = 0;
      let admitted = 0;
      let refused = 0;
      const worker = async (): Promise<void> => {
        while (next < calls) {
          next++;
          try {
            await budget.run(
              async (r) => {
                admitted++;
                await new Promise((resolve) => setImmediate(resolve)); // the call is in flight for a while
                r.commit({ usd: actual });
              },
              { estimate: { usd: 1 } },
            );
          } catch (e) {
            if (!isWardenError(e, 'BUDGET_EXCEEDED')) throw e;
            refused++;
          }
        }
      };
      await Promise.all(Array.from({ length: Number(env('CONCURRENCY')) }, worker));
      send({ type: 'done', admitted, refused, spent: budget.spending.usd });
    };
    break;
  }
  case 'sub':
    cluster.pubsub.subscribe('news', (payload, info) => send({ type: 'got', payload, from: info.from }));
    break;
  case 'pub':
    onGo = async () => {
      await cluster.pubsub.publish('news', { n: 1 });
      await cluster.pubsub.publish('news', { n: 2, text: 'x'.repeat(20_000) });
      await cluster.pubsub.publish('news', { n: 3 });
      send({ type: 'published', from: cluster.node.id });
    };
    break;
  case 'member':
    bus.on('cluster.node_dead', (e) => send({ type: 'declared', node: e.node, name: e.name }));
    break;
  default:
    throw new Error(`cluster node: unknown ROLE ${role}`);
}
send({ type: 'ready', id: cluster.node.id });
