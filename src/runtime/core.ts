/**
 * The state a runtime is made of: one `Core` per runtime (its live processes, run queue, names,
 * topics and counters) and one `ProcessRecord` per process. Each operation on that state is a
 * function in the module of its concern (delivery, receive, backpressure, scheduler, calls,
 * links, exits, remote processes, progress, registry, topics), and `Runtime` and `ProcessContext`
 * (runtime.ts) only call those functions. What lives here is what keeps the state itself
 * consistent: the live list, the run queue, a record's flags and its lazily grown extras.
 *
 * The core and its records point at each other, so they share this file; every other module
 * imports it and it imports none of them, which keeps the runtime's import graph acyclic.
 */
import type { Clock, Timer } from './clock.ts';
import { ProcessExitedError } from './errors.ts';
import type { EventBus } from './events.ts';
import type { Mailbox, MailboxOptions } from './mailbox.ts';
import type { SpawnOptions } from './options.ts';
import { brandPid, formatPid, type Pid } from './pid.ts';
import type { RemoteEndpoint } from './remote.ts';
import type { ExitReason } from './terms.ts';

export const RUNNING = 0;
export const EXITED = 1;

/** Something told when a monitored process exits: a process (gets a DOWN message) or a pending call. */
export interface DownWatcher {
  onDown(ref: number, pid: ProcessRecord, reason: ExitReason): void;
}

/** A call a process is waiting on (calls.ts); cancelled when the caller exits. */
export interface CallWaiter {
  cancel(reason: ExitReason): void;
}

/** A sender waiting for room in a full mailbox (backpressure.ts). */
export interface BlockedSend {
  readonly target: ProcessRecord;
  readonly sender: ProcessRecord | undefined;
  readonly message: unknown;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
  timer: Timer | null;
}

/** Something waiting for a process to finish starting (start-link.ts). */
export interface StartWatch {
  onExitBeforeAck(reason: ExitReason): void;
}

/**
 * Per-process state that most processes never use, allocated on first use
 * (`ensureExtras()`) to keep an idle process small. Each field belongs to one module.
 */
export interface ProcessExtras {
  label: string | undefined;
  /** Registered name (registry.ts). */
  name: string | undefined;
  /** Topics subscribed to (topics.ts). */
  topics: Set<string> | undefined;
  /** Behind `ctx.signal`: aborted when the process exits. */
  abort: AbortController | undefined;
  /** Calls this process is waiting on (calls.ts). */
  calls: Set<CallWaiter> | undefined;
  /** Senders waiting for room in this process's mailbox, oldest first (backpressure.ts). */
  blocked: BlockedSend[] | undefined;
  /** This process's own sends that are waiting for room elsewhere (backpressure.ts). */
  sending: Set<BlockedSend> | undefined;
  /** Who waits for this process to acknowledge its start (start-link.ts). */
  startWatch: StartWatch | undefined;
  /** The pending receive's matcher and timeout, when it has them (receive.ts). */
  waitMatch: ((message: unknown) => boolean) | undefined;
  waitTimer: Timer | undefined;
  /** Monitors this process holds: ref → watched process (links.ts). */
  watching: Map<number, ProcessRecord> | undefined;
  /** Mailbox options when they differ from the runtime's default. */
  mailboxOptions: MailboxOptions | undefined;
  /** For a remote process: how to reach the real one, and its node (remote-processes.ts). */
  remote: RemoteEndpoint | undefined;
  remoteNode: string | undefined;
  /** Clock reading of the last progress beat (progress.ts). */
  lastBeatAt: number | undefined;
  /** Behind `ctx.stopSignal`: aborted by a soft stop (progress.ts). */
  stop: AbortController | undefined;
}

const TRAPPING = 1;
const BUSY = 2;
const SCHEDULED = 4;

/**
 * One process: its identity (a record *is* its pid) and its state. A record is small and
 * lazily grows what it uses, so a million idle processes fit in well under a gigabyte. Every
 * record is a `Process` (runtime.ts), which adds the `ProcessContext` its body runs with.
 */
export abstract class ProcessRecord implements Pid, DownWatcher {
  readonly id: number;
  readonly core: Core;
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
  /** Body and argument until the body starts (the body takes the record as its ctx). */
  body: ((ctx: never, arg: never) => unknown) | null;
  arg: unknown;
  /** For message-handler processes (servers): called once per message by the scheduler. */
  handler: ((message: unknown) => unknown) | null = null;
  /** Neighbours in the core's list of live processes. */
  prev: ProcessRecord | null = null;
  next: ProcessRecord | null = null;
  extras: ProcessExtras | null = null;

  constructor(
    core: Core,
    id: number,
    parent: ProcessRecord | undefined,
    body: ((ctx: never, arg: never) => unknown) | null,
    arg: unknown,
    options: SpawnOptions | undefined,
    mailboxOptions: MailboxOptions,
  ) {
    this.core = core;
    this.id = id;
    this.parent = parent;
    this.body = body;
    this.arg = arg;
    if (options?.trapExits === true) this.flags = TRAPPING;
    if (options?.label !== undefined) this.ensureExtras().label = options.label;
    if (mailboxOptions !== core.defaultMailbox) this.ensureExtras().mailboxOptions = mailboxOptions;
  }

  /** A watched process exited (this record holds the monitor `ref`): a DOWN message for it. */
  abstract onDown(ref: number, pid: ProcessRecord, reason: ExitReason): void;

  get mailboxOptions(): MailboxOptions {
    return this.extras?.mailboxOptions ?? this.core.defaultMailbox;
  }

  get node(): string {
    return this.extras?.remoteNode ?? this.core.node;
  }

  /** True for the local record of a remote process (one that runs in another runtime). */
  get isRemote(): boolean {
    return this.extras?.remote !== undefined;
  }

  /** A descriptive label given at spawn (shown in events), if any. */
  get label(): string | undefined {
    return this.extras?.label;
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

  /** Queued in the core's run queue. */
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

  /** The extras, allocated on first use. */
  ensureExtras(): ProcessExtras {
    return (this.extras ??= {
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

  /** Forget the pending receive (after resuming it). */
  endWait(): void {
    this.waitResolve = null;
    const extras = this.extras;
    if (extras !== null) {
      extras.waitMatch = undefined;
      if (extras.waitTimer !== undefined) {
        extras.waitTimer.cancel();
        extras.waitTimer = undefined;
      }
    }
  }

  assertAlive(operation: string): void {
    if (this.status !== RUNNING) throw this.refused(operation);
  }

  /** A dead incarnation tried to act: report it (`process.fenced`) and return the error to throw. */
  refused(operation: string): ProcessExitedError {
    const events = this.core.events;
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

/**
 * A runtime's state. `Runtime` (runtime.ts) builds one and is its `owner`; every record of
 * that runtime points back at it.
 */
export class Core {
  /** The `Runtime` this core belongs to (what `ctx.runtime` returns). */
  readonly owner: object;
  readonly clock: Clock;
  readonly node: string;
  readonly events: EventBus;
  /** Mailbox options of processes spawned without their own. */
  readonly defaultMailbox: MailboxOptions;
  /** Registered names (registry.ts). */
  readonly names = new Map<string, ProcessRecord>();
  /** Subscribers by topic, in subscription order (topics.ts). */
  readonly subscribers = new Map<string, Set<ProcessRecord>>();
  /** Live processes, a doubly linked list in spawn order (cheaper per process than a map). */
  first: ProcessRecord | null = null;
  last: ProcessRecord | null = null;
  live = 0;
  nextId = 1;
  /** Monitor and call references. */
  nextRef = 1;
  /** Processes with something to run, drained on a microtask by the scheduler. */
  runQueue: ProcessRecord[] = [];
  drainScheduled = false;
  /** Runs the run queue (scheduler.ts, which sits above everything it runs, so it is passed in). */
  readonly drain: () => void;
  /** Processes that died and whose deaths are still being delivered (exits.ts). */
  readonly dying: ProcessRecord[] = [];
  cascading = false;
  /** What a killed process's pending receive is resolved with (exits.ts), made once. */
  cancelledReceive: Promise<never> | undefined = undefined;

  constructor(owner: object, clock: Clock, node: string, events: EventBus, defaultMailbox: MailboxOptions, drainRunQueue: (core: Core) => void) {
    this.owner = owner;
    this.clock = clock;
    this.node = node;
    this.events = events;
    this.defaultMailbox = defaultMailbox;
    this.drain = () => drainRunQueue(this);
  }

  /** The record behind a pid of this runtime, if it is one. */
  recordOf(pid: unknown): ProcessRecord | undefined {
    return pid instanceof ProcessRecord && pid.core === this ? pid : undefined;
  }

  /** Give `proc` a turn on the next drain (once, however often it is asked). */
  schedule(proc: ProcessRecord): void {
    if (proc.scheduled) return;
    proc.scheduled = true;
    this.runQueue.push(proc);
    if (!this.drainScheduled) {
      this.drainScheduled = true;
      queueMicrotask(this.drain);
    }
  }

  /** Add `proc` to the live list (it is counted and listed). */
  attach(proc: ProcessRecord): void {
    proc.prev = this.last;
    if (this.last === null) this.first = proc;
    else this.last.next = proc;
    this.last = proc;
    this.live++;
  }

  /** Remove `proc` from the live list. */
  detach(proc: ProcessRecord): void {
    if (proc.prev === null) this.first = proc.next;
    else proc.prev.next = proc.next;
    if (proc.next === null) this.last = proc.prev;
    else proc.next.prev = proc.prev;
    proc.prev = proc.next = null;
    this.live--;
  }

  /** Whether `proc` is in the live list (a remote process is only once adopted). */
  isListed(proc: ProcessRecord): boolean {
    return proc.prev !== null || this.first === proc;
  }
}
