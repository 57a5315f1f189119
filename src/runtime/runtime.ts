/**
 * The runtime's two faces: `Runtime`, for code outside any process, and `ProcessContext`, what
 * a process body sees of itself (its `ctx`), implemented by `Process`, the class of every pid.
 * Both are thin: an operation checks who asks (a dead process is refused) and hands over to
 * the module of its concern, which documents its rules:
 *
 * - scheduler.ts: bodies start on the next microtask (never inside `spawn`, so the spawner
 *   holds the pid first); servers' handlers run from a run queue with a per-turn budget.
 * - delivery.ts, receive.ts, backpressure.ts: messages from one sender arrive in send order;
 *   selective receive; a full mailbox rejects, drops its oldest, or makes `sendWait` wait.
 * - calls.ts (call, reply); links.ts (links, monitors); exits.ts (Erlang's exit signals, and
 *   deaths delivered synchronously, in a loop no chain of links can overflow).
 * - registry.ts, topics.ts, inspect.ts; remote-processes.ts (processes of another runtime, in a
 *   thread or OS process) and progress.ts (beats and soft stops, for watchdogs).
 *
 * They all work on the state in core.ts. `ctx.runtime` is a `Runtime`, and `Runtime.spawn`
 * takes a body that takes a `ProcessContext`, so these share this file; no module below
 * imports it.
 */
import { sendWaitFrom } from './backpressure.ts';
import { callFrom, replyTo } from './calls.ts';
import { realClock, type Clock } from './clock.ts';
import { Core, EXITED, ProcessRecord, RUNNING } from './core.ts';
import { sendMessage } from './delivery.ts';
import { InvalidSpecError } from './errors.ts';
import { EventBus } from './events.ts';
import { ExitUnwind, abortSignalOf, killNow, signalExit, terminate } from './exits.ts';
import { ProcessFence, type Fence } from './fence.ts';
import { endRemote, listRemote, makeRemote } from './remote-processes.ts';
import { liveProcesses, processInfo, type ProcessInfo } from './inspect.ts';
import { addLink, addMonitor, deliverDown, onceExited, removeLink, removeMonitor } from './links.ts';
import { MAILBOX_DEFAULTS, NOTHING, resolveMailboxOptions } from './mailbox.ts';
import { CastMessage, type CallFrom } from './messages.ts';
import type { CallOptions, Dest, ReceiveOptions, RuntimeOptions, SendWaitOptions, SpawnOptions } from './options.ts';
import type { Pid } from './pid.ts';
import { lastBeatOf, noteBeat, requestSoftStop, stopSignalOf } from './progress.ts';
import { receiveMessage, takeQueued } from './receive.ts';
import { lookupName, registerName, registerRecord, registeredNames, unregisterName } from './registry.ts';
import type { RemoteEndpoint } from './remote.ts';
import { drainRunQueue } from './scheduler.ts';
import type { ExitReason } from './terms.ts';
import { publishTo, subscribeTo, unsubscribeFrom } from './topics.ts';

/** A process body: runs once; returning ends the process with `normal`, throwing with a crash. */
export type ProcessBody<A = unknown> = (ctx: ProcessContext, arg: A) => unknown;

/**
 * What a process sees of itself: the `ctx` handed to a process body. Every operation checks
 * that the process is still alive, so code that keeps running after its process was killed
 * (an inline process cannot be pre-empted) is refused with `ProcessExitedError` instead of
 * acting for a dead incarnation.
 */
export interface ProcessContext {
  /** This process. */
  readonly self: Pid;
  /** The process that spawned this one, if any. */
  readonly parent: Pid | undefined;
  readonly runtime: Runtime;
  readonly clock: Clock;
  /** Aborted when this process exits: pass it to fetch, timers and child work. */
  readonly signal: AbortSignal;
  /** False once the process has exited. */
  readonly isAlive: boolean;
  /** This incarnation's fence, for layers that must refuse work from a dead incarnation. */
  readonly fence: Fence;
  /** Aborted when the process is asked to stop cooperatively (a watchdog's soft stop), before a hard kill. */
  readonly stopSignal: AbortSignal;
  /** Report progress (a step done, a token streamed) to any watchdog on this process. */
  beat(): void;

  /** Next message (oldest first). */
  receive<T = unknown>(): Promise<T>;
  /** Next message, or `undefined` after `timeoutMs`. */
  receive<T = unknown>(options: ReceiveOptions): Promise<T | undefined>;
  /** Oldest message that matches (selective receive); others stay queued in order. */
  receive<T>(match: (message: unknown) => message is T): Promise<T>;
  receive<T>(match: (message: unknown) => message is T, options: ReceiveOptions): Promise<T | undefined>;
  receive(match: (message: unknown) => boolean, options?: ReceiveOptions): Promise<unknown>;
  /** A queued message now, or `undefined` (Erlang's `receive ... after 0`). */
  tryReceive<T = unknown>(match?: (message: unknown) => boolean): T | undefined;

  /** Send a message (asynchronous; sending to a dead pid is a silent no-op, as in Erlang). */
  send(to: Dest, message: unknown): void;
  /** Send, waiting for room if the target's mailbox is full (FIFO among waiting senders). */
  sendWait(to: Dest, message: unknown, options?: SendWaitOptions): Promise<void>;
  /** Send a request and wait for the reply (the target answers with `reply`). */
  call<R = unknown>(to: Dest, request: unknown, options?: CallOptions): Promise<R>;
  /** Send a request that expects no reply (a server routes it to `handleCast`). */
  cast(to: Dest, message: unknown): void;
  /** Answer a call. A reply to a caller that gave up is dropped. */
  reply(from: CallFrom, value: unknown): void;

  spawn<A>(body: ProcessBody<A>, arg?: A, options?: SpawnOptions): Pid;
  /** Spawn and link atomically. */
  spawnLink<A>(body: ProcessBody<A>, arg?: A, options?: SpawnOptions): Pid;
  link(pid: Pid): void;
  unlink(pid: Pid): void;
  /** Watch `pid`: a `DownMessage` with the returned ref arrives when it exits. */
  monitor(pid: Pid): number;
  /** Stop watching; with `flush`, also remove a DOWN for this ref already queued. */
  demonitor(ref: number, options?: { flush?: boolean }): void;
  /** Send an exit signal to `pid` (`'kill'` cannot be trapped and becomes `'killed'`). */
  sendExit(pid: Pid, reason: ExitReason): void;
  /** End this process now with `reason` (throws to unwind the body). */
  exit(reason?: ExitReason): never;
  /** Turn exit signals into `ExitMessage`s (true) or let them kill this process (false). */
  trapExits(on: boolean): void;

  register(name: string): void;
  subscribe(topic: string): void;
  unsubscribe(topic: string): void;
  publish(topic: string, message: unknown): number;
  /** Wait on the runtime's clock; rejects if this process exits meanwhile. */
  sleep(ms: number): Promise<void>;
}

export class Runtime {
  readonly clock: Clock;
  readonly node: string;
  readonly events: EventBus;
  private readonly core: Core;

  constructor(options: RuntimeOptions = {}) {
    this.clock = options.clock ?? realClock;
    this.node = options.node ?? '0';
    this.events = new EventBus(this.clock);
    const defaultMailbox = resolveMailboxOptions(options.mailbox, MAILBOX_DEFAULTS, 'runtime');
    this.core = new Core(this, this.clock, this.node, this.events, defaultMailbox, drainRunQueue);
  }

  // ---- processes -----------------------------------------------------------------------------

  /** Spawn a process with no parent. It starts on the next microtask. */
  spawn<A>(body: ProcessBody<A>, arg?: A, options?: SpawnOptions): Pid {
    return spawnProcess(this.core, undefined, body, arg, options, false);
  }

  /** @internal Spawn on behalf of `parent` (optionally linked to it). */
  spawnFrom<A>(parent: ProcessRecord | undefined, body: ProcessBody<A>, arg: A | undefined, options: SpawnOptions | undefined, link: boolean): Process {
    return spawnProcess(this.core, parent, body, arg, options, link);
  }

  isAlive(pid: Pid): boolean {
    const proc = this.core.recordOf(pid);
    return proc !== undefined && proc.status === RUNNING;
  }

  /** How the process ended, or `undefined` while it runs (or if the pid is unknown). */
  exitReasonOf(pid: Pid): ExitReason | undefined {
    const proc = this.core.recordOf(pid);
    return proc !== undefined && proc.status === EXITED ? proc.exitReason : undefined;
  }

  /** Resolve with the exit reason once `pid` exits (at once if it already has). */
  whenExited(pid: Pid): Promise<ExitReason> {
    return onceExited(this.core, pid);
  }

  /** Number of live processes. */
  get processCount(): number {
    return this.core.live;
  }

  /** Live processes, in spawn order. */
  processes(): Pid[] {
    return liveProcesses(this.core);
  }

  /** A snapshot of a live process, or `undefined` if it is not running. */
  info(pid: Pid): ProcessInfo | undefined {
    return processInfo(this.core, pid);
  }

  // ---- messages and calls ------------------------------------------------------------------

  /** Send `message` to a pid or registered name. */
  send(to: Dest, message: unknown): void {
    sendMessage(this.core, to, message);
  }

  /** Send a message a server routes to `handleCast`. */
  cast(to: Dest, message: unknown): void {
    sendMessage(this.core, to, new CastMessage(message));
  }

  /** Send, waiting (FIFO, bounded by `timeoutMs`) for room if the target's mailbox is full. */
  sendWait(to: Dest, message: unknown, options?: SendWaitOptions): Promise<void> {
    return sendWaitFrom(this.core, undefined, to, message, options);
  }

  /** Send `request` to `to` and wait for its reply. */
  call<R = unknown>(to: Dest, request: unknown, options?: CallOptions): Promise<R> {
    return callFrom(this.core, undefined, to, request, options) as Promise<R>;
  }

  /** Answer a call; a reply nobody waits for any more is dropped. */
  reply(from: CallFrom, value: unknown): void {
    replyTo(from, value);
  }

  // ---- exits ---------------------------------------------------------------------------------

  /** Send an exit signal from outside any process (`'kill'` is untrappable). */
  sendExit(pid: Pid, reason: ExitReason): void {
    const target = this.core.recordOf(pid);
    if (target !== undefined) signalExit(this.core, target, undefined, reason, false);
  }

  /** End `pid` now with `reason`, whatever it is doing (untrappable, like `kill`, but with a reason of your choice). */
  killWith(pid: Pid, reason: ExitReason): void {
    const proc = this.core.recordOf(pid);
    if (proc !== undefined) killNow(this.core, proc, reason);
  }

  /** Kill every live process (reason `killed`), remote children included. For tests and process shutdown. */
  killAll(): void {
    for (const pid of this.processes()) this.killWith(pid, 'killed');
  }

  /** @internal An exit signal that appears to come from `from` (a local process or a remote one). */
  exitSignal(from: Pid | undefined, to: Pid, reason: ExitReason): void {
    const target = this.core.recordOf(to);
    if (target !== undefined) signalExit(this.core, target, from, reason, false);
  }

  // ---- progress ------------------------------------------------------------------------------

  /** When `pid` last reported progress (or undefined if it never did). */
  lastBeatAt(pid: Pid): number | undefined {
    return lastBeatOf(this.core, pid);
  }

  /**
   * Ask `pid` to stop cooperatively: its `ctx.stopSignal` aborts with `reason` and it gets a
   * `SoftStopRequest` message. (For a process elsewhere, the endpoint carries it over.)
   */
  softStop(pid: Pid, reason: ExitReason): void {
    requestSoftStop(this.core, pid, reason);
  }

  /** @internal Record a progress beat of `pid` (its own `ctx.beat()`, or one relayed from elsewhere). */
  recordBeat(pid: Pid): void {
    noteBeat(this.core, pid);
  }

  // ---- registry and topics -----------------------------------------------------------------

  register(name: string, pid: Pid): void {
    registerName(this.core, name, pid);
  }

  unregister(name: string): boolean {
    return unregisterName(this.core, name);
  }

  whereis(name: string): Pid | undefined {
    return lookupName(this.core, name);
  }

  /** Registered names and their processes. */
  registered(): Array<[string, Pid]> {
    return registeredNames(this.core);
  }

  subscribe(topic: string, pid: Pid): void {
    subscribeTo(this.core, topic, pid);
  }

  unsubscribe(topic: string, pid: Pid): void {
    unsubscribeFrom(this.core, topic, pid);
  }

  /** Send `message` to every subscriber of `topic`; returns how many got it. */
  publish(topic: string, message: unknown): number {
    return publishTo(this.core, topic, message);
  }

  // ---- remote processes (the isolation layer's) ----------------------------------------------

  /**
   * @internal The local record (the pid) of remote process `id` on node `node`, whose messages
   * and exit signals go to `endpoint`. It is not in the live list; `remoteProcessExited` ends it.
   */
  createRemoteProcess(node: string, id: number, endpoint: RemoteEndpoint, label?: string): Process {
    const options = label === undefined ? undefined : { label };
    const remote = new Process(this.core, id, undefined, null, undefined, options, this.core.defaultMailbox);
    makeRemote(remote, node, endpoint);
    return remote;
  }

  /**
   * @internal Count a remote process as one of this runtime's processes: a remote child this
   * runtime started in a thread or process. It is listed, counted, and ended by `killAll`.
   */
  adoptRemoteProcess(remote: Pid): void {
    listRemote(this.core, remote);
  }

  /** @internal The real process behind a remote one's local record died: the record dies with the same reason. */
  remoteProcessExited(remote: Pid, reason: ExitReason): void {
    endRemote(this.core, remote, reason);
  }
}

/**
 * A process of a runtime: its record (core.ts), which is also its pid, and the
 * `ProcessContext` its body runs with. The local records of remote processes are `Process`es
 * too, that run no body.
 */
export class Process extends ProcessRecord implements ProcessContext {
  get runtime(): Runtime {
    return this.core.owner as Runtime;
  }

  get self(): Pid {
    return this;
  }

  get clock(): Clock {
    return this.core.clock;
  }

  get isAlive(): boolean {
    return this.status === RUNNING;
  }

  get signal(): AbortSignal {
    return abortSignalOf(this);
  }

  get fence(): Fence {
    return new ProcessFence(this);
  }

  get stopSignal(): AbortSignal {
    return stopSignalOf(this);
  }

  beat(): void {
    if (this.status !== RUNNING) throw this.refused('beat');
    noteBeat(this.core, this);
  }

  receive(matchOrOptions?: ((message: unknown) => boolean) | ReceiveOptions, maybeOptions?: ReceiveOptions): Promise<never> {
    if (typeof matchOrOptions === 'function') return receiveMessage(this, matchOrOptions, maybeOptions);
    return receiveMessage(this, undefined, matchOrOptions);
  }

  tryReceive<T = unknown>(match?: (message: unknown) => boolean): T | undefined {
    this.assertAlive('tryReceive');
    const found = takeQueued(this, match);
    return found === NOTHING ? undefined : (found as T);
  }

  send(to: Dest, message: unknown): void {
    if (this.status !== RUNNING) throw this.refused('send');
    sendMessage(this.core, to, message);
  }

  sendWait(to: Dest, message: unknown, options?: SendWaitOptions): Promise<void> {
    if (this.status !== RUNNING) return Promise.reject(this.refused('sendWait'));
    return sendWaitFrom(this.core, this, to, message, options);
  }

  call<R = unknown>(to: Dest, request: unknown, options?: CallOptions): Promise<R> {
    if (this.status !== RUNNING) return Promise.reject(this.refused('call'));
    return callFrom(this.core, this, to, request, options) as Promise<R>;
  }

  cast(to: Dest, message: unknown): void {
    this.assertAlive('cast');
    sendMessage(this.core, to, new CastMessage(message));
  }

  reply(from: CallFrom, value: unknown): void {
    this.assertAlive('reply');
    replyTo(from, value);
  }

  spawn<A>(body: ProcessBody<A>, arg?: A, options?: SpawnOptions): Pid {
    this.assertAlive('spawn');
    return spawnProcess(this.core, this, body, arg, options, false);
  }

  spawnLink<A>(body: ProcessBody<A>, arg?: A, options?: SpawnOptions): Pid {
    this.assertAlive('spawnLink');
    return spawnProcess(this.core, this, body, arg, options, true);
  }

  link(pid: Pid): void {
    this.assertAlive('link');
    addLink(this.core, this, pid);
  }

  unlink(pid: Pid): void {
    this.assertAlive('unlink');
    removeLink(this.core, this, pid);
  }

  monitor(pid: Pid): number {
    this.assertAlive('monitor');
    return addMonitor(this.core, this, pid);
  }

  demonitor(ref: number, options?: { flush?: boolean }): void {
    this.assertAlive('demonitor');
    removeMonitor(this, ref, options?.flush ?? false);
  }

  sendExit(pid: Pid, reason: ExitReason): void {
    this.assertAlive('sendExit');
    const target = this.core.recordOf(pid);
    if (target !== undefined) signalExit(this.core, target, this, reason, false);
  }

  exit(reason: ExitReason = 'normal'): never {
    terminate(this.core, this, reason);
    throw new ExitUnwind(this);
  }

  trapExits(on: boolean): void {
    this.assertAlive('trapExits');
    this.trapping = on;
  }

  register(name: string): void {
    this.assertAlive('register');
    registerName(this.core, name, this);
  }

  subscribe(topic: string): void {
    this.assertAlive('subscribe');
    subscribeTo(this.core, topic, this);
  }

  unsubscribe(topic: string): void {
    this.assertAlive('unsubscribe');
    unsubscribeFrom(this.core, topic, this);
  }

  publish(topic: string, message: unknown): number {
    this.assertAlive('publish');
    return publishTo(this.core, topic, message);
  }

  sleep(ms: number): Promise<void> {
    if (this.status !== RUNNING) return Promise.reject(this.refused('sleep'));
    return this.core.clock.sleep(ms, this.signal);
  }

  onDown(ref: number, pid: ProcessRecord, reason: ExitReason): void {
    deliverDown(this, ref, pid, reason);
  }
}

/** Create, register, list, link and schedule a process (on behalf of `parent`, if any). */
function spawnProcess<A>(
  core: Core,
  parent: ProcessRecord | undefined,
  body: ProcessBody<A>,
  arg: A | undefined,
  options: SpawnOptions | undefined,
  link: boolean,
): Process {
  if (typeof body !== 'function') throw new InvalidSpecError('spawn', 'body', body, 'must be a function');
  const mailbox = options?.mailbox === undefined ? core.defaultMailbox : resolveMailboxOptions(options.mailbox, core.defaultMailbox, 'spawn');
  const proc = new Process(core, core.nextId++, parent, body, arg, options, mailbox);
  if (options?.name !== undefined) registerRecord(core, options.name, proc);
  core.attach(proc);
  if (link && parent !== undefined) {
    (proc.links = new Set()).add(parent);
    (parent.links ??= new Set()).add(proc);
  }
  if (core.events.wants('process.spawned')) {
    core.events.emit({ type: 'process.spawned', pid: proc, parent, label: proc.label });
  }
  core.schedule(proc);
  return proc;
}
