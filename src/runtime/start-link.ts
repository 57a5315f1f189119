/**
 * Starting a process whose initialisation must finish before its starter goes on (OTP's
 * `proc_lib:start_link`). The child runs `init` inside its own process; the start resolves
 *
 * - `{ status: 'started', pid }` once `init` returned a state (then `run` continues in the child);
 * - `{ status: 'ignored' }` if `init` returned {@link IGNORE} (the child exits `normal`);
 * - `{ status: 'failed', reason }` if `init` threw or the child died first (`reason` is its exit
 *   reason), or `'timeout'` if it took longer than `timeoutMs` (the child is then killed).
 *
 * When the start fails, the EXIT message the starter's link produced is removed from the
 * starter's mailbox, so a supervisor never mistakes a failed start for a crash of a running child.
 */
import type { Timer } from './clock.ts';
import { ProcessRecord, RUNNING, type StartWatch } from './core.ts';
import { terminate } from './exits.ts';
import { ExitMessage } from './messages.ts';
import type { SpawnOptions } from './options.ts';
import type { Pid } from './pid.ts';
import { Runtime, type ProcessContext } from './runtime.ts';
import type { ExitReason } from './terms.ts';

/** Returned by an `init` to say "do not start" (OTP's `ignore`). */
export const IGNORE: unique symbol = Symbol.for('warden.ignore');
export type Ignore = typeof IGNORE;

export type StartResult =
  | { readonly status: 'started'; readonly pid: Pid }
  | { readonly status: 'ignored' }
  | { readonly status: 'failed'; readonly reason: ExitReason };

export interface StartLinkOptions extends SpawnOptions {
  /** Fail the start (killing the child) if `init` takes longer. @default Infinity */
  readonly timeoutMs?: number;
}

/** Where a start is made from: inside a process (the child is linked to it) or from outside. */
export type Starter = ProcessContext | Runtime;

/**
 * Spawn a process that runs `init(ctx)` and then `run(ctx, state)`; resolve once `init` is done.
 * Linked to the starter when the starter is a process.
 */
export function startLink<S>(
  starter: Starter,
  init: (ctx: ProcessContext) => S | Ignore | Promise<S | Ignore>,
  run: (ctx: ProcessContext, state: S) => unknown,
  options?: StartLinkOptions,
): Promise<StartResult> {
  const runtime = starter instanceof Runtime ? starter : starter.runtime;
  const parent = starter instanceof ProcessRecord ? starter : undefined;
  const timeoutMs = options?.timeoutMs ?? Infinity;
  return new Promise<StartResult>((resolve) => {
    let settled = false;
    let timer: Timer | undefined;
    const finish = (result: StartResult): void => {
      if (settled) return;
      settled = true;
      timer?.cancel();
      resolve(result);
    };
    const child = runtime.spawnFrom(
      parent,
      async (ctx: ProcessContext) => {
        const state = await init(ctx);
        const self = ctx.self as ProcessRecord;
        if (self.status !== RUNNING) return undefined;
        ackStart(self);
        if (state === IGNORE) {
          terminate(self.core, self, 'normal');
          flushExit(parent, self);
          finish({ status: 'ignored' });
          return undefined;
        }
        finish({ status: 'started', pid: self });
        return run(ctx, state as S);
      },
      undefined,
      options,
      parent !== undefined,
    );
    watchStart(child, {
      onExitBeforeAck(reason) {
        flushExit(parent, child);
        finish({ status: 'failed', reason });
      },
    });
    if (timeoutMs !== Infinity) {
      timer = runtime.clock.setTimer(timeoutMs, () => {
        if (settled) return;
        ackStart(child);
        terminate(child.core, child, 'killed');
        flushExit(parent, child);
        finish({ status: 'failed', reason: 'timeout' });
      });
    }
  });
}

/** Watch `proc` until it acknowledges its start: its death before that is reported to `watch` (exits.ts). */
function watchStart(proc: ProcessRecord, watch: StartWatch): void {
  proc.ensureExtras().startWatch = watch;
}

/** The process finished starting (or is being killed for taking too long): stop watching. */
function ackStart(proc: ProcessRecord): void {
  if (proc.extras !== null) proc.extras.startWatch = undefined;
}

/** Remove the EXIT message `child`'s death left in `parent`'s mailbox (OTP's unlink-and-flush). */
export function flushExit(parent: ProcessRecord | undefined, child: Pid): ExitReason | undefined {
  if (parent === undefined) return undefined;
  parent.links?.delete(child as ProcessRecord);
  (child as ProcessRecord).links?.delete(parent);
  const m = parent.mailbox?.take((x) => x instanceof ExitMessage && x.from === child);
  return m instanceof ExitMessage ? m.reason : undefined;
}
