/**
 * Servers: OTP's gen_server for Warden. A server is a process that holds a state and handles
 * one message at a time through callbacks:
 *
 * - `init(ctx, arg)` → the first state, or {@link IGNORE}; throwing fails the start.
 * - `handleCall(request, from, state, ctx)` → `reply(value, state)`, `noreply(state)` (answer
 *   later with `ctx.reply(from, value)`) or `stop(reason, state, replyValue?)`.
 * - `handleCast(message, state, ctx)` and `handleInfo(message, state, ctx)` → the next state or
 *   `stop(reason, state)`. Messages sent with `cast` go to `handleCast`; everything else (plain
 *   sends, EXIT and DOWN messages) to `handleInfo`, and is dropped if there is none.
 * - `terminate(reason, state, ctx)` runs when the server stops: on a `stop` result, when a
 *   callback throws (reason: the crash), on `stopServer`, and, if the server traps exits, when
 *   its parent sends it an exit signal (the supervisor's shutdown). A server that does not trap
 *   exits is killed by such a signal without running `terminate`, as in OTP.
 *
 * Callbacks may be synchronous (handled with no extra tick) or return a promise; the server
 * takes no other message until it settles. A server idles as a few hundred bytes: it is a
 * message handler, not a suspended async function.
 */
import { replyTo } from './calls.ts';
import { RUNNING } from './core.ts';
import { terminate } from './exits.ts';
import { CallRequest, CastMessage, ExitMessage, StopRequest, type CallFrom } from './messages.ts';
import type { SpawnOptions } from './options.ts';
import type { Pid } from './pid.ts';
import type { Process, ProcessContext, Runtime } from './runtime.ts';
import { installHandler } from './scheduler.ts';
import { IGNORE, startLink, type Ignore, type StartResult, type Starter } from './start-link.ts';
import { Crash, type ExitReason } from './terms.ts';

/** Answer the call with `value` and continue with `state`. */
export class Reply<S> {
  readonly value: unknown;
  readonly state: S;
  constructor(value: unknown, state: S) {
    this.value = value;
    this.state = state;
  }
}

/** Do not answer now (the server replies later with `ctx.reply(from, value)`). */
export class NoReply<S> {
  readonly state: S;
  constructor(state: S) {
    this.state = state;
  }
}

/** Stop the server with `reason` (after answering the call, if `hasReply`). */
export class Stop<S> {
  readonly reason: ExitReason;
  readonly state: S;
  readonly hasReply: boolean;
  readonly replyValue: unknown;
  constructor(reason: ExitReason, state: S, hasReply: boolean, replyValue: unknown) {
    this.reason = reason;
    this.state = state;
    this.hasReply = hasReply;
    this.replyValue = replyValue;
  }
}

export function reply<S>(value: unknown, state: S): Reply<S> {
  return new Reply(value, state);
}

export function noreply<S>(state: S): NoReply<S> {
  return new NoReply(state);
}

/** Stop with `reason`; pass a third argument to also answer the call being handled. */
export function stop<S>(reason: ExitReason, state: S, ...replyValue: [] | [unknown]): Stop<S> {
  return new Stop(reason, state, replyValue.length > 0, replyValue[0]);
}

type MaybePromise<T> = T | Promise<T>;

export interface ServerBehaviour<S, A = void> {
  /** Trap exit signals (required for `terminate` to run on a supervisor's shutdown). @default false */
  readonly trapExits?: boolean;
  init(ctx: ProcessContext, arg: A): MaybePromise<S | Ignore>;
  handleCall?(request: unknown, from: CallFrom, state: S, ctx: ProcessContext): MaybePromise<Reply<S> | NoReply<S> | Stop<S>>;
  handleCast?(message: unknown, state: S, ctx: ProcessContext): MaybePromise<S | Stop<S>>;
  handleInfo?(message: unknown, state: S, ctx: ProcessContext): MaybePromise<S | Stop<S>>;
  terminate?(reason: ExitReason, state: S, ctx: ProcessContext): MaybePromise<void>;
}

export interface StartServerOptions extends SpawnOptions {
  /** Fail the start if `init` takes longer. @default Infinity */
  readonly timeoutMs?: number;
}

/**
 * Start a server. From inside a process the server is linked to it (and that process is its
 * parent); from a `Runtime` it has no parent.
 */
export function startServer<S, A>(starter: Starter, behaviour: ServerBehaviour<S, A>, arg: A, options?: StartServerOptions): Promise<StartResult> {
  const spawnOptions: StartServerOptions = { ...options, trapExits: behaviour.trapExits ?? false };
  return startLink<S>(
    starter,
    (ctx) => behaviour.init(ctx, arg),
    (ctx, state) => {
      new ServerLoop(behaviour, ctx as Process, state).install();
    },
    spawnOptions,
  );
}

/**
 * Ask a server (or supervisor) to stop with `reason`, running its `terminate`; wait up to
 * `timeoutMs` for it to exit, then kill it. Resolves with the reason it exited with.
 */
export async function stopServer(runtime: Runtime, pid: Pid | string, reason: ExitReason = 'normal', timeoutMs = 5000): Promise<ExitReason> {
  const target = typeof pid === 'string' ? runtime.whereis(pid) : pid;
  if (target === undefined || !runtime.isAlive(target)) return 'noproc';
  const exited = runtime.whenExited(target);
  runtime.send(target, new StopRequest(reason));
  if (timeoutMs === Infinity) return exited;
  let timedOut = false;
  const timer = runtime.clock.setTimer(timeoutMs, () => {
    timedOut = true;
    runtime.sendExit(target, 'kill');
  });
  const result = await exited;
  if (!timedOut) timer.cancel();
  return result;
}

class ServerLoop<S> {
  private state: S;
  private readonly behaviour: ServerBehaviour<S, never>;
  private readonly ctx: Process;

  constructor(behaviour: ServerBehaviour<S, never>, ctx: Process, state: S) {
    this.behaviour = behaviour;
    this.ctx = ctx;
    this.state = state;
  }

  install(): void {
    installHandler(this.ctx, (message) => this.handle(message));
  }

  private handle(message: unknown): unknown {
    const b = this.behaviour;
    const ctx = this.ctx;
    try {
      // Primitives can only be plain info messages: skip the checks for the runtime's own kinds.
      if (typeof message === 'object' && message !== null) {
        if (message instanceof CallRequest) {
          if (b.handleCall === undefined) {
            return this.shutdown(new Crash(new Error(`server ${String(ctx)} has no handleCall`)));
          }
          const from = message.from;
          const r = b.handleCall(message.request, from, this.state, ctx);
          return r instanceof Promise ? this.later(r, (v) => this.afterCall(from, v)) : this.afterCall(from, r);
        }
        if (message instanceof CastMessage) {
          if (b.handleCast === undefined) return undefined;
          const r = b.handleCast(message.message, this.state, ctx);
          return r instanceof Promise ? this.later(r, (v) => this.afterNext(v)) : this.afterNext(r);
        }
        if (message instanceof StopRequest) return this.shutdown(message.reason);
        if (message instanceof ExitMessage && message.from !== undefined && message.from === ctx.parent) {
          return this.shutdown(message.reason);
        }
      }
      if (b.handleInfo === undefined) return undefined;
      const r = b.handleInfo(message, this.state, ctx);
      return r instanceof Promise ? this.later(r, (v) => this.afterNext(v)) : this.afterNext(r);
    } catch (error) {
      return this.shutdown(new Crash(error));
    }
  }

  /** Continue with `k` once an async callback settles; its rejection stops the server. */
  private later<T>(result: Promise<T>, k: (value: T) => unknown): Promise<unknown> {
    return result.then(k, (error: unknown) => this.shutdown(new Crash(error)));
  }

  private afterCall(from: CallFrom, r: Reply<S> | NoReply<S> | Stop<S>): unknown {
    if (r instanceof Reply) {
      this.state = r.state;
      replyTo(from, r.value);
      return undefined;
    }
    if (r instanceof NoReply) {
      this.state = r.state;
      return undefined;
    }
    if (r instanceof Stop) {
      this.state = r.state;
      if (r.hasReply) replyTo(from, r.replyValue);
      return this.shutdown(r.reason);
    }
    return this.shutdown(new Crash(new TypeError(`handleCall must return reply(), noreply() or stop() (got ${String(r)})`)));
  }

  private afterNext(r: S | Stop<S>): unknown {
    if (r instanceof Stop) {
      this.state = r.state;
      return this.shutdown(r.reason);
    }
    this.state = r;
    return undefined;
  }

  /** Run `terminate` (errors in it become the exit reason), then exit. */
  private shutdown(reason: ExitReason): unknown {
    const ctx = this.ctx;
    if (ctx.status !== RUNNING) return undefined;
    const callback = this.behaviour.terminate;
    const exit = (finalReason: ExitReason): void => terminate(ctx.core, ctx, finalReason);
    if (callback === undefined) {
      exit(reason);
      return undefined;
    }
    let result: unknown;
    try {
      result = callback.call(this.behaviour, reason, this.state, ctx);
    } catch (error) {
      exit(new Crash(error));
      return undefined;
    }
    if (result instanceof Promise) {
      return result.then(
        () => exit(reason),
        (error: unknown) => exit(new Crash(error)),
      );
    }
    exit(reason);
    return undefined;
  }
}

export { IGNORE };
