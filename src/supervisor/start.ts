/**
 * Start functions for child specs: `worker` (a process body, started as soon as it is
 * spawned), `workerWithInit` (an `init` that must finish before the supervisor goes on) and
 * `server` (a gen_server-style behaviour). `supervisor()` lives in supervisor-process.ts.
 * Each returns a `ChildStart` that spawns the child linked to its supervisor.
 */
import {
  startLink,
  startServer,
  type Ignore,
  type ProcessContext,
  type ServerBehaviour,
  type SpawnOptions,
  type StartServerOptions,
} from '../runtime/index.ts';
import type { ChildStart } from './spec.ts';

/**
 * A worker running `body(ctx, arg)`; started as soon as it is spawned (OTP's `spawn_link`).
 * It ends `normal` when the body returns and crashes when it throws.
 *
 * @example
 * { id: 'poller', start: worker(async (ctx) => { for (;;) { await poll(ctx.signal); await ctx.sleep(1000); } }) }
 */
export function worker<A = unknown>(body: (ctx: ProcessContext, arg: A) => unknown, options?: SpawnOptions): ChildStart {
  return (ctx, arg) => ({ status: 'started', pid: ctx.spawnLink(body, arg as A, options) });
}

export interface WorkerWithInitOptions extends SpawnOptions {
  /** Fail the start (killing the child) if `init` takes longer. @default Infinity */
  readonly timeoutMs?: number;
}

/**
 * A worker whose `init` runs in the new process and must finish before its supervisor goes
 * on; `init` may return `IGNORE`, and throwing fails the start. Then `run(ctx, state)` continues.
 */
export function workerWithInit<S, A = unknown>(
  init: (ctx: ProcessContext, arg: A) => S | Ignore | Promise<S | Ignore>,
  run: (ctx: ProcessContext, state: S) => unknown,
  options?: WorkerWithInitOptions,
): ChildStart {
  return (ctx, arg) => startLink<S>(ctx, (c) => init(c, arg as A), run, options);
}

/**
 * A server child. Its `init` gets the static `arg` given here, or, under a dynamic supervisor,
 * the argument passed to `startChild`. Set `trapExits: true` in the behaviour for its
 * `terminate` to run on shutdown.
 */
export function server<S, A>(behaviour: ServerBehaviour<S, A>, arg?: A, options?: StartServerOptions): ChildStart {
  return (ctx, dynamicArg) => startServer(ctx, behaviour, (dynamicArg === undefined ? arg : dynamicArg) as A, options);
}
