/**
 * The durable host: the process-side owner of durable runs. It starts runs, claims them in the
 * store (each claim gives the run a new owner epoch, which fences every earlier incarnation),
 * executes their code with a {@link RunContext}, records how each ends, and picks up what the
 * store says needs doing: runs left running by a crashed process, runs whose approval was
 * decided, resume and cancel requests and dead-letter replays from the CLI or other processes.
 *
 * Ownership: a claimed run carries a lease (`leaseMs`) that the host renews while the run
 * executes, and the claiming process's identity (see process-identity.ts). Another host takes a
 * run over when its lease has expired, or at once when the process holding it was on this
 * machine and is gone (killed, crashed: so a restarted program takes its runs back whatever its
 * owner name); a host under the same `owner` name takes its own runs back at once (it *is* their
 * owner, restarted). A live process, or one on another machine, keeps its runs until the lease ends.
 * A superseded incarnation that is still running (a zombie) has every write refused, by its
 * process `fence` and by the store's epoch check, and stops with outcome `interrupted`.
 *
 * Outcomes: every run handle resolves (never rejects) with how this execution ended:
 * - `completed` with the output (stored);
 * - `failed` with the error (stored; the run is also put in the dead-letter queue unless
 *   `deadLetterOnFailure` is false);
 * - `suspended` with the reason (`approval`, `uncertain_effect`) and detail (stored);
 * - `cancelled` (stored);
 * - `interrupted`: this process stopped executing it without recording anything (its host
 *   closed, it was fenced, the store failed, or the store's disk is full: `JournalFullError`);
 *   the run stays `running` for a host to recover.
 *
 * Why our own engine instead of embedding DBOS Transact or Temporal: Temporal needs a server
 * cluster; DBOS needs Postgres (no embedded SQLite default) and runs as a process-wide
 * singleton; neither checks Warden's process fences, journals through one store shared with
 * quarantine, approvals and leases, or reports on Warden's event stream. The engine is small: a
 * journal cursor, a claim with an epoch, and the outcome bookkeeping below.
 */
import { hostname } from 'node:os';
import { z } from 'zod';
import {
  InvalidSpecError,
  UNFENCED,
  isWardenError,
  realClock,
  type Clock,
  type Disposable,
  type EventBus,
  type Fence,
  type Timer,
  disposable,
} from '../runtime/index.ts';
import { parseWith } from '../resilience/index.ts';
import type { DeadLetter, Json, ProcessIdentity, RunRecord, RunStatus, Store, StoredError } from '../store/index.ts';
import type { ApprovalPolicy } from './approval-policy.ts';
import { Approvals } from './approvals.ts';
import { DeadLetterQueue } from './dead-letters.ts';
import type { RunDefinition } from './definition.ts';
import { DurableStateError, NotSerializableError, RunCancelledError, StepFailedError, UnknownRunError } from './errors.ts';
import { newId, newTraceId } from './ids.ts';
import { toJournalJson, toStoredError } from './json.ts';
import { currentProcess, processState } from './process-identity.ts';
import { Interruption, RunContext, Suspension } from './run-context.ts';

declare module '../runtime/index.ts' {
  interface WardenEventMap {
    /** A background pass of `serve()` failed (the store was unreachable, ...); it is tried again next poll. */
    'durable.poll_failed': { readonly owner: string; readonly error: unknown };
  }
}

export type RunOutcome<O = unknown> =
  | { readonly status: 'completed'; readonly runId: string; readonly output: O }
  | { readonly status: 'failed'; readonly runId: string; readonly error: StoredError; readonly deadLetterId?: string }
  | { readonly status: 'suspended'; readonly runId: string; readonly reason: string; readonly detail: Json }
  | { readonly status: 'cancelled'; readonly runId: string; readonly reason: string }
  | { readonly status: 'interrupted'; readonly runId: string; readonly why: string };

export interface RunHandle<O = unknown> {
  readonly id: string;
  /** How this execution ended; never rejects. */
  readonly result: Promise<RunOutcome<O>>;
}

/** Compaction of finished runs. */
export interface RetentionPolicy {
  /** Compact runs this long after they finished, ms. */
  readonly keepFinishedMs: number;
  /** @default ['completed', 'cancelled'] */
  readonly statuses?: readonly RunStatus[];
  /** `archive` keeps the run row with its journal folded into one value; `delete` removes it. @default 'archive' */
  readonly mode?: 'archive' | 'delete';
}

export interface DurableHostTunables {
  /** How long a claim lasts without renewal, ms. @default 30_000 */
  readonly leaseMs: number;
  /** How often `serve()` polls the store, ms. @default 1_000 */
  readonly pollMs: number;
  /** Put failed runs in the dead-letter queue. @default true */
  readonly deadLetterOnFailure: boolean;
}

export const DURABLE_HOST_DEFAULTS: DurableHostTunables = Object.freeze({ leaseMs: 30_000, pollMs: 1_000, deadLetterOnFailure: true });

export interface DurableHostOptions extends Partial<DurableHostTunables> {
  readonly store: Store;
  /** The run definitions this host can execute. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly runs?: readonly RunDefinition<any, any>[];
  /**
   * This host's name in the store. A restart under the same name takes its runs back at once; so
   * does any host on the same machine once the process that held them is gone. @default `${hostname}:${pid}`
   */
  readonly owner?: string;
  readonly clock?: Clock;
  readonly bus?: EventBus;
  /** Checked before every write; a process passes `ctx.fence`. @default UNFENCED */
  readonly fence?: Fence;
  /** Policies deciding which actions need approval (irreversible actions always do). @default [] */
  readonly approvalPolicies?: readonly ApprovalPolicy[];
  /** Compact finished runs (on `compact()` and on every `serve()` poll). @default none */
  readonly retention?: RetentionPolicy;
}

const optionsSchema = z.strictObject({
  store: z.custom<Store>((v) => typeof v === 'object' && v !== null && typeof (v as Store).appendJournal === 'function', { message: 'must be a Store (openStore())' }),
  runs: z.array(z.custom<RunDefinition>((v) => typeof v === 'object' && v !== null && typeof (v as RunDefinition).fn === 'function', { message: 'must be a defineRun(...) result' })).optional(),
  owner: z.string().min(1).optional(),
  clock: z.custom<Clock>((v) => typeof v === 'object' && v !== null && typeof (v as Clock).now === 'function', { message: 'must be a Clock' }).optional(),
  bus: z.custom<EventBus>((v) => typeof v === 'object' && v !== null && typeof (v as EventBus).emit === 'function', { message: 'must be an EventBus' }).optional(),
  fence: z.custom<Fence>((v) => typeof v === 'object' && v !== null && typeof (v as Fence).check === 'function', { message: 'must be a Fence' }).optional(),
  approvalPolicies: z.array(z.custom<ApprovalPolicy>((v) => typeof v === 'function', { message: 'must be a function' })).optional(),
  retention: z
    .strictObject({
      keepFinishedMs: z.number().min(0),
      statuses: z.array(z.enum(['running', 'suspended', 'completed', 'failed', 'cancelled'])).optional(),
      mode: z.enum(['archive', 'delete']).optional(),
    })
    .optional(),
  leaseMs: z.number().int().min(1).optional(),
  pollMs: z.number().int().min(1).optional(),
  deadLetterOnFailure: z.boolean().optional(),
});

interface ActiveRun {
  readonly epoch: number;
  readonly controller: AbortController;
  readonly result: Promise<RunOutcome>;
}

export class DurableHost {
  readonly store: Store;
  readonly owner: string;
  readonly clock: Clock;
  readonly config: Readonly<DurableHostTunables>;
  /** The dead-letter queue on this host's store. */
  readonly deadLetters: DeadLetterQueue;
  /** Approvals on this host's store; a decision resumes the run here at once if this host runs its definition. */
  readonly approvals: Approvals;
  private readonly bus: EventBus | undefined;
  private readonly fence: Fence;
  private readonly policies: readonly ApprovalPolicy[];
  private readonly retention: RetentionPolicy | undefined;
  private readonly definitions = new Map<string, RunDefinition<unknown, unknown>>();
  private readonly active = new Map<string, ActiveRun>();
  /** This process, recorded with every claim. */
  private readonly process: ProcessIdentity = currentProcess();
  private renewal: Timer | undefined;
  private poller: Timer | undefined;
  private polling: Promise<void> | undefined;
  private closed = false;

  constructor(options: DurableHostOptions) {
    const o = parseWith('durable host', optionsSchema, options);
    this.store = options.store;
    this.owner = o.owner ?? `${hostname()}:${process.pid}`;
    this.clock = options.clock ?? realClock;
    this.bus = options.bus;
    this.fence = options.fence ?? UNFENCED;
    this.policies = options.approvalPolicies ?? [];
    this.retention = options.retention;
    this.config = Object.freeze({
      leaseMs: o.leaseMs ?? DURABLE_HOST_DEFAULTS.leaseMs,
      pollMs: o.pollMs ?? DURABLE_HOST_DEFAULTS.pollMs,
      deadLetterOnFailure: o.deadLetterOnFailure ?? DURABLE_HOST_DEFAULTS.deadLetterOnFailure,
    });
    for (const def of options.runs ?? []) this.register(def);
    const wiring = { clock: this.clock, ...(this.bus === undefined ? {} : { bus: this.bus }) };
    this.deadLetters = new DeadLetterQueue(this.store, { ...wiring, replayRun: (letter, input) => this.replayLetter(letter, input) });
    this.approvals = new Approvals(this.store, {
      ...wiring,
      onDecided: (a) => {
        if (!this.closed) void this.resumeIfKnown(a.runId);
      },
    });
  }

  /** Register a run definition (its name must be unique on this host). */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  register(def: RunDefinition<any, any>): void {
    if (this.definitions.has(def.name) && this.definitions.get(def.name) !== def) {
      throw new InvalidSpecError('durable host', 'runs', def.name, 'registers two different definitions under one name');
    }
    this.definitions.set(def.name, def as RunDefinition<unknown, unknown>);
  }

  /** Names of the registered definitions. */
  get runNames(): readonly string[] {
    return [...this.definitions.keys()];
  }

  /** Ids of the runs executing in this process now. */
  get activeRuns(): readonly string[] {
    return [...this.active.keys()];
  }

  /**
   * Start a run of `definition` with `input` (JSON data). With an `id` that already exists, the
   * existing run is returned: resumed if it is not finished and may be claimed, else its stored outcome.
   */
  async start<I, O>(definition: RunDefinition<I, O> | string, input: I, options: { id?: string; replayOf?: string } = {}): Promise<RunHandle<O>> {
    this.assertOpen();
    const def = this.definition(typeof definition === 'string' ? definition : definition.name);
    const checked = toJournalJson(input);
    if ('problem' in checked) throw new InvalidSpecError(`run "${def.name}"`, `input${checked.problem.path.slice(1)}`, input, checked.problem.why);
    const id = options.id ?? newId();
    const now = this.clock.now();
    const { run, created } = await this.store.createRun({
      id,
      name: def.name,
      input: checked.json === undefined ? null : (JSON.parse(checked.json) as Json),
      traceId: newTraceId(),
      at: now,
      ...(options.replayOf === undefined ? {} : { replayOf: options.replayOf }),
    });
    if (!created) {
      if (run.name !== def.name) throw new DurableStateError(`run ${id}`, `already exists as a run of "${run.name}"`);
      const handle = await this.claimAndExecute(run, true);
      return (handle ?? { id, result: Promise.resolve(outcomeOfRecord(run)) }) as RunHandle<O>;
    }
    const handle = await this.claimAndExecute(run, false);
    return handle as RunHandle<O>;
  }

  /**
   * Resume one run now: claim it (fencing any earlier owner, even a live one) and execute it
   * from its journal. A failed run retries from its failed step. Refused for finished runs.
   */
  async resume(id: string): Promise<RunHandle> {
    this.assertOpen();
    const run = await this.store.getRun(id);
    if (run === undefined) throw new DurableStateError(`run ${id}`, 'no such run');
    this.definition(run.name);
    if (this.active.has(id)) return { id, result: this.active.get(id)!.result };
    if (run.status === 'completed' || run.status === 'cancelled') throw new DurableStateError(`run ${id}`, `it is ${run.status}; only running, suspended or failed runs can be resumed`);
    const handle = await this.claimAndExecute(run, false, true);
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
    const now = this.clock.now();
    const candidates = await this.store.listRecoverableRuns(this.owner, now, this.process.pidSpace);
    const handles: RunHandle[] = [];
    for (const run of candidates) {
      if (!this.definitions.has(run.name) || this.active.has(run.id)) continue;
      if (this.heldElsewhere(run, now) && !this.ownerGone(run)) continue;
      const h = await this.claimAndExecute(run, true);
      if (h !== undefined) handles.push(h);
    }
    return handles;
  }

  /** Poll the store every `pollMs` (recover, cancel requests, dead-letter replays, retention) until disposed or closed. */
  serve(): Disposable {
    this.assertOpen();
    let stopped = false;
    const loop = (): void => {
      if (stopped || this.closed) return;
      this.polling = this.tick()
        .catch((error: unknown) => {
          if (this.bus?.wants('durable.poll_failed')) this.bus.emit({ type: 'durable.poll_failed', owner: this.owner, error });
        })
        .finally(() => {
          this.polling = undefined;
          if (!stopped && !this.closed) this.poller = this.clock.setTimer(this.config.pollMs, loop);
        });
    };
    loop();
    return disposable(() => {
      stopped = true;
      this.poller?.cancel();
    });
  }

  /** One pass of what `serve()` does every poll. */
  async tick(): Promise<void> {
    if (this.closed) return;
    await this.recover();
    if (this.active.size > 0) {
      for (const run of await this.store.listRuns({ status: 'running' })) {
        if (run.request === 'cancel' && this.active.has(run.id)) this.abortLocal(run.id, 'cancel requested');
      }
    }
    for (const letter of await this.store.listDeadLetters({ status: 'replay_requested' })) {
      if (letter.runId !== undefined && this.definitions.has(letter.source)) await this.deadLetters.replay(letter.id).catch(() => undefined);
    }
    if (this.retention !== undefined) await this.compact();
  }

  /**
   * Cancel a run: at its next step if it executes here; at once if no host is executing it
   * (suspended, failed, or its owner's lease expired); otherwise by leaving a cancel request for
   * the host that is. Resolves with what was done.
   */
  async cancel(id: string, options: { reason?: string; by?: string } = {}): Promise<'cancelled' | 'requested'> {
    const reason = options.reason ?? 'cancelled';
    const run = await this.store.getRun(id);
    if (run === undefined) throw new DurableStateError(`run ${id}`, 'no such run');
    if (run.status === 'completed' || run.status === 'cancelled') throw new DurableStateError(`run ${id}`, `it is already ${run.status}`);
    await this.store.appendAudit({ at: this.clock.now(), actor: options.by ?? 'api', action: 'run.cancel', subject: `run:${id}`, reason });
    if (this.active.has(id)) {
      this.abortLocal(id, reason);
      await this.active.get(id)?.result;
      return 'cancelled';
    }
    const done = await this.store.cancelIdleRun(id, toStoredError(new RunCancelledError(id, reason)), this.clock.now());
    if (done !== undefined) {
      if (this.bus?.wants('run.cancelled')) this.bus.emit({ type: 'run.cancelled', runId: id, reason });
      return 'cancelled';
    }
    await this.store.requestRun(id, 'cancel', this.clock.now());
    return 'requested';
  }

  /**
   * Say what happened to an uncertain effect (after checking the service): `done` (the run goes
   * on without repeating it) or `not_done` (it runs again, with the same idempotency key). The
   * run is then asked to resume.
   */
  async resolveEffect(runId: string, key: string, outcome: 'done' | 'not_done', options: { by?: string; reason?: string } = {}): Promise<void> {
    const effect = await this.store.getEffect(key);
    if (effect === undefined || effect.runId !== runId) throw new DurableStateError(`effect ${key}`, `no such effect in run ${runId}`);
    if (!(await this.store.resolveEffect(key, outcome, this.clock.now()))) throw new DurableStateError(`effect ${key}`, `it is ${effect.status}, not uncertain`);
    await this.store.appendAudit({ at: this.clock.now(), actor: options.by ?? 'api', action: `effect.${outcome}`, subject: `effect:${key}`, ...(options.reason === undefined ? {} : { reason: options.reason }) });
    await this.store.requestRun(runId, 'resume', this.clock.now());
  }

  /** Apply the retention policy now; returns how many runs were compacted. */
  async compact(policy: RetentionPolicy | undefined = this.retention): Promise<number> {
    if (policy === undefined) return 0;
    return this.store.compactRuns({
      finishedBefore: this.clock.now() - policy.keepFinishedMs,
      statuses: policy.statuses ?? ['completed', 'cancelled'],
      mode: policy.mode ?? 'archive',
      at: this.clock.now(),
    });
  }

  /**
   * Stop: no more polling or lease renewal, and runs executing here stop at their next step
   * without recording anything (outcome `interrupted`); they stay `running` in the store for a
   * host to recover. The store is not closed (it is the caller's).
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.poller?.cancel();
    this.renewal?.cancel();
    for (const [, run] of this.active) run.controller.abort(new Interruption('the host is closing'));
    await Promise.all([...this.active.values()].map((r) => r.result));
    await this.polling;
  }

  // ---- internals

  private assertOpen(): void {
    if (this.closed) throw new DurableStateError(`durable host ${this.owner}`, 'is closed');
  }

  private definition(name: string): RunDefinition<unknown, unknown> {
    const def = this.definitions.get(name);
    if (def === undefined) throw new UnknownRunError(name, this.runNames);
    return def;
  }

  private abortLocal(id: string, reason: string): void {
    this.active.get(id)?.controller.abort(new RunCancelledError(id, reason));
  }

  /**
   * A decision made between the run asking for an approval and the run being recorded as
   * suspended found the run still running, so the store left no resume request: leave it now (a
   * decision made after the suspension leaves its own; asking twice is harmless).
   */
  private async resumeIfDecidedMeanwhile(runId: string, detail: unknown): Promise<void> {
    const approvalId = (detail as { approvalId?: unknown } | null)?.approvalId;
    if (typeof approvalId !== 'string') return;
    const approval = await this.store.getApproval(approvalId);
    if (approval !== undefined && approval.status !== 'pending') await this.store.requestRun(runId, 'resume', this.clock.now());
  }

  private async resumeIfKnown(runId: string): Promise<void> {
    try {
      const run = await this.store.getRun(runId);
      if (run === undefined || !this.definitions.has(run.name) || this.active.has(runId) || this.closed) return;
      await this.claimAndExecute(run, true);
    } catch {
      // The next poll (or another host) picks it up.
    }
  }

  private async replayLetter(letter: DeadLetter, input: Json): Promise<string | undefined> {
    if (!this.definitions.has(letter.source)) return undefined;
    const handle = await this.start(letter.source, input, { id: `replay-${letter.id}`, replayOf: letter.id });
    return handle.id;
  }

  /** Running under another owner whose lease has not expired at `now`. */
  private heldElsewhere(run: RunRecord, now: number): boolean {
    return run.status === 'running' && run.owner !== undefined && run.owner !== this.owner && (run.leaseExpiresAt ?? Number.NEGATIVE_INFINITY) > now;
  }

  /** The process that holds `run` was on this machine and is gone. */
  private ownerGone(run: RunRecord): boolean {
    return run.status === 'running' && processState(run.ownerProcess) === 'gone';
  }

  /**
   * Claim `run` (conditionally: only if it is recoverable, or held by a process on this machine
   * that is gone and still at the epoch read in `run`) and execute it.
   */
  private async claimAndExecute(run: RunRecord, conditional: boolean, force = false): Promise<RunHandle | undefined> {
    if (this.active.has(run.id)) return { id: run.id, result: this.active.get(run.id)!.result };
    const def = this.definition(run.name);
    const now = this.clock.now();
    const takeOver = conditional && !force && this.heldElsewhere(run, now) && this.ownerGone(run);
    const claimed = await this.store.claimRun(run.id, {
      owner: this.owner,
      ownerProcess: this.process,
      leaseExpiresAt: now + this.config.leaseMs,
      at: now,
      ...(conditional && !force ? { onlyIf: { now, owner: this.owner, ...(takeOver ? { epoch: run.epoch } : {}) } } : {}),
    });
    if (claimed === undefined) return undefined;
    if (takeOver && this.bus?.wants('run.taken_over')) {
      this.bus.emit({ type: 'run.taken_over', runId: run.id, from: run.owner ?? '', pid: run.ownerProcess?.pid ?? 0, leaseExpiresAt: run.leaseExpiresAt ?? 0 });
    }
    if (this.active.has(run.id)) return { id: run.id, result: this.active.get(run.id)!.result };
    const controller = new AbortController();
    let settle!: (o: RunOutcome) => void;
    const result = new Promise<RunOutcome>((resolve) => (settle = resolve));
    this.active.set(run.id, { epoch: claimed.epoch, controller, result });
    this.armRenewal();
    void this.execute(claimed, run, def, controller).then(settle, (e: unknown) =>
      settle({ status: 'interrupted', runId: run.id, why: e instanceof Error ? e.message : String(e) }),
    ).finally(() => {
      if (this.active.get(run.id)?.controller === controller) this.active.delete(run.id);
    });
    return { id: run.id, result };
  }

  private armRenewal(): void {
    if (this.renewal !== undefined || this.closed) return;
    const every = Math.max(1, Math.floor(this.config.leaseMs / 3));
    this.renewal = this.clock.setTimer(every, () => {
      // The next renewal is armed only after this one is written, so a slow store never piles them up.
      void this.renewLeases().finally(() => {
        this.renewal = undefined;
        if (this.active.size > 0) this.armRenewal();
      });
    });
  }

  /** Extend the lease of every run executing here to now + `leaseMs` (done every `leaseMs / 3` while any runs). */
  async renewLeases(): Promise<number> {
    if (this.active.size === 0 || this.closed) return 0;
    const runs = [...this.active].map(([id, r]) => ({ id, epoch: r.epoch }));
    return this.store.renewRunLeases(this.owner, runs, this.clock.now() + this.config.leaseMs).catch(() => 0);
  }

  private async execute(claimed: RunRecord, before: RunRecord, def: RunDefinition<unknown, unknown>, controller: AbortController): Promise<RunOutcome> {
    const id = claimed.id;
    const epoch = claimed.epoch;
    let journal = await this.store.readJournal(id);
    const last = journal[journal.length - 1];
    if (before.status === 'failed' && last !== undefined && last.outcome === 'error') {
      // Retry a failed run from its failed step: drop that step's journaled failure.
      await this.store.truncateJournal(id, epoch, last.seq);
      journal = journal.slice(0, -1);
    }
    if (this.bus !== undefined) {
      if (epoch === 1 && journal.length === 0) {
        if (this.bus.wants('run.started')) this.bus.emit({ type: 'run.started', runId: id, name: def.name, traceId: claimed.traceId });
      } else if (this.bus.wants('run.resumed')) {
        this.bus.emit({ type: 'run.resumed', runId: id, name: def.name, epoch, journaled: journal.length });
      }
    }
    const ctx = new RunContext(
      {
        store: this.store,
        clock: this.clock,
        bus: this.bus,
        fence: this.fence,
        policies: this.policies,
        runId: id,
        runName: def.name,
        traceId: claimed.traceId,
        epoch,
        signal: controller.signal,
      },
      journal,
    );
    let output: unknown;
    try {
      output = await def.fn(ctx, claimed.input);
      if (ctx.stopped !== undefined) throw ctx.stopped;
    } catch (e) {
      return this.ended(claimed, ctx, ctx.stopped ?? e);
    }
    try {
      const j = toJournalJson(output);
      if ('problem' in j) throw new NotSerializableError(id, 'the run output', j.problem.path, j.problem.why);
      const stored = j.json === undefined ? undefined : (JSON.parse(j.json) as Json);
      this.fence.check(`record completion of run ${id}`);
      await this.store.finishRun(id, epoch, { status: 'completed', output: stored }, this.clock.now());
      if (this.bus?.wants('run.completed')) this.bus.emit({ type: 'run.completed', runId: id, name: def.name });
      return { status: 'completed', runId: id, output: stored };
    } catch (e) {
      return this.ended(claimed, ctx, e);
    }
  }

  /** Record how a run that did not complete ended. */
  private async ended(run: RunRecord, ctx: RunContext, reason: unknown): Promise<RunOutcome> {
    const id = run.id;
    const now = this.clock.now();
    try {
      if (reason instanceof Interruption) return { status: 'interrupted', runId: id, why: reason.why };
      // The journal's disk is full: record nothing (there is no room); the run stays running and resumes once there is.
      if (isWardenError(reason, 'JOURNAL_FULL')) return { status: 'interrupted', runId: id, why: (reason as Error).message };
      if (isWardenError(reason, 'FENCED')) {
        if (this.bus?.wants('run.fenced')) this.bus.emit({ type: 'run.fenced', runId: id, epoch: ctx.epoch, operation: (reason as { operation?: string }).operation ?? 'write' });
        return { status: 'interrupted', runId: id, why: (reason as Error).message };
      }
      this.fence.check(`record the end of run ${id}`);
      if (reason instanceof Suspension) {
        await this.store.finishRun(id, ctx.epoch, { status: 'suspended', reason: reason.reason, detail: reason.detail }, now);
        if (this.bus?.wants('run.suspended')) this.bus.emit({ type: 'run.suspended', runId: id, reason: reason.reason, detail: reason.detail });
        // Best effort: the suspension is recorded whatever this finds (a failed read leaves the run waiting for the next decision).
        if (reason.reason === 'approval') await this.resumeIfDecidedMeanwhile(id, reason.detail).catch(() => {});
        return { status: 'suspended', runId: id, reason: reason.reason, detail: reason.detail };
      }
      if (reason instanceof RunCancelledError) {
        const why = reason.message;
        await this.store.finishRun(id, ctx.epoch, { status: 'cancelled', error: toStoredError(reason) }, now);
        if (this.bus?.wants('run.cancelled')) this.bus.emit({ type: 'run.cancelled', runId: id, reason: why });
        return { status: 'cancelled', runId: id, reason: why };
      }
      const error = toStoredError(reason);
      await this.store.finishRun(id, ctx.epoch, { status: 'failed', error }, now);
      let deadLetterId: string | undefined;
      if (this.config.deadLetterOnFailure) {
        const letter = await this.deadLetters.add({
          source: run.name,
          runId: id,
          input: run.input,
          error,
          attempts: reason instanceof StepFailedError ? reason.attempts : [],
          traceId: run.traceId,
        });
        deadLetterId = letter.id;
      }
      if (this.bus?.wants('run.failed')) this.bus.emit({ type: 'run.failed', runId: id, name: run.name, error });
      return { status: 'failed', runId: id, error, ...(deadLetterId === undefined ? {} : { deadLetterId }) };
    } catch (e) {
      if (isWardenError(e, 'FENCED')) {
        if (this.bus?.wants('run.fenced')) this.bus.emit({ type: 'run.fenced', runId: id, epoch: ctx.epoch, operation: (e as { operation?: string }).operation ?? 'write' });
      }
      return { status: 'interrupted', runId: id, why: e instanceof Error ? e.message : String(e) };
    }
  }
}

/**
 * The outcome a run's stored record describes: its result when it has finished, `suspended` or
 * `interrupted` (with why) when it has not.
 */
export function outcomeOfRecord(run: RunRecord): RunOutcome {
  switch (run.status) {
    case 'completed':
      return { status: 'completed', runId: run.id, output: run.output };
    case 'failed':
      return { status: 'failed', runId: run.id, error: run.error ?? { name: 'Error', message: 'failed' } };
    case 'cancelled':
      return { status: 'cancelled', runId: run.id, reason: run.error?.message ?? 'cancelled' };
    case 'suspended':
      return { status: 'suspended', runId: run.id, reason: run.suspendReason ?? 'unknown', detail: run.suspendDetail ?? null };
    case 'running':
      return { status: 'interrupted', runId: run.id, why: `run ${run.id} is executing under ${run.owner ?? 'another owner'}` };
    default:
      return { status: 'interrupted', runId: run.id, why: `unknown status ${String(run.status)}` };
  }
}
