/**
 * What a process sees of itself: the `ctx` handed to a process body. Every operation checks
 * that the process is still alive, so code that keeps running after its process was killed
 * (an inline process cannot be pre-empted) is refused with `ProcessExitedError` instead of
 * acting for a dead incarnation.
 */
import type { Clock } from './clock.ts';
import type { Fence } from './fence.ts';
import type { MailboxOptions } from './mailbox.ts';
import type { CallFrom } from './messages.ts';
import type { Pid } from './pid.ts';
import type { ExitReason } from './terms.ts';
import type { Runtime } from './runtime.ts';

/** A process body: runs once; returning ends the process with `normal`, throwing with a crash. */
export type ProcessBody<A = unknown> = (ctx: ProcessContext, arg: A) => unknown;

/** Where to send: a pid or a registered name. */
export type Dest = Pid | string;

export interface SpawnOptions {
  /** Register the new process under this name (released when it exits). */
  readonly name?: string;
  /** Start with exits trapped: exit signals arrive as `ExitMessage`s instead of killing it. @default false */
  readonly trapExits?: boolean;
  /** Mailbox capacity and overflow policy. @default MAILBOX_DEFAULTS */
  readonly mailbox?: Partial<MailboxOptions>;
  /** A descriptive label carried by the process's events (e.g. a child id). */
  readonly label?: string;
}

export interface ReceiveOptions {
  /** Give up after this long and resolve `undefined`. @default Infinity (wait forever) */
  readonly timeoutMs?: number;
}

export interface CallOptions {
  /** Fail with `CallTimeoutError` after this long. @default 5000 */
  readonly timeoutMs?: number;
}

export interface SendWaitOptions {
  /** Fail with `MailboxFullError` if there is still no room after this long. @default 5000 */
  readonly timeoutMs?: number;
}

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
