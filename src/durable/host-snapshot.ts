/**
 * What a host publishes about itself (`HostSnapshot`): its supervision trees with each child's
 * restart count, its breakers, its budgets and what they spent, and whatever its health hook
 * reports, as plain JSON so any process reading the store (the dashboard, another node of a
 * cluster) can show it without the host's code. Health and alerts live in the host's process (the
 * health and alerts layers keep them in memory), so they reach the store this way, through hooks. `SnapshotSources` is what a host hands the
 * publisher; `RestartCounter` keeps the restart counts from the event stream between snapshots.
 *
 * The tree is read level by level (`inspectTree`), so a restart between two reads shows in the
 * second; a supervisor that does not answer within its call timeout shows with no children.
 */
import type { Dest, Disposable, EventBus, Runtime } from '../runtime/index.ts';
import { inspectTree, type TreeNode } from '../supervisor/index.ts';
import type { Budget, BreakerState, BudgetLimits, CircuitBreaker } from '../resilience/index.ts';
import type { Json } from '../store/index.ts';

/** One node of a published tree: a supervisor or a worker, with how often its supervisor restarted it. */
export interface SnapshotNode {
  readonly id: string;
  /** The running process (`<0.12.0>`), `'restarting'`, or null when it is not running. */
  readonly pid: string | null;
  readonly type: 'supervisor' | 'worker';
  /** Restarts of this child seen since the publisher started. */
  readonly restarts: number;
  readonly children: readonly SnapshotNode[];
}

export interface SnapshotTree {
  readonly name: string;
  readonly root: SnapshotNode;
}

export interface SnapshotRestart {
  readonly at: number;
  /** The supervisor's name (its spec's name, or its pid). */
  readonly supervisor: string;
  readonly childId: string;
}

export interface SnapshotBreaker {
  readonly name: string;
  readonly state: BreakerState;
}

export interface SnapshotBudget {
  readonly scope: string;
  readonly spent: { readonly usd: number; readonly tokens: number; readonly steps: number; readonly wallMs: number };
  readonly limits: BudgetLimits;
}

/** A host's state at `publishedAt`, as stored. */
export interface HostSnapshot {
  readonly host: string;
  readonly publishedAt: number;
  readonly startedAt: number;
  /** How often the host publishes; a snapshot older than 3 intervals is stale (the host is likely gone). */
  readonly intervalMs: number;
  /** The host stopped publishing on purpose (`stop()`). */
  readonly stopped: boolean;
  readonly trees: readonly SnapshotTree[];
  readonly restarts: { readonly total: number; readonly recent: readonly SnapshotRestart[] };
  readonly breakers: readonly SnapshotBreaker[];
  readonly budgets: readonly SnapshotBudget[];
  /** What the host's `health` hook returned (absent without one; `{ error }` if it threw). */
  readonly health?: Json;
  /** What the host's `alerts` hook returned (its recent alerts, say). */
  readonly alerts?: Json;
  /** What the host's `extra` hook returned, by name. */
  readonly extra?: { readonly [name: string]: Json };
}

/** What a host shows: each part optional. */
export interface SnapshotSources {
  /** The runtime the trees run in; its event stream gives the restart counts. */
  readonly runtime?: Runtime;
  /** The supervisors to show, each by a name and its pid or registered name (needs `runtime`). */
  readonly trees?: readonly { readonly name: string; readonly supervisor: Dest }[];
  readonly breakers?: readonly CircuitBreaker[];
  readonly budgets?: readonly Budget[];
  /** The host's health (the health layer's `health.report()`, say); stored as its JSON. */
  readonly health?: () => unknown;
  /** The host's recent alerts (the alerts layer's `history.list()`, say); stored as its JSON. */
  readonly alerts?: () => unknown;
  /** Anything else to publish, by name; stored as its JSON. */
  readonly extra?: () => { readonly [name: string]: unknown } | Promise<{ readonly [name: string]: unknown }>;
}

/** How many recent restarts a snapshot lists. */
const RECENT_RESTARTS = 20;

/** Counts `supervisor.child_restarted` events per (supervisor pid, child id), and in total. */
export class RestartCounter {
  private readonly byChild = new Map<string, number>();
  private readonly recent: SnapshotRestart[] = [];
  private readonly subscription: Disposable | undefined;
  total = 0;

  constructor(events: EventBus | undefined) {
    this.subscription = events?.on('supervisor.child_restarted', (e) => {
      const key = `${String(e.supervisor)}|${e.childId}`;
      this.byChild.set(key, (this.byChild.get(key) ?? 0) + 1);
      this.total++;
      this.recent.push({ at: e.at, supervisor: e.name, childId: e.childId });
      if (this.recent.length > RECENT_RESTARTS) this.recent.shift();
    });
  }

  of(supervisor: string, childId: string): number {
    return this.byChild.get(`${supervisor}|${childId}`) ?? 0;
  }

  latest(): readonly SnapshotRestart[] {
    return [...this.recent].reverse();
  }

  dispose(): void {
    this.subscription?.dispose();
  }
}

/** Read every source into one snapshot. */
export async function takeHostSnapshot(
  sources: SnapshotSources,
  restarts: RestartCounter,
  meta: { readonly host: string; readonly publishedAt: number; readonly startedAt: number; readonly intervalMs: number; readonly stopped: boolean },
): Promise<HostSnapshot> {
  const trees: SnapshotTree[] = [];
  for (const t of sources.trees ?? []) {
    if (sources.runtime === undefined) break;
    const tree = await inspectTree(sources.runtime, t.supervisor, t.name);
    trees.push({ name: t.name, root: nodeOf(tree, undefined, restarts) });
  }
  const health = sources.health === undefined ? undefined : await hookValue(sources.health);
  const alerts = sources.alerts === undefined ? undefined : await hookValue(sources.alerts);
  const extra = sources.extra === undefined ? undefined : await hookValue(sources.extra);
  return {
    ...meta,
    trees,
    restarts: { total: restarts.total, recent: restarts.latest() },
    breakers: (sources.breakers ?? []).map((b) => ({ name: b.config.name, state: b.state })),
    budgets: (sources.budgets ?? []).map((b) => ({ scope: b.scope, spent: { ...b.spending }, limits: { ...b.config.limits } })),
    ...(health === undefined ? {} : { health }),
    ...(alerts === undefined ? {} : { alerts }),
    ...(extra === undefined ? {} : { extra: extra as { readonly [name: string]: Json } }),
  };
}

function nodeOf(node: TreeNode, parent: string | undefined, restarts: RestartCounter): SnapshotNode {
  const pid = node.pid === undefined ? null : String(node.pid);
  return {
    id: node.id,
    pid,
    type: node.type,
    restarts: parent === undefined ? 0 : restarts.of(parent, node.id),
    children: node.children.map((c) => nodeOf(c, pid ?? undefined, restarts)),
  };
}

/** A hook's value, or `{ error }` naming what it threw: one failing hook does not stop the snapshot. */
async function hookValue(hook: () => unknown): Promise<Json> {
  try {
    return JSON.parse(JSON.stringify((await hook()) ?? null)) as Json;
  } catch (e) {
    return { error: e instanceof Error ? `${e.name}: ${e.message}` : String(e) };
  }
}
