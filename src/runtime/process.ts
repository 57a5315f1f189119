/**
 * One process: its identity (it *is* the pid), its mailbox, links and monitors, and the
 * `ProcessContext` its body runs with. A record is small and lazily grows what it uses, so a
 * million idle processes fit in well under a gigabyte. All cross-process work (signals,
 * delivery, calls) is done by the runtime; this file holds only per-process state and the
 * receive logic.
 */
import type { Clock, Timer } from './clock.ts';
import type {
  CallOptions,
  Dest,
  ProcessBody,
  ProcessContext,
  ReceiveOptions,
  SendWaitOptions,
  SpawnOptions,
} from './context.ts';
import { ProcessExitedError, WardenError } from './errors.ts';
import { NOTHING, type Mailbox, type MailboxOptions } from './mailbox.ts';
import { FencedError, type Fence } from './fence.ts';
import type { RemoteEndpoint } from './remote.ts';
import { DownMessage, type CallFrom } from './messages.ts';
import { brandPid, formatPid, type Pid } from './pid.ts';
import type { ExitReason } from './terms.ts';
import type { Runtime } from './runtime.ts';

export const RUNNING = 0;
export const EXITED = 1;

/** Something told when a monitored process exits: a process (gets a DOWN message) or a pending call. */
export interface DownWatcher {
  onDown(ref: number, pid: ProcessRecord, reason: ExitReason): void;
}

/** A sender waiting for room in a full mailbox. */
export interface BlockedSend {
  readonly target: ProcessRecord;
  readonly sender: ProcessRecord | undefined;
  readonly message: unknown;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
  timer: Timer | null;
}

/** Something waiting for a process to finish starting (`startLink`). */
export interface StartWatch {
  onExitBeforeAck(reason: ExitReason): void;
}

/** Rarely used per-process state, allocated on first use to keep idle processes small. */
interface Extras {
  label: string | undefined;
  name: string | undefined;
  topics: Set<string> | undefined;
  abort: AbortController | undefined;
  /** Calls this process is waiting on. */
  calls: Set<{ cancel(reason: ExitReason): void }> | undefined;
  /** Senders waiting for room in this process's mailbox, oldest first. */
  blocked: BlockedSend[] | undefined;
  /** This process's own sends that are waiting for room elsewhere. */
  sending: Set<BlockedSend> | undefined;
  startWatch: StartWatch | undefined;
  /** The pending receive's matcher and timeout, when it has them. */
  waitMatch: ((message: unknown) => boolean) | undefined;
  waitTimer: Timer | undefined;
  /** Monitors this process holds: ref → watched process. */
  watching: Map<number, ProcessRecord> | undefined;
  /** Mailbox options when they differ from the runtime's default. */
  mailboxOptions: MailboxOptions | undefined;
  /** For a ghost: where the real process lives. */
  remote: RemoteEndpoint | undefined;
  remoteNode: string | undefined;
  /** Clock reading of the last progress beat (`ctx.beat()`), for watchdogs. */
  lastBeatAt: number | undefined;
  /** Aborted when the process is asked to stop cooperatively (a watchdog's soft stop). */
  stop: AbortController | undefined;
}

/** Thrown by `ctx.exit()` to unwind the body; the runtime recognises and swallows it. */
export class ExitUnwind extends WardenError {
  readonly code = 'PROCESS_EXIT_UNWIND';
  readonly pid: Pid;

  constructor(pid: Pid) {
    super(`process ${String(pid)} exited`);
    this.pid = pid;
  }
}

const TRAPPING = 1;
const BUSY = 2;
const SCHEDULED = 4;

export class ProcessRecord implements Pid, ProcessContext, DownWatcher {
  readonly id: number;
  readonly runtime: Runtime;
  readonly parent: Pid | undefined;
  status: typeof RUNNING | typeof EXITED = RUNNING;
  exitReason: ExitReason = 'normal';
  /** TRAPPING | BUSY | SCHEDULED bits. */
  private flags = 0;
  mailbox: Mailbox | null = null;
  /**
   * How to resume the pending receive, if any (its matcher and timer, when it has them, are in
   * the extras). Only `resolve` is kept (a receive is failed by resolving it with a rejected
   * promise), which saves a closure per waiting process.
   */
  waitResolve: ((message: unknown) => void) | null = null;
  /** Linked processes. */
  links: Set<ProcessRecord> | null = null;
  /** Monitors on this process: ref → watcher. */
  monitors: Map<number, DownWatcher> | null = null;
  /** Body and argument until the body starts. */
  body: ProcessBody<never> | null;
  arg: unknown;
  /** For message-handler processes (servers): called once per message by the run loop. */
  handler: ((message: unknown) => unknown) | null = null;
  /** Neighbours in the runtime's list of live processes. */
  prev: ProcessRecord | null = null;
  next: ProcessRecord | null = null;
  x: Extras | null = null;

  constructor(
    runtime: Runtime,
    id: number,
    parent: ProcessRecord | undefined,
    body: ProcessBody<never> | null,
    arg: unknown,
    options: SpawnOptions | undefined,
    mailboxOptions: MailboxOptions,
  ) {
    this.runtime = runtime;
    this.id = id;
    this.parent = parent;
    this.body = body;
    this.arg = arg;
    if (options?.trapExits === true) this.flags = TRAPPING;
    if (options?.label !== undefined) this.extras().label = options.label;
    if (mailboxOptions !== runtime.defaultMailbox) this.extras().mailboxOptions = mailboxOptions;
  }

  get mailboxOptions(): MailboxOptions {
    return this.x?.mailboxOptions ?? this.runtime.defaultMailbox;
  }

  /** Monitors this process holds: ref → watched process. */
  get watching(): Map<number, ProcessRecord> | undefined {
    return this.x?.watching;
  }

  /** The pending receive's matcher (undefined: any message). */
  get waitMatch(): ((message: unknown) => boolean) | undefined {
    return this.x?.waitMatch;
  }

  get node(): string {
    return this.x?.remoteNode ?? this.runtime.node;
  }

  /** True for a ghost: the stand-in of a process that runs elsewhere. */
  get isGhost(): boolean {
    return this.x?.remote !== undefined;
  }

  /** A descriptive label given at spawn (shown in events), if any. */
  get label(): string | undefined {
    return this.x?.label;
  }

  get trapping(): boolean {
    return (this.flags & TRAPPING) !== 0;
  }

  set trapping(on: boolean) {
    this.flags = on ? this.flags | TRAPPING : this.flags & ~TRAPPING;
  }

  /** A handler process is busy while a handler call (or its init) is pending. */
  get busy(): boolean {
    return (this.flags & BUSY) !== 0;
  }

  set busy(on: boolean) {
    this.flags = on ? this.flags | BUSY : this.flags & ~BUSY;
  }

  /** Queued in the runtime's run queue. */
  get scheduled(): boolean {
    return (this.flags & SCHEDULED) !== 0;
  }

  set scheduled(on: boolean) {
    this.flags = on ? this.flags | SCHEDULED : this.flags & ~SCHEDULED;
  }

  toString(): string {
    return formatPid(this.node, this.id);
  }

  /** JSON form: the printed pid. */
  toJSON(): string {
    return this.toString();
  }

  /** How `console.log` and `util.inspect` show it: `<0.42>`. */
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.toString();
  }

  extras(): Extras {
    return (this.x ??= {
      label: undefined,
      name: undefined,
      topics: undefined,
      abort: undefined,
      calls: undefined,
      blocked: undefined,
      sending: undefined,
      startWatch: undefined,
      waitMatch: undefined,
      waitTimer: undefined,
      watching: undefined,
      mailboxOptions: undefined,
      remote: undefined,
      remoteNode: undefined,
      lastBeatAt: undefined,
      stop: undefined,
    });
  }

  // ---- ProcessContext --------------------------------------------------------------------

  get self(): Pid {
    return this;
  }

  get clock(): Clock {
    return this.runtime.clock;
  }

  get isAlive(): boolean {
    return this.status === RUNNING;
  }

  /** Aborted when the process is asked to stop cooperatively (a watchdog's soft stop); it then has a grace period. */
  get stopSignal(): AbortSignal {
    const x = this.extras();
    x.stop ??= new AbortController();
    return x.stop.signal;
  }

  /** Report progress (a step done, a token streamed): watchdogs see it. Cheap enough to call often. */
  beat(): void {
    if (this.status !== RUNNING) throw this.refused('beat');
    this.runtime.recordBeat(this);
  }

  /** This incarnation's fence: current while the process runs; generation = its pid number. */
  get fence(): Fence {
    return new ProcessFence(this);
  }

  get signal(): AbortSignal {
    const x = this.extras();
    if (x.abort === undefined) {
      x.abort = new AbortController();
      if (this.status !== RUNNING) x.abort.abort(this.exitedError('signal'));
    }
    return x.abort.signal;
  }

  receive(
    matchOrOptions?: ((message: unknown) => boolean) | ReceiveOptions,
    maybeOptions?: ReceiveOptions,
  ): Promise<never> {
    const match = typeof matchOrOptions === 'function' ? matchOrOptions : undefined;
    const options = typeof matchOrOptions === 'function' ? maybeOptions : matchOrOptions;
    if (this.status !== RUNNING) return Promise.reject(this.refused('receive'));
    if (this.waitResolve !== null) {
      return Promise.reject(new Error(`process ${String(this)}: receive() called while another receive is pending`));
    }
    const found = this.takeQueued(match);
    if (found !== NOTHING) return Promise.resolve(found as never);
    const timeoutMs = options?.timeoutMs;
    if (timeoutMs !== undefined && timeoutMs <= 0) return Promise.resolve(undefined as never);
    return new Promise<never>((resolve) => {
      const resume = resolve as (m: unknown) => void;
      this.waitResolve = resume;
      if (match !== undefined) this.extras().waitMatch = match;
      if (timeoutMs !== undefined && timeoutMs !== Infinity) {
        this.extras().waitTimer = this.runtime.clock.setTimer(timeoutMs, () => {
          if (this.waitResolve === resume) {
            this.endWait();
            resume(undefined);
          }
        });
      }
    });
  }

  /** Forget the pending receive (after resuming it). */
  endWait(): void {
    this.waitResolve = null;
    const x = this.x;
    if (x !== null) {
      x.waitMatch = undefined;
      if (x.waitTimer !== undefined) {
        x.waitTimer.cancel();
        x.waitTimer = undefined;
      }
    }
  }

  tryReceive<T = unknown>(match?: (message: unknown) => boolean): T | undefined {
    this.assertAlive('tryReceive');
    const found = this.takeQueued(match);
    return found === NOTHING ? undefined : (found as T);
  }

  /** Remove and return the oldest queued message that matches, admitting a blocked sender if room was made. */
  takeQueued(match: ((message: unknown) => boolean) | undefined): unknown {
    const mb = this.mailbox;
    if (mb === null || mb.length === 0) return NOTHING;
    const before = mb.userCount;
    const found = match === undefined ? mb.shift() : mb.take(match);
    if (mb.userCount < before && this.x?.blocked !== undefined) this.runtime.admitBlocked(this);
    return found;
  }

  send(to: Dest, message: unknown): void {
    if (this.status !== RUNNING) throw this.refused('send');
    this.runtime.send(to, message);
  }

  sendWait(to: Dest, message: unknown, options?: SendWaitOptions): Promise<void> {
    if (this.status !== RUNNING) return Promise.reject(this.refused('sendWait'));
    return this.runtime.sendWaitFrom(this, to, message, options);
  }

  call<R = unknown>(to: Dest, request: unknown, options?: CallOptions): Promise<R> {
    if (this.status !== RUNNING) return Promise.reject(this.refused('call'));
    return this.runtime.callFrom(this, to, request, options) as Promise<R>;
  }

  cast(to: Dest, message: unknown): void {
    this.assertAlive('cast');
    this.runtime.cast(to, message);
  }

  reply(from: CallFrom, value: unknown): void {
    this.assertAlive('reply');
    this.runtime.reply(from, value);
  }

  spawn<A>(body: ProcessBody<A>, arg?: A, options?: SpawnOptions): Pid {
    this.assertAlive('spawn');
    return this.runtime.spawnFrom(this, body, arg, options, false);
  }

  spawnLink<A>(body: ProcessBody<A>, arg?: A, options?: SpawnOptions): Pid {
    this.assertAlive('spawnLink');
    return this.runtime.spawnFrom(this, body, arg, options, true);
  }

  link(pid: Pid): void {
    this.assertAlive('link');
    this.runtime.link(this, pid);
  }

  unlink(pid: Pid): void {
    this.assertAlive('unlink');
    this.runtime.unlink(this, pid);
  }

  monitor(pid: Pid): number {
    this.assertAlive('monitor');
    return this.runtime.monitor(this, pid);
  }

  demonitor(ref: number, options?: { flush?: boolean }): void {
    this.assertAlive('demonitor');
    this.runtime.demonitor(this, ref, options?.flush ?? false);
  }

  sendExit(pid: Pid, reason: ExitReason): void {
    this.assertAlive('sendExit');
    this.runtime.sendExitFrom(this, pid, reason);
  }

  exit(reason: ExitReason = 'normal'): never {
    this.runtime.terminate(this, reason);
    throw new ExitUnwind(this);
  }

  trapExits(on: boolean): void {
    this.assertAlive('trapExits');
    this.trapping = on;
  }

  register(name: string): void {
    this.assertAlive('register');
    this.runtime.register(name, this);
  }

  subscribe(topic: string): void {
    this.assertAlive('subscribe');
    this.runtime.subscribe(topic, this);
  }

  unsubscribe(topic: string): void {
    this.assertAlive('unsubscribe');
    this.runtime.unsubscribe(topic, this);
  }

  publish(topic: string, message: unknown): number {
    this.assertAlive('publish');
    return this.runtime.publish(topic, message);
  }

  sleep(ms: number): Promise<void> {
    if (this.status !== RUNNING) return Promise.reject(this.refused('sleep'));
    return this.runtime.clock.sleep(ms, this.signal);
  }

  // ---- body settlement (bound to this record: smaller than closures) ---------------------

  bodyReturned(): void {
    this.runtime.onBodyReturn(this);
  }

  bodyThrew(error: unknown): void {
    this.runtime.onBodyThrow(this, error);
  }

  // ---- DownWatcher -----------------------------------------------------------------------

  onDown(ref: number, pid: ProcessRecord, reason: ExitReason): void {
    if (this.x?.watching?.delete(ref) !== true) return;
    this.runtime.deliver(this, new DownMessage(ref, pid, reason));
  }

  // ---- helpers ---------------------------------------------------------------------------

  assertAlive(operation: string): void {
    if (this.status !== RUNNING) throw this.refused(operation);
  }

  /** A dead incarnation tried to act: report it (`process.fenced`) and return the error to throw. */
  refused(operation: string): ProcessExitedError {
    const events = this.runtime.events;
    if (events.wants('process.fenced')) {
      events.emit({ type: 'process.fenced', pid: this, owner: this.label ?? String(this), generation: this.id, operation });
    }
    return this.exitedError(operation);
  }

  /**
   * The error for an operation refused because this process has exited. Built without a
   * stack trace: it is raised on every kill with a pending receive, and its stack would only
   * point into the runtime.
   */
  exitedError(operation: string): ProcessExitedError {
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    try {
      return new ProcessExitedError(this, this.exitReason, operation);
    } finally {
      Error.stackTraceLimit = limit;
    }
  }
}

brandPid(ProcessRecord.prototype);

/** The fence of one process: it stops being current the moment the process exits. */
class ProcessFence implements Fence {
  private readonly proc: ProcessRecord;

  constructor(proc: ProcessRecord) {
    this.proc = proc;
  }

  get owner(): string {
    return this.proc.label ?? String(this.proc);
  }

  get generation(): number {
    return this.proc.id;
  }

  isCurrent(): boolean {
    return this.proc.status === RUNNING;
  }

  check(operation: string): void {
    if (this.proc.status === RUNNING) return;
    const events = this.proc.runtime.events;
    if (events.wants('process.fenced')) {
      events.emit({ type: 'process.fenced', pid: this.proc, owner: this.owner, generation: this.generation, operation });
    }
    throw new FencedError(this.owner, this.generation, operation);
  }
}
