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

interface Waiter {
  readonly match: ((message: unknown) => boolean) | undefined;
  readonly resolve: (message: unknown) => void;
  readonly reject: (error: unknown) => void;
  timer: Timer | null;
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

export class ProcessRecord implements Pid, ProcessContext, DownWatcher {
  readonly id: number;
  readonly node: string;
  readonly runtime: Runtime;
  readonly parent: Pid | undefined;
  readonly label: string | undefined;
  status: typeof RUNNING | typeof EXITED = RUNNING;
  exitReason: ExitReason = 'normal';
  trapping: boolean;
  mailboxOptions: MailboxOptions;
  mailbox: Mailbox | null = null;
  waiter: Waiter | null = null;
  /** Linked processes. */
  links: Set<ProcessRecord> | null = null;
  /** Monitors on this process: ref → watcher. */
  monitors: Map<number, DownWatcher> | null = null;
  /** Monitors this process holds: ref → watched process. */
  watching: Map<number, ProcessRecord> | null = null;
  /** Body and argument until the body starts. */
  body: ProcessBody<never> | null;
  arg: unknown;
  /** For message-handler processes (servers): called once per message by the run loop. */
  handler: ((message: unknown) => unknown) | null = null;
  /** A handler process is busy while a handler call (or its init) is pending. */
  busy = false;
  /** Queued in the runtime's run queue. */
  scheduled = false;
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
    this.node = runtime.node;
    this.parent = parent;
    this.body = body;
    this.arg = arg;
    this.label = options?.label;
    this.trapping = options?.trapExits ?? false;
    this.mailboxOptions = mailboxOptions;
    brandPid(this);
  }

  toString(): string {
    return formatPid(this.node, this.id);
  }

  /** JSON form: the printed pid. */
  toJSON(): string {
    return this.toString();
  }

  extras(): Extras {
    return (this.x ??= {
      name: undefined,
      topics: undefined,
      abort: undefined,
      calls: undefined,
      blocked: undefined,
      sending: undefined,
      startWatch: undefined,
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
    if (this.status !== RUNNING) return Promise.reject(this.exitedError('receive'));
    if (this.waiter !== null) {
      return Promise.reject(new Error(`process ${String(this)}: receive() called while another receive is pending`));
    }
    const found = this.takeQueued(match);
    if (found !== NOTHING) return Promise.resolve(found as never);
    const timeoutMs = options?.timeoutMs;
    if (timeoutMs !== undefined && timeoutMs <= 0) return Promise.resolve(undefined as never);
    return new Promise<never>((resolve, reject) => {
      const waiter: Waiter = { match, resolve: resolve as (m: unknown) => void, reject, timer: null };
      if (timeoutMs !== undefined && timeoutMs !== Infinity) {
        waiter.timer = this.runtime.clock.setTimer(timeoutMs, () => {
          if (this.waiter === waiter) {
            this.waiter = null;
            resolve(undefined as never);
          }
        });
      }
      this.waiter = waiter;
    });
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
    this.assertAlive('send');
    this.runtime.send(to, message);
  }

  sendWait(to: Dest, message: unknown, options?: SendWaitOptions): Promise<void> {
    if (this.status !== RUNNING) return Promise.reject(this.exitedError('sendWait'));
    return this.runtime.sendWaitFrom(this, to, message, options);
  }

  call<R = unknown>(to: Dest, request: unknown, options?: CallOptions): Promise<R> {
    if (this.status !== RUNNING) return Promise.reject(this.exitedError('call'));
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
    if (this.status !== RUNNING) return Promise.reject(this.exitedError('sleep'));
    return this.runtime.clock.sleep(ms, this.signal);
  }

  // ---- DownWatcher -----------------------------------------------------------------------

  onDown(ref: number, pid: ProcessRecord, reason: ExitReason): void {
    if (this.watching?.delete(ref) !== true) return;
    this.runtime.deliver(this, new DownMessage(ref, pid, reason));
  }

  // ---- helpers ---------------------------------------------------------------------------

  assertAlive(operation: string): void {
    if (this.status !== RUNNING) throw this.exitedError(operation);
  }

  exitedError(operation: string): ProcessExitedError {
    return new ProcessExitedError(this, this.exitReason, operation);
  }
}
