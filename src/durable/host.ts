/**
 * The durable host: the process-side owner of durable runs. It starts runs, claims them in the
 * store, executes their code and records how each ends, and picks up what the store says needs
 * doing: runs left running by a crashed process, runs whose approval was decided, resume and
 * cancel requests and dead-letter replays from the CLI or other processes. The class only wires
 * the parts together and checks what callers ask; each concern is a file of its own:
 * - host-options.ts: the options and their defaults;
 * - run-leases.ts: claims, epochs and leases, and who may take over a run from whom;
 * - run-executor.ts: one execution of a claimed run, with a `RunContext` (run-context.ts);
 * - outcome-recorder.ts: recording how it ended, dead letters, suspensions (run-outcome.ts lists
 *   the outcomes a handle resolves with);
 * - run-poller.ts: `recover()` and `serve()`, what the host picks up from the store;
 * - run-control.ts: cancelling a run, resolving an uncertain effect;
 * - active-runs.ts, run-registry.ts, retention.ts: the runs executing here, the definitions, compaction.
 *
 * Why our own engine instead of embedding DBOS Transact or Temporal: Temporal needs a server
 * cluster; DBOS needs Postgres (no embedded SQLite default) and runs as a process-wide
 * singleton; neither checks Warden's process fences, journals through one store shared with
 * quarantine, approvals and leases, or reports on Warden's event stream. The engine is small: a
 * journal cursor, a claim with an epoch, and the outcome bookkeeping.
 */
import { InvalidSpecError, type Clock, type Disposable } from '../runtime/index.ts';
import type { DeadLetter, Json, RunRecord, Store } from '../store/index.ts';
import { ActiveRuns } from './active-runs.ts';
import { Approvals } from './approvals.ts';
import { DeadLetterQueue } from './dead-letters.ts';
import type { RunDefinition } from './definition.ts';
import { DurableStateError } from './errors.ts';
import { resolveHostOptions, type DurableHostOptions, type DurableHostTunables } from './host-options.ts';
import { newId, newTraceId } from './ids.ts';
import { toJournalJson } from './json.ts';
import { OutcomeRecorder } from './outcome-recorder.ts';
import { cancelRun, resolveUncertainEffect, type RunControlParts } from './run-control.ts';
import { RunExecutor } from './run-executor.ts';
import { RunLeaseKeeper, type ClaimCondition } from './run-leases.ts';
import { outcomeOfRecord, type RunHandle } from './run-outcome.ts';
import { RunPoller } from './run-poller.ts';
import { RunRegistry } from './run-registry.ts';
import { compactFinishedRuns, type RetentionPolicy } from './retention.ts';

export class DurableHost {
  readonly store: Store;
  readonly owner: string;
  readonly clock: Clock;
  readonly config: Readonly<DurableHostTunables>;
  /** The dead-letter queue on this host's store. */
  readonly deadLetters: DeadLetterQueue;
  /** Approvals on this host's store; a decision resumes the run here at once if this host runs its definition. */
  readonly approvals: Approvals;
  private readonly retention: RetentionPolicy | undefined;
  private readonly definitions = new RunRegistry();
  private readonly active = new ActiveRuns();
  /** The launches of runs whose claim is under way, by run id (see `launch`). */
  private readonly launching = new Map<string, Promise<RunHandle | undefined>>();
  private readonly leases: RunLeaseKeeper;
  private readonly executor: RunExecutor;
  private readonly poller: RunPoller;
  private readonly control: RunControlParts;
  private closed = false;

  constructor(options: DurableHostOptions) {
    const { store, owner, clock, bus, fence, policies, retention, config } = resolveHostOptions(options);
    this.store = store;
    this.owner = owner;
    this.clock = clock;
    this.config = config;
    this.retention = retention;
    for (const def of options.runs ?? []) this.register(def);
    const wiring = { clock, ...(bus === undefined ? {} : { bus }) };
    this.deadLetters = new DeadLetterQueue(store, { ...wiring, replayRun: (letter, input) => this.replayLetter(letter, input) });
    this.approvals = new Approvals(store, {
      ...wiring,
      onDecided: (a) => {
        if (!this.closed) void this.resumeIfKnown(a.runId);
      },
    });
    const active = this.active;
    this.leases = new RunLeaseKeeper({ store, clock, bus, owner, leaseMs: config.leaseMs, active });
    const recorder = new OutcomeRecorder({ store, clock, bus, fence, deadLetters: this.deadLetters, deadLetterOnFailure: config.deadLetterOnFailure });
    this.executor = new RunExecutor({ store, clock, bus, fence, policies, recorder });
    this.poller = new RunPoller({
      store,
      clock,
      bus,
      owner,
      pollMs: config.pollMs,
      definitions: this.definitions,
      active,
      leases: this.leases,
      deadLetters: this.deadLetters,
      recoverRun: (run) => this.launch(run, 'if_recoverable'),
      compact: retention === undefined ? undefined : () => this.compact(),
      isClosed: () => this.closed,
    });
    this.control = { store, clock, bus, active };
  }

  /** Register a run definition (its name must be unique on this host). */
  // biome-ignore lint/suspicious/noExplicitAny: definitions of any input and output (a run function takes its input, so `RunDefinition<unknown>` would accept none)
  register(def: RunDefinition<any, any>): void {
    this.definitions.register(def);
  }

  /** Names of the registered definitions. */
  get runNames(): readonly string[] {
    return this.definitions.names();
  }

  /** Ids of the runs executing in this process now. */
  get activeRuns(): readonly string[] {
    return this.active.ids();
  }

  /**
   * Start a run of `definition` with `input` (JSON data). With an `id` that already exists, the
   * existing run is returned: resumed if it is not finished and may be claimed, else its stored outcome.
   */
  async start<I, O>(definition: RunDefinition<I, O> | string, input: I, options: { id?: string; replayOf?: string } = {}): Promise<RunHandle<O>> {
    this.assertOpen();
    const def = this.definitions.get(typeof definition === 'string' ? definition : definition.name);
    const checked = toJournalJson(input);
    if ('problem' in checked) throw new InvalidSpecError(`run "${def.name}"`, `input${checked.problem.path.slice(1)}`, input, checked.problem.why);
    for (const field of ['id', 'replayOf'] as const) {
      const value: unknown = options[field];
      if (value !== undefined && (typeof value !== 'string' || value === ''))
        throw new InvalidSpecError(`run "${def.name}"`, field, value, 'must be a non-empty string');
    }
    const id = options.id ?? newId();
    const { run, created } = await this.store.createRun({
      id,
      name: def.name,
      input: checked.json === undefined ? null : (JSON.parse(checked.json) as Json),
      traceId: newTraceId(),
      at: this.clock.now(),
      ...(options.replayOf === undefined ? {} : { replayOf: options.replayOf }),
    });
    if (created) return (await this.launch(run, 'always')) as RunHandle<O>;
    if (run.name !== def.name) throw new DurableStateError(`run ${id}`, `already exists as a run of "${run.name}"`);
    const handle = await this.launch(run, 'if_recoverable');
    return (handle ?? { id, result: Promise.resolve(outcomeOfRecord(run)) }) as RunHandle<O>;
  }

  /**
   * Resume one run now: claim it (fencing any earlier owner, even a live one) and execute it
   * from its journal. A failed run retries from its failed step. Refused for finished runs.
   */
  async resume(id: string): Promise<RunHandle> {
    this.assertOpen();
    const run = await this.store.getRun(id);
    if (run === undefined) throw new DurableStateError(`run ${id}`, 'no such run');
    this.definitions.get(run.name);
    const running = this.active.handle(id);
    if (running !== undefined) return running;
    if (run.status === 'completed' || run.status === 'cancelled')
      throw new DurableStateError(`run ${id}`, `it is ${run.status}; only running, suspended or failed runs can be resumed`);
    const handle = await this.launch(run, 'always');
    if (handle === undefined) throw new DurableStateError(`run ${id}`, 'could not be claimed');
    return handle;
  }

  /**
   * Pick up every run this host may execute: left running by a crashed owner (this owner after a
   * restart, a process on this machine that is gone, or any owner whose lease expired) or asked
   * to resume (an approval decided, the CLI).
   */
  async recover(): Promise<readonly RunHandle[]> {
    this.assertOpen();
    return this.poller.recover();
  }

  /** Poll the store every `pollMs` (recover, cancel requests, dead-letter replays, retention) until disposed or closed. */
  serve(): Disposable {
    this.assertOpen();
    return this.poller.serve();
  }

  /** One pass of what `serve()` does every poll. */
  tick(): Promise<void> {
    return this.poller.tick();
  }

  /**
   * Cancel a run: at its next step if it executes here; at once if no host is executing it
   * (suspended, failed, or its owner's lease expired); otherwise by leaving a cancel request for
   * the host that is. Resolves with what was done.
   */
  cancel(id: string, options: { reason?: string; by?: string } = {}): Promise<'cancelled' | 'requested'> {
    return cancelRun(this.control, id, options);
  }

  /**
   * Say what happened to an uncertain effect (after checking the service): `done` (the run goes
   * on without repeating it) or `not_done` (it runs again, with the same idempotency key). The
   * run is then asked to resume.
   */
  resolveEffect(runId: string, key: string, outcome: 'done' | 'not_done', options: { by?: string; reason?: string } = {}): Promise<void> {
    return resolveUncertainEffect(this.control, runId, key, outcome, options);
  }

  /** Apply the retention policy now; returns how many runs were compacted. */
  async compact(policy: RetentionPolicy | undefined = this.retention): Promise<number> {
    if (policy === undefined) return 0;
    return compactFinishedRuns(this.store, this.clock, policy);
  }

  /** Extend the lease of every run executing here to now + `leaseMs` (done every `leaseMs / 3` while any runs). */
  renewLeases(): Promise<number> {
    return this.leases.renew();
  }

  /**
   * Stop: no more polling or lease renewal, and runs executing here stop at their next step
   * without recording anything (outcome `interrupted`); they stay `running` in the store for a
   * host to recover. The store is not closed (it is the caller's).
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.poller.stop();
    this.leases.stop();
    this.active.interruptAll('the host is closing');
    await this.active.settled();
    await this.poller.passUnderWay;
  }

  // ---- internals

  private assertOpen(): void {
    if (this.closed) throw new DurableStateError(`durable host ${this.owner}`, 'is closed');
  }

  /**
   * Claim `run` (see run-leases.ts for `condition`) and execute it; undefined if the claim was
   * refused. One claim of a run at a time per host: a run can be picked up twice at once here (an
   * approval decided on this host, a poll, `resume()`), and a second claim would pass (same owner)
   * and fence the execution the first one started, leaving the run `running` with nothing
   * executing it. So a launch that finds another under way waits for it and shares its handle;
   * only `always` claims again when that one was refused.
   */
  private async launch(run: RunRecord, condition: ClaimCondition): Promise<RunHandle | undefined> {
    for (;;) {
      const running = this.active.handle(run.id);
      if (running !== undefined) return running;
      const underWay = this.launching.get(run.id);
      if (underWay === undefined) break;
      const handle = await underWay;
      if (handle !== undefined || condition === 'if_recoverable') return handle;
    }
    const launched = this.claimAndExecute(run, condition);
    this.launching.set(run.id, launched);
    try {
      return await launched;
    } finally {
      if (this.launching.get(run.id) === launched) this.launching.delete(run.id);
    }
  }

  private async claimAndExecute(run: RunRecord, condition: ClaimCondition): Promise<RunHandle | undefined> {
    const def = this.definitions.get(run.name);
    const claimed = await this.leases.claim(run, condition);
    if (claimed === undefined) return undefined;
    this.leases.keepRenewing();
    return this.active.track(run.id, claimed.epoch, (controller) => this.executor.execute(claimed, run, def, controller));
  }

  private async resumeIfKnown(runId: string): Promise<void> {
    try {
      const run = await this.store.getRun(runId);
      if (run === undefined || !this.definitions.has(run.name) || this.active.has(runId) || this.closed) return;
      await this.launch(run, 'if_recoverable');
    } catch {
      // The next poll (or another host) picks it up.
    }
  }

  private async replayLetter(letter: DeadLetter, input: Json): Promise<string | undefined> {
    if (!this.definitions.has(letter.source)) return undefined;
    const handle = await this.start(letter.source, input, { id: `replay-${letter.id}`, replayOf: letter.id });
    return handle.id;
  }
}
