/**
 * The runtime: lightweight processes in one event loop, with Erlang's semantics for exit
 * signals, links, monitors and message passing.
 *
 * - A process is spawned with a body (`async (ctx) => ...`); it starts on the next microtask,
 *   never inside `spawn`, so the spawner always holds the pid first.
 * - Messages from one sender to one receiver arrive in send order. Sending to a dead process
 *   is a silent no-op; sending to an unregistered name throws.
 * - Exit signals: a process that traps exits gets an `ExitMessage`; one that does not dies
 *   with the same reason, except that `normal` is ignored and `kill` (sent with `sendExit`)
 *   cannot be trapped and becomes `killed`. A `kill` reason travelling over a link is an
 *   ordinary, trappable reason, as in OTP.
 * - A death is delivered synchronously: when `terminate` returns, the `process.exited` event
 *   has been emitted (before anything the death causes), linked processes have been signalled
 *   (newest link first, as the BEAM does) and monitors have their DOWN message. Cascades are processed iteratively, so a long chain
 *   of links cannot overflow the stack.
 * - Message handlers (servers) run from a run queue: at most {@link HANDLER_BUDGET} messages
 *   per turn per process, so one busy server cannot starve the others.
 */
import { realClock, type Clock, type Timer } from './clock.ts';
import type { CallOptions, Dest, ProcessBody, SendWaitOptions, SpawnOptions } from './context.ts';
import {
  CallTargetExitedError,
  CallTimeoutError,
  InvalidSpecError,
  MailboxFullError,
  NameNotRegisteredError,
  ProcessExitedError,
} from './errors.ts';
import { EventBus } from './events.ts';
import { MAILBOX_DEFAULTS, Mailbox, NOTHING, type MailboxOptions, type OverflowPolicy } from './mailbox.ts';
import { CallRequest, CastMessage, DownMessage, ExitMessage, SoftStopRequest, SystemMessage, type CallFrom } from './messages.ts';
import { isRemoteCallFrom, type RemoteEndpoint } from './remote.ts';
import { isPid, type Pid } from './pid.ts';
import {
  EXITED,
  ExitUnwind,
  RUNNING,
  ProcessRecord,
  type BlockedSend,
  type DownWatcher,
  type StartWatch,
} from './process.ts';
import { Registry } from './registry.ts';
import { Topics } from './topics.ts';
import { Crash, type ExitReason } from './terms.ts';

/** Messages a handler process handles per turn before others get theirs. */
export const HANDLER_BUDGET = 256;

/** Default timeout of `call`. */
export const DEFAULT_CALL_TIMEOUT_MS = 5000;

export interface RuntimeOptions {
  /** The clock every timer and timestamp uses. @default the real clock */
  readonly clock?: Clock;
  /** This runtime's node name, printed in pids. @default '0' */
  readonly node?: string;
  /** Default mailbox options for processes spawned without their own. @default MAILBOX_DEFAULTS */
  readonly mailbox?: Partial<MailboxOptions>;
}

/** What `info(pid)` reports about a live process. */
export interface ProcessInfo {
  readonly pid: Pid;
  readonly label: string | undefined;
  readonly name: string | undefined;
  readonly parent: Pid | undefined;
  readonly trapExits: boolean;
  readonly messageQueueLength: number;
  readonly links: readonly Pid[];
  readonly monitoredBy: number;
}

const OVERFLOW_POLICIES: readonly OverflowPolicy[] = ['reject', 'drop_oldest', 'block'];

export class Runtime {
  readonly clock: Clock;
  readonly node: string;
  readonly events: EventBus;
  private readonly registry = new Registry();
  private readonly topics = new Topics();
  /** @internal Mailbox options of processes spawned without their own. */
  readonly defaultMailbox: MailboxOptions;
  /** Live processes, a doubly linked list in spawn order (cheaper per process than a map). */
  private first: ProcessRecord | null = null;
  private last: ProcessRecord | null = null;
  private live = 0;
  private nextId = 1;
  private nextRef = 1;
  private runQueue: ProcessRecord[] = [];
  private drainScheduled = false;
  private readonly dying: ProcessRecord[] = [];
  private cascading = false;

  constructor(options: RuntimeOptions = {}) {
    this.clock = options.clock ?? realClock;
    this.node = options.node ?? '0';
    this.events = new EventBus(this.clock);
    this.defaultMailbox = resolveMailbox(options.mailbox, MAILBOX_DEFAULTS, 'runtime');
  }

  // ---- spawning ------------------------------------------------------------------------------

  /** Spawn a process with no parent. It starts on the next microtask. */
  spawn<A>(body: ProcessBody<A>, arg?: A, options?: SpawnOptions): Pid {
    return this.spawnFrom(undefined, body, arg, options, false);
  }

  /** @internal Spawn on behalf of `parent` (optionally linked to it). */
  spawnFrom<A>(
    parent: ProcessRecord | undefined,
    body: ProcessBody<A>,
    arg: A | undefined,
    options: SpawnOptions | undefined,
    link: boolean,
  ): ProcessRecord {
    if (typeof body !== 'function') throw new InvalidSpecError('spawn', 'body', body, 'must be a function');
    const mailbox =
      options?.mailbox === undefined ? this.defaultMailbox : resolveMailbox(options.mailbox, this.defaultMailbox, 'spawn');
    const proc = new ProcessRecord(this, this.nextId++, parent, body as ProcessBody<never>, arg, options, mailbox);
    if (options?.name !== undefined) this.registry.register(options.name, proc);
    this.attach(proc);
    if (link && parent !== undefined) {
      (proc.links = new Set()).add(parent);
      (parent.links ??= new Set()).add(proc);
    }
    if (this.events.wants('process.spawned')) {
      this.events.emit({ type: 'process.spawned', pid: proc, parent, label: proc.label });
    }
    this.schedule(proc);
    return proc;
  }

  private schedule(proc: ProcessRecord): void {
    if (proc.scheduled) return;
    proc.scheduled = true;
    this.runQueue.push(proc);
    if (!this.drainScheduled) {
      this.drainScheduled = true;
      queueMicrotask(this.drain);
    }
  }

  private readonly drain = (): void => {
    this.drainScheduled = false;
    while (this.runQueue.length > 0) {
      const queue = this.runQueue;
      this.runQueue = [];
      for (const proc of queue) {
        proc.scheduled = false;
        if (proc.status !== RUNNING) continue;
        if (proc.body !== null) this.startBody(proc);
        else if (proc.handler !== null && !proc.busy) this.runHandler(proc);
      }
    }
  };

  private startBody(proc: ProcessRecord): void {
    const body = proc.body as ProcessBody<unknown>;
    const arg = proc.arg;
    proc.body = null;
    proc.arg = undefined;
    proc.busy = true;
    let result: unknown;
    try {
      result = body(proc, arg);
    } catch (error) {
      this.onBodyThrow(proc, error);
      return;
    }
    if (isThenable(result)) {
      // Bound functions, not closures: a waiting process is dozens of bytes smaller.
      result.then(proc.bodyReturned.bind(proc), proc.bodyThrew.bind(proc));
    } else {
      this.onBodyReturn(proc);
    }
  }

  /** @internal */
  onBodyReturn(proc: ProcessRecord): void {
    if (proc.status !== RUNNING) return;
    proc.busy = false;
    // A body that installed a message handler keeps the process alive as a server.
    if (proc.handler !== null) {
      if (proc.mailbox !== null && proc.mailbox.length > 0) this.schedule(proc);
      return;
    }
    this.terminate(proc, 'normal');
  }

  /** @internal */
  onBodyThrow(proc: ProcessRecord, error: unknown): void {
    if (proc.status !== RUNNING) return;
    this.terminate(proc, new Crash(error));
  }

  /**
   * @internal Turn a running process into a message-handler process: from now on every
   * message is passed to `handler` by the run loop (one at a time; a returned promise makes
   * the process busy until it settles). Called by a body before it returns.
   */
  installHandler(proc: ProcessRecord, handler: (message: unknown) => unknown): void {
    proc.handler = handler;
  }

  private runHandler(proc: ProcessRecord): void {
    const handler = proc.handler as (message: unknown) => unknown;
    const mb = proc.mailbox;
    if (mb === null) return;
    for (let n = 0; n < HANDLER_BUDGET; n++) {
      const before = mb.userCount;
      const message = mb.shift();
      if (message === NOTHING) return;
      if (mb.userCount < before && proc.x?.blocked !== undefined) this.admitBlocked(proc);
      let result: unknown;
      try {
        result = handler(message);
      } catch (error) {
        this.onHandlerFailure(proc, error);
        return;
      }
      if (proc.status !== RUNNING) return;
      if (isThenable(result)) {
        proc.busy = true;
        result.then(
          () => this.onHandlerDone(proc),
          (error: unknown) => this.onHandlerFailure(proc, error),
        );
        return;
      }
    }
    if (proc.mailbox !== null && proc.mailbox.length > 0) this.schedule(proc);
  }

  private onHandlerDone(proc: ProcessRecord): void {
    if (proc.status !== RUNNING) return;
    proc.busy = false;
    if (proc.mailbox !== null && proc.mailbox.length > 0) this.schedule(proc);
  }

  private onHandlerFailure(proc: ProcessRecord, error: unknown): void {
    if (proc.status !== RUNNING || error instanceof ExitUnwind) return;
    this.terminate(proc, new Crash(error));
  }

  // ---- messages ----------------------------------------------------------------------------

  /** Send `message` to a pid or registered name. */
  send(to: Dest, message: unknown): void {
    if (message === undefined) throw new InvalidSpecError('send', 'message', message, 'must not be undefined');
    // Fast path: a pid of this runtime (the common case) needs no lookup.
    const target = to instanceof ProcessRecord && to.runtime === this ? to : this.resolve(to, true);
    if (target !== undefined) this.deliver(target, message);
  }

  /** Send a message a server routes to `handleCast`. */
  cast(to: Dest, message: unknown): void {
    this.send(to, new CastMessage(message));
  }

  /** Send, waiting (FIFO, bounded by `timeoutMs`) for room if the target's mailbox is full. */
  sendWait(to: Dest, message: unknown, options?: SendWaitOptions): Promise<void> {
    return this.sendWaitFrom(undefined, to, message, options);
  }

  /** @internal */
  sendWaitFrom(sender: ProcessRecord | undefined, to: Dest, message: unknown, options?: SendWaitOptions): Promise<void> {
    if (message === undefined) {
      return Promise.reject(new InvalidSpecError('sendWait', 'message', message, 'must not be undefined'));
    }
    let target: ProcessRecord | undefined;
    try {
      target = this.resolve(to, true);
    } catch (e) {
      return Promise.reject(e);
    }
    if (target === undefined) return Promise.resolve();
    const mb = target.mailboxOptions;
    const queued = target.x?.blocked;
    if ((queued === undefined || queued.length === 0) && (target.mailbox?.userCount ?? 0) < mb.capacity) {
      this.deliver(target, message);
      return Promise.resolve();
    }
    if (mb.overflow === 'drop_oldest') {
      this.deliver(target, message);
      return Promise.resolve();
    }
    const timeoutMs = options?.timeoutMs ?? DEFAULT_CALL_TIMEOUT_MS;
    const dest = target;
    return new Promise<void>((resolve, reject) => {
      const blocked: BlockedSend = { target: dest, sender, message, resolve, reject, timer: null };
      (dest.extras().blocked ??= []).push(blocked);
      if (sender !== undefined) (sender.extras().sending ??= new Set()).add(blocked);
      if (timeoutMs !== Infinity) {
        blocked.timer = this.clock.setTimer(timeoutMs, () => {
          this.unblock(blocked);
          reject(new MailboxFullError(dest, mb.capacity, mb.overflow));
        });
      }
    });
  }

  /** @internal Move waiting senders into `target`'s mailbox while it has room. */
  admitBlocked(target: ProcessRecord): void {
    const blocked = target.x?.blocked;
    if (blocked === undefined) return;
    const capacity = target.mailboxOptions.capacity;
    while (blocked.length > 0 && (target.mailbox?.userCount ?? 0) < capacity) {
      const b = blocked.shift() as BlockedSend;
      b.timer?.cancel();
      b.sender?.x?.sending?.delete(b);
      this.deliver(target, b.message);
      b.resolve();
    }
  }

  private unblock(b: BlockedSend): void {
    b.timer?.cancel();
    const list = b.target.x?.blocked;
    if (list !== undefined) {
      const i = list.indexOf(b);
      if (i >= 0) list.splice(i, 1);
    }
    b.sender?.x?.sending?.delete(b);
  }

  /**
   * @internal Put a message in a live process's mailbox, or hand it straight to a pending
   * receive. System messages always go in; user messages obey the mailbox's capacity.
   */
  deliver(target: ProcessRecord, message: unknown): void {
    if (target.status !== RUNNING) return;
    const remote = target.x?.remote;
    if (remote !== undefined) {
      remote.forward(target, message);
      return;
    }
    const resume = target.waitResolve;
    if (resume !== null) {
      const match = target.waitMatch;
      let matches: boolean;
      try {
        matches = match === undefined || match(message);
      } catch (error) {
        // A throwing matcher is the receiver's bug: it fails the receiver's pending receive.
        target.endWait();
        this.enqueue(target, message);
        resume(Promise.reject(error));
        return;
      }
      if (matches) {
        target.endWait();
        resume(message);
        return;
      }
    }
    this.enqueue(target, message);
    if (target.handler !== null && !target.busy) this.schedule(target);
  }

  private enqueue(target: ProcessRecord, message: unknown): void {
    const mb = (target.mailbox ??= new Mailbox());
    if (!(message instanceof SystemMessage) && mb.userCount >= target.mailboxOptions.capacity) {
      const { capacity, overflow } = target.mailboxOptions;
      if (overflow !== 'drop_oldest' || !mb.dropOldestUser()) {
        throw new MailboxFullError(target, capacity, overflow);
      }
      if (this.events.wants('process.message_dropped')) {
        this.events.emit({ type: 'process.message_dropped', pid: target, capacity });
      }
    }
    mb.push(message);
  }

  // ---- calls -------------------------------------------------------------------------------

  /** Send `request` to `to` and wait for its reply. */
  call<R = unknown>(to: Dest, request: unknown, options?: CallOptions): Promise<R> {
    return this.callFrom(undefined, to, request, options) as Promise<R>;
  }

  /** @internal */
  callFrom(caller: ProcessRecord | undefined, to: Dest, request: unknown, options?: CallOptions): Promise<unknown> {
    const timeoutMs = options?.timeoutMs ?? DEFAULT_CALL_TIMEOUT_MS;
    let target: ProcessRecord | undefined;
    try {
      target = this.resolve(to, false);
    } catch (e) {
      return Promise.reject(e);
    }
    if (target === undefined) return Promise.reject(new CallTargetExitedError(to, 'noproc'));
    const dest = target;
    return new Promise((resolve, reject) => {
      const ref = this.nextRef++;
      const pending = new PendingCall(ref, dest, caller, to, resolve, reject);
      (dest.monitors ??= new Map()).set(ref, pending);
      if (caller !== undefined) (caller.extras().calls ??= new Set()).add(pending);
      if (timeoutMs !== Infinity) {
        pending.timer = this.clock.setTimer(timeoutMs, () => pending.fail(new CallTimeoutError(to, timeoutMs)));
      }
      try {
        this.deliver(dest, new CallRequest(pending, request));
      } catch (error) {
        pending.fail(error);
      }
    });
  }

  /** Answer a call; a reply nobody waits for any more is dropped. */
  reply(from: CallFrom, value: unknown): void {
    if (from instanceof PendingCall) from.succeed(value);
    else if (isRemoteCallFrom(from)) from.deliverReply(value);
  }

  // ---- links and monitors --------------------------------------------------------------------

  /** @internal */
  link(proc: ProcessRecord, pid: Pid): void {
    const other = this.record(pid);
    if (other === proc) return;
    if (other === undefined || other.status !== RUNNING) {
      this.signal(proc, isPid(pid) ? pid : undefined, 'noproc', true);
      return;
    }
    (proc.links ??= new Set()).add(other);
    (other.links ??= new Set()).add(proc);
  }

  /** @internal */
  unlink(proc: ProcessRecord, pid: Pid): void {
    const other = this.record(pid);
    if (other === undefined) return;
    proc.links?.delete(other);
    other.links?.delete(proc);
  }

  /** @internal */
  monitor(watcher: ProcessRecord, pid: Pid): number {
    const ref = this.nextRef++;
    const target = this.record(pid);
    if (target === undefined || target.status !== RUNNING) {
      this.deliver(watcher, new DownMessage(ref, pid as ProcessRecord, 'noproc'));
      return ref;
    }
    (target.monitors ??= new Map()).set(ref, watcher);
    (watcher.extras().watching ??= new Map()).set(ref, target);
    return ref;
  }

  /** @internal */
  demonitor(watcher: ProcessRecord, ref: number, flush: boolean): void {
    const watching = watcher.x?.watching;
    const target = watching?.get(ref);
    if (target !== undefined) {
      watching?.delete(ref);
      target.monitors?.delete(ref);
    }
    if (flush) watcher.mailbox?.take((m) => m instanceof DownMessage && m.ref === ref);
  }

  /** Resolve with the exit reason once `pid` exits (at once if it already has). */
  whenExited(pid: Pid): Promise<ExitReason> {
    const target = this.record(pid);
    if (target === undefined) return Promise.resolve('noproc');
    if (target.status !== RUNNING) return Promise.resolve(target.exitReason);
    return new Promise((resolve) => {
      const watcher: DownWatcher = { onDown: (_ref, _pid, reason) => resolve(reason) };
      (target.monitors ??= new Map()).set(this.nextRef++, watcher);
    });
  }

  // ---- exit signals ------------------------------------------------------------------------

  /** Send an exit signal from outside any process (`'kill'` is untrappable). */
  sendExit(pid: Pid, reason: ExitReason): void {
    const target = this.record(pid);
    if (target !== undefined) this.signal(target, undefined, reason, false);
  }

  /** @internal */
  sendExitFrom(sender: ProcessRecord, pid: Pid, reason: ExitReason): void {
    const target = this.record(pid);
    if (target !== undefined) this.signal(target, sender, reason, false);
  }

  /** Deliver an exit signal with Erlang's rules. */
  private signal(target: ProcessRecord, from: Pid | undefined, reason: ExitReason, viaLink: boolean): void {
    if (target.status !== RUNNING) return;
    const remote = target.x?.remote;
    if (remote !== undefined) {
      // Links are mirrored on both sides: the other side delivers this death itself.
      if (viaLink) return;
      if (reason === 'kill') remote.kill(target, 'killed');
      else remote.exitSignal(target, from, reason);
      return;
    }
    if (reason === 'kill' && !viaLink) {
      this.terminate(target, 'killed');
    } else if (target.trapping) {
      this.deliver(target, new ExitMessage(from, reason));
    } else if (reason === 'normal') {
      if (from === target) this.terminate(target, 'normal');
    } else {
      this.terminate(target, reason);
    }
  }

  /**
   * @internal The process dies now with `reason`: its pending receive, calls and sends are
   * cancelled, the `process.exited` event is emitted, links are signalled and monitors told.
   */
  terminate(proc: ProcessRecord, reason: ExitReason): void {
    if (proc.status !== RUNNING) return;
    proc.status = EXITED;
    proc.exitReason = reason;
    this.dying.push(proc);
    if (this.cascading) return;
    this.cascading = true;
    try {
      for (let i = 0; i < this.dying.length; i++) this.finish(this.dying[i] as ProcessRecord);
    } finally {
      this.dying.length = 0;
      this.cascading = false;
    }
  }

  private attach(proc: ProcessRecord): void {
    proc.prev = this.last;
    if (this.last === null) this.first = proc;
    else this.last.next = proc;
    this.last = proc;
    this.live++;
  }

  private detach(proc: ProcessRecord): void {
    if (proc.prev === null) this.first = proc.next;
    else proc.prev.next = proc.next;
    if (proc.next === null) this.last = proc.prev;
    else proc.next.prev = proc.prev;
    proc.prev = proc.next = null;
    this.live--;
  }

  private finish(proc: ProcessRecord): void {
    const reason = proc.exitReason;
    if (!proc.isGhost || proc.prev !== null || this.first === proc) this.detach(proc);
    const resume = proc.waitResolve;
    if (resume !== null) {
      proc.endWait();
      resume(this.cancelledReceive());
    }
    const x = proc.x;
    if (x !== null) {
      x.abort?.abort(proc.exitedError('signal'));
      if (x.calls !== undefined) for (const c of [...x.calls]) c.cancel(reason);
      if (x.sending !== undefined) {
        for (const b of [...x.sending]) {
          this.unblock(b);
          b.reject(proc.exitedError('sendWait'));
        }
      }
      if (x.blocked !== undefined) {
        // Senders waiting on a dead process: as with any send to a dead pid, they just succeed.
        for (const b of x.blocked.splice(0)) {
          b.timer?.cancel();
          b.sender?.x?.sending?.delete(b);
          b.resolve();
        }
      }
      const watch = x.startWatch;
      if (watch !== undefined) {
        x.startWatch = undefined;
        watch.onExitBeforeAck(reason);
      }
      this.registry.release(proc);
      this.topics.release(proc);
    }
    if (this.events.wants('process.exited')) {
      this.events.emit({ type: 'process.exited', pid: proc, reason, label: proc.label });
    }
    const links = proc.links;
    if (links !== null) {
      proc.links = null;
      // Newest link first, the order the BEAM delivers them in (Erlang leaves it unspecified):
      // a killed supervisor's youngest children react first, its parent last.
      const linked = [...links];
      for (let i = linked.length - 1; i >= 0; i--) {
        const other = linked[i] as ProcessRecord;
        other.links?.delete(proc);
        this.signal(other, proc, reason, true);
      }
    }
    const monitors = proc.monitors;
    if (monitors !== null) {
      proc.monitors = null;
      for (const [ref, watcher] of monitors) watcher.onDown(ref, proc, reason);
    }
    const watching = proc.x?.watching;
    if (watching !== undefined) {
      (proc.x as { watching: unknown }).watching = undefined;
      for (const [ref, target] of watching) target.monitors?.delete(ref);
    }
    proc.mailbox = null;
    proc.handler = null;
  }

  /**
   * What a killed process's pending receive is resolved with: one shared rejection, already
   * handled, so a kill costs no error construction and no unhandled-rejection bookkeeping.
   * The dead body's `await` throws it (its `finally` blocks run).
   */
  private cancelled: Promise<never> | undefined;

  private cancelledReceive(): Promise<never> {
    if (this.cancelled === undefined) {
      this.cancelled = Promise.reject(new ProcessExitedError('this process', 'exited', 'receive'));
      this.cancelled.catch(() => {});
    }
    return this.cancelled;
  }

  // ---- remote processes, beats, soft stops ------------------------------------------------

  /**
   * @internal A ghost: the local stand-in of process `id` on node `node`, whose messages and
   * exit signals go to `endpoint`. It is not in the live list; `ghostExited` ends it.
   */
  createGhost(node: string, id: number, endpoint: RemoteEndpoint, label?: string): ProcessRecord {
    const ghost = new ProcessRecord(this, id, undefined, null, undefined, label === undefined ? undefined : { label }, this.defaultMailbox);
    const x = ghost.extras();
    x.remote = endpoint;
    x.remoteNode = node;
    return ghost;
  }

  /**
   * @internal Count a ghost as one of this runtime's processes: a child this runtime hosts in
   * a thread or process. It is listed, counted, and ended by `killAll`.
   */
  adoptGhost(ghost: Pid): void {
    const proc = this.record(ghost);
    if (proc !== undefined && proc.isGhost && proc.status === RUNNING && proc.prev === null && this.first !== proc) this.attach(proc);
  }

  /** @internal The real process behind a ghost died: the ghost dies with the same reason. */
  ghostExited(ghost: Pid, reason: ExitReason): void {
    const proc = this.record(ghost);
    if (proc !== undefined && proc.isGhost) this.terminate(proc, reason);
  }

  /** End `pid` now with `reason`, whatever it is doing (untrappable, like `kill`, but with a reason of your choice). */
  killWith(pid: Pid, reason: ExitReason): void {
    const proc = this.record(pid);
    if (proc === undefined || proc.status !== RUNNING) return;
    const remote = proc.x?.remote;
    if (remote !== undefined) remote.kill(proc, reason);
    else this.terminate(proc, reason);
  }

  /** @internal Record a progress beat of `pid` (its own `ctx.beat()`, or one relayed from elsewhere). */
  recordBeat(pid: Pid): void {
    const proc = this.record(pid);
    if (proc === undefined) return;
    proc.extras().lastBeatAt = this.clock.now();
    if (this.events.wants('process.beat')) this.events.emit({ type: 'process.beat', pid: proc });
  }

  /** @internal An exit signal that appears to come from `from` (a local process or a ghost). */
  exitSignal(from: Pid | undefined, to: Pid, reason: ExitReason): void {
    const target = this.record(to);
    if (target !== undefined) this.signal(target, from, reason, false);
  }

  /** When `pid` last reported progress (or undefined if it never did). */
  lastBeatAt(pid: Pid): number | undefined {
    return this.record(pid)?.x?.lastBeatAt;
  }

  /**
   * Ask `pid` to stop cooperatively: its `ctx.stopSignal` aborts with `reason` and it gets a
   * `SoftStopRequest` message. (For a process elsewhere, the endpoint carries it over.)
   */
  softStop(pid: Pid, reason: ExitReason): void {
    const proc = this.record(pid);
    if (proc === undefined || proc.status !== RUNNING) return;
    const remote = proc.x?.remote;
    if (remote !== undefined) {
      remote.forward(proc, new SoftStopRequest(reason));
      return;
    }
    const x = proc.extras();
    (x.stop ??= new AbortController()).abort(reason);
    this.deliver(proc, new SoftStopRequest(reason));
  }

  // ---- start acknowledgement -------------------------------------------------------------

  /** @internal Watch `proc` until it acknowledges its start (see `startLink`). */
  watchStart(proc: ProcessRecord, watch: StartWatch): void {
    proc.extras().startWatch = watch;
  }

  /** @internal The process finished starting: stop watching. */
  ackStart(proc: ProcessRecord): StartWatch | undefined {
    const watch = proc.x?.startWatch;
    if (watch !== undefined && proc.x !== null) proc.x.startWatch = undefined;
    return watch;
  }

  // ---- registry and topics -----------------------------------------------------------------

  register(name: string, pid: Pid): void {
    const proc = this.record(pid);
    if (proc === undefined || proc.status !== RUNNING) {
      throw new ProcessExitedError(pid, proc?.exitReason ?? 'noproc', 'register');
    }
    this.registry.register(name, proc);
  }

  unregister(name: string): boolean {
    return this.registry.unregister(name);
  }

  whereis(name: string): Pid | undefined {
    return this.registry.whereis(name);
  }

  /** Registered names and their processes. */
  registered(): Array<[string, Pid]> {
    return this.registry.entries();
  }

  subscribe(topic: string, pid: Pid): void {
    const proc = this.record(pid);
    if (proc === undefined || proc.status !== RUNNING) {
      throw new ProcessExitedError(pid, proc?.exitReason ?? 'noproc', 'subscribe');
    }
    this.topics.subscribe(topic, proc);
  }

  unsubscribe(topic: string, pid: Pid): void {
    const proc = this.record(pid);
    if (proc !== undefined) this.topics.unsubscribe(topic, proc);
  }

  /** Send `message` to every subscriber of `topic`; returns how many got it. */
  publish(topic: string, message: unknown): number {
    if (message === undefined) throw new InvalidSpecError('publish', 'message', message, 'must not be undefined');
    let n = 0;
    for (const proc of this.topics.members(topic)) {
      try {
        this.deliver(proc, message);
        n++;
      } catch {
        // A full subscriber mailbox drops this publication for that subscriber only.
      }
    }
    return n;
  }

  // ---- inspection --------------------------------------------------------------------------

  isAlive(pid: Pid): boolean {
    const proc = this.record(pid);
    return proc !== undefined && proc.status === RUNNING;
  }

  /** How the process ended, or `undefined` while it runs (or if the pid is unknown). */
  exitReasonOf(pid: Pid): ExitReason | undefined {
    const proc = this.record(pid);
    return proc !== undefined && proc.status === EXITED ? proc.exitReason : undefined;
  }

  /** Number of live processes. */
  get processCount(): number {
    return this.live;
  }

  /** Live processes, in spawn order. */
  processes(): Pid[] {
    const out: Pid[] = [];
    for (let p = this.first; p !== null; p = p.next) out.push(p);
    return out;
  }

  /** A snapshot of a live process, or `undefined` if it is not running. */
  info(pid: Pid): ProcessInfo | undefined {
    const proc = this.record(pid);
    if (proc === undefined || proc.status !== RUNNING) return undefined;
    return {
      pid: proc,
      label: proc.label,
      name: proc.x?.name,
      parent: proc.parent,
      trapExits: proc.trapping,
      messageQueueLength: proc.mailbox?.length ?? 0,
      links: [...(proc.links ?? [])],
      monitoredBy: proc.monitors?.size ?? 0,
    };
  }

  /** Kill every live process (reason `killed`), hosted children included. For tests and process shutdown. */
  killAll(): void {
    for (const pid of this.processes()) this.killWith(pid, 'killed');
  }

  // ---- helpers -----------------------------------------------------------------------------

  /** @internal The record behind a pid of this runtime, if it is one. */
  record(pid: Pid): ProcessRecord | undefined {
    return pid instanceof ProcessRecord && pid.runtime === this ? pid : undefined;
  }

  private resolve(to: Dest, throwOnUnknownName: boolean): ProcessRecord | undefined {
    if (typeof to === 'string') {
      const proc = this.registry.whereis(to);
      if (proc === undefined && throwOnUnknownName) throw new NameNotRegisteredError(to);
      return proc;
    }
    const proc = this.record(to);
    if (proc === undefined && !isPid(to)) throw new InvalidSpecError('send', 'to', to, 'must be a pid or a registered name');
    return proc !== undefined && proc.status === RUNNING ? proc : undefined;
  }
}

/**
 * A call waiting for its reply. It is also the `from` the callee answers with (so a reply
 * finds it without a lookup) and a monitor on the callee (so the callee's death fails it).
 */
export class PendingCall implements DownWatcher, CallFrom {
  readonly ref: number;
  readonly caller: ProcessRecord | undefined;
  timer: Timer | null = null;
  private readonly target: ProcessRecord;
  private readonly dest: Dest;
  private readonly resolveFn: (value: unknown) => void;
  private readonly rejectFn: (error: unknown) => void;
  private settled = false;

  constructor(
    ref: number,
    target: ProcessRecord,
    caller: ProcessRecord | undefined,
    dest: Dest,
    resolve: (value: unknown) => void,
    reject: (error: unknown) => void,
  ) {
    this.ref = ref;
    this.target = target;
    this.caller = caller;
    this.dest = dest;
    this.resolveFn = resolve;
    this.rejectFn = reject;
  }

  /** The caller's pid (`undefined` for a call made from outside any process). */
  get pid(): Pid | undefined {
    return this.caller;
  }

  succeed(value: unknown): void {
    if (this.cleanup()) this.resolveFn(value);
  }

  fail(error: unknown): void {
    if (this.cleanup()) this.rejectFn(error);
  }

  onDown(_ref: number, _pid: ProcessRecord, reason: ExitReason): void {
    this.fail(new CallTargetExitedError(this.dest, reason));
  }

  /** The caller exited: nobody will read the reply. */
  cancel(reason: ExitReason): void {
    if (this.caller !== undefined) this.fail(new ProcessExitedError(this.caller, reason, 'call'));
  }

  private cleanup(): boolean {
    if (this.settled) return false;
    this.settled = true;
    this.timer?.cancel();
    this.target.monitors?.delete(this.ref);
    this.caller?.x?.calls?.delete(this);
    return true;
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null &&
    (typeof value === 'object' || typeof value === 'function') &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

function resolveMailbox(
  given: Partial<MailboxOptions> | undefined,
  base: MailboxOptions,
  subject: string,
): MailboxOptions {
  if (given === undefined) return base;
  const capacity = given.capacity ?? base.capacity;
  const overflow = given.overflow ?? base.overflow;
  if (!(Number.isInteger(capacity) && capacity > 0) && capacity !== Infinity) {
    throw new InvalidSpecError(subject, 'mailbox.capacity', capacity, 'must be a positive integer');
  }
  if (!OVERFLOW_POLICIES.includes(overflow)) {
    throw new InvalidSpecError(subject, 'mailbox.overflow', overflow, `must be one of ${OVERFLOW_POLICIES.join(', ')}`);
  }
  return Object.freeze({ capacity, overflow });
}
