/**
 * What the runner knows of the scenario's tree as it runs: each child's supervisor, kind and the
 * strategy of each supervisor; the start counters (`fail_starts`, `ignore_starts`, and the
 * script's `fail_next_start`/`ignore_next_start`) that make a child's next starts fail or be
 * ignored; which pid is which child now; and whether the root is alive.
 *
 * Starts of supervisors and every death are recorded from the runtime's events
 * ({@link watchTree}): `process.exited` is emitted at the moment of death, before anything the
 * death causes, the order the oracle enforces with monitors. The root's own end is not recorded
 * here: its parent, the driver, records it when it sees the EXIT.
 */
import { disposable, reasonToJSON, type Disposable, type Pid, type Runtime } from '../../runtime/index.ts';
import type { ScenarioChild } from './scenario.ts';
import type { TraceRecorder } from './trace.ts';

/** A process the trace names: its child id and its supervisor's (`null` for the root). */
interface Tracked {
  readonly id: string;
  readonly sup: string | null;
}

export class ScenarioTree {
  readonly rootId: string;
  /** The root supervisor, once it began its start. */
  rootPid: Pid | undefined;
  rootAlive = false;
  private readonly fails = new Map<string, number>();
  private readonly ignores = new Map<string, number>();
  private readonly strategyOf = new Map<string, string>();
  private readonly parentOf = new Map<string, string | null>();
  private readonly kindOf = new Map<string, 'worker' | 'supervisor'>();
  /** Live processes the trace names, by pid. */
  private readonly tracked = new Map<Pid, Tracked>();
  /** The latest pid of each child id. */
  private readonly current = new Map<string, Pid>();

  constructor(rootId: string) {
    this.rootId = rootId;
  }

  /** Register a (sub)tree: its parents, strategies and start counters. */
  register(spec: ScenarioChild, id: string, parent: string | null): void {
    const strategy = spec.strategy ?? 'one_for_one';
    this.strategyOf.set(id, strategy);
    this.parentOf.set(id, parent);
    this.kindOf.set(id, 'supervisor');
    if (strategy === 'simple_one_for_one') return;
    for (const c of spec.children ?? []) {
      const cid = c.id as string;
      if (c.fail_starts) this.fails.set(cid, c.fail_starts);
      if (c.ignore_starts) this.ignores.set(cid, c.ignore_starts);
      if ((c.type ?? 'worker') === 'supervisor') this.register(c, cid, id);
      else {
        this.parentOf.set(cid, id);
        this.kindOf.set(cid, 'worker');
      }
    }
  }

  /** Register a child a `start_child` call adds under `sup`. */
  registerAdded(spec: ScenarioChild, id: string, sup: string): void {
    if ((spec.type ?? 'worker') !== 'supervisor') {
      this.parentOf.set(id, sup);
      this.kindOf.set(id, 'worker');
      return;
    }
    const saved = [this.fails.get(id), this.ignores.get(id)] as const;
    this.register(spec, id, sup);
    // counters written in the spec itself are not read for the spec's own start
    if (saved[0] === undefined) this.fails.delete(id);
    else this.fails.set(id, saved[0]);
    if (saved[1] === undefined) this.ignores.delete(id);
    else this.ignores.set(id, saved[1]);
  }

  /** Register a worker a `simple_one_for_one` supervisor starts under `id`. */
  registerDynamicWorker(id: string): void {
    this.kindOf.set(id, 'worker');
  }

  /** Make the next `count` starts of `id` fail. */
  failNextStarts(id: string, count: number): void {
    this.fails.set(id, count);
  }

  /** Make the next `count` starts of `id` be ignored. */
  ignoreNextStarts(id: string, count: number): void {
    this.ignores.set(id, count);
  }

  /** True (and one fewer left) if this start of `id` must fail. */
  takeStartFailure(id: string): boolean {
    return consume(this.fails, id);
  }

  /** True (and one fewer left) if this start of `id` must be ignored. */
  takeStartIgnore(id: string): boolean {
    return consume(this.ignores, id);
  }

  /** A worker started as child `id` of `sup`. */
  workerStarted(id: string, pid: Pid, sup: string): void {
    this.tracked.set(pid, { id, sup });
    this.current.set(id, pid);
  }

  /** A supervisor began its start; returns its own supervisor's id (`null` for the root). */
  supervisorStarting(id: string, pid: Pid): string | null {
    const sup = this.parentOf.get(id) ?? null;
    this.tracked.set(pid, { id, sup });
    this.current.set(id, pid);
    if (id === this.rootId && sup === null) {
      this.rootPid = pid;
      this.rootAlive = true;
    }
    return sup;
  }

  /** A process died: who it was, if the trace names it (it is forgotten). */
  exited(pid: Pid): Tracked | undefined {
    const who = this.tracked.get(pid);
    if (who === undefined) return undefined;
    this.tracked.delete(pid);
    if (pid === this.rootPid) this.rootAlive = false;
    return who;
  }

  /** The pid of supervisor `name` (the root when undefined); throws when none is running. */
  supervisorPid(name: string | undefined): Pid {
    const id = name ?? this.rootId;
    const pid = id === this.rootId ? this.rootPid : this.current.get(id);
    if (pid === undefined) throw new Error(`scenario: no supervisor "${id}" is running`);
    return pid;
  }

  /** True if supervisor `name` (the root when undefined) is `simple_one_for_one`. */
  isDynamic(name: string | undefined): boolean {
    return this.strategyOf.get(name ?? this.rootId) === 'simple_one_for_one';
  }

  isSupervisor(id: string): boolean {
    return this.kindOf.get(id) === 'supervisor';
  }

  /** The latest pid of child `id`, alive or not. */
  pidOf(id: string): Pid | undefined {
    return this.current.get(id);
  }

  /** The child id of a live process. */
  idOf(pid: Pid): string | undefined {
    return this.tracked.get(pid)?.id;
  }
}

function consume(counters: Map<string, number>, id: string): boolean {
  const n = counters.get(id) ?? 0;
  if (n <= 0) return false;
  counters.set(id, n - 1);
  return true;
}

/** Record supervisor starts and deaths in the tree from `rt`'s events, until disposed. */
export function watchTree(rt: Runtime, tree: ScenarioTree, trace: TraceRecorder): Disposable {
  const starting = rt.events.on('supervisor.starting', (e) => {
    const sup = tree.supervisorStarting(e.name, e.supervisor);
    trace.record({ event: 'start', id: e.name, sup });
  });
  const exited = rt.events.on('process.exited', (e) => {
    const who = tree.exited(e.pid);
    if (who === undefined) return;
    // The root's end is recorded by its parent, the driver, when it sees the EXIT.
    if (e.pid !== tree.rootPid) trace.record({ event: 'terminate', id: who.id, sup: who.sup, reason: reasonToJSON(e.reason) });
  });
  return disposable(() => {
    starting.dispose();
    exited.dispose();
  });
}
