/**
 * Starting a remote child: a child whose process runs in its own worker thread or OS process, in
 * another runtime (the guest). Here the child is a remote process, its pid as far as the
 * supervisor is concerned, linked to the starter like any child. Starting resolves once the
 * guest's main process runs, as `startLink` does for an inline child.
 *
 * - Messages, calls, casts and exit signals to the child's pid cross to the guest's main
 *   process; its death comes back as the pid's death, with its reason.
 * - `kill` (and a watchdog's hard kill) does not wait for the guest: the thread is terminated
 *   or the process gets SIGKILL at once, and the pid exits with the kill's reason.
 * - If the thread or process ends by itself, the pid exits with what happened:
 *   `memory_limit` when it ran out of its memory cap, the signal's name (`SIGKILL`,
 *   `SIGTERM`, ...) when a process was killed from outside, `{ exit_code: n }` when it
 *   exited, or a crash with the error that escaped.
 * - When the main process ends, the thread or process is ended too: nothing of the old
 *   incarnation outlives it. Frames that arrive afterwards are dropped (`process.fenced`).
 */
import { Crash, Runtime, VirtualClock, realClock, type ExitReason, type Pid, type ProcessContext, type StartResult, type Starter } from '../runtime/index.ts';
import { NodeChannel, type TimedFrame, type Transport } from './channel.ts';
import { decode, encode } from './codec.ts';
import type { GuestInit } from './guest/guest.ts';
import './events.ts';

/** What every remote child takes, in a thread (`ThreadOptions`) or an OS process (`ProcessOptions`). */
export interface RemoteChildOptions {
  /** The module's export to run: a process body `(ctx, arg)` or a server behaviour. @default 'default' */
  readonly export?: string;
  /** Argument for the body (a dynamic supervisor's `startChild` argument overrides it). Must be serialisable. */
  readonly arg?: unknown;
  /** Start the main process trapping exits (bodies only; servers set it in their behaviour). @default false */
  readonly trapExits?: boolean;
  readonly label?: string;
  /** Fail the start if the guest is not running after this long (real time). @default 30000 */
  readonly startTimeoutMs?: number;
  /** Relay the main process's progress beats at most this often. @default 50 */
  readonly beatIntervalMs?: number;
  /** On a virtual clock: how long (real time) to wait for a busy guest before time moves on without it. @default 5000 */
  readonly quiescenceTimeoutMs?: number;
}

/** How the thread or process ended, as its launcher saw it. */
export type LaunchedExit =
  | { readonly kind: 'exit'; readonly code: number | null; readonly signal: string | null; readonly outOfMemory: boolean }
  | { readonly kind: 'error'; readonly error: unknown; readonly outOfMemory: boolean };

/** A running thread or process with a frame transport. */
export interface Launched {
  readonly transport: Transport;
  /** OS pid or thread id. */
  readonly osId: number | undefined;
  /** End it now, whatever it is doing. */
  hardKill(): void;
}

export interface Launcher {
  readonly isolation: 'thread' | 'process';
  launch(handlers: { onFrame(frame: TimedFrame): void; onExit(exit: LaunchedExit): void }): Launched;
}

let remoteChildCount = 0;

/** Start a remote child from `starter` (linked to it when it is a process). */
export function startRemoteChild(
  starter: Starter,
  launcher: Launcher,
  module: string | URL,
  options: RemoteChildOptions,
  dynamicArg: unknown,
): Promise<StartResult> {
  const runtime = starter instanceof Runtime ? starter : starter.runtime;
  const parent = starter instanceof Runtime ? undefined : (starter as ProcessContext);
  const peerNode = `${runtime.node}/${launcher.isolation === 'thread' ? 't' : 'p'}${++remoteChildCount}`;
  const virtual = runtime.clock instanceof VirtualClock;
  return new Promise<StartResult>((resolve) => {
    let main: Pid | undefined;
    let killReason: ExitReason | undefined;
    let settled = false;
    let exited = false;
    const finish = (result: StartResult): void => {
      if (settled) return;
      settled = true;
      startTimer.cancel();
      resolve(result);
    };
    const reasonOf = (exit: LaunchedExit): ExitReason => {
      if (killReason !== undefined) return killReason;
      if (exit.outOfMemory) return 'memory_limit';
      if (exit.kind === 'error') return new Crash(exit.error);
      if (exit.signal !== null) return exit.signal;
      return { exit_code: exit.code ?? -1 };
    };
    let channel!: NodeChannel;
    const launched = launcher.launch({
      onFrame: (frame) => {
        if (channel.isClosed) {
          if (main !== undefined && runtime.events.wants('process.fenced')) {
            runtime.events.emit({ type: 'process.fenced', pid: main, owner: options.label ?? String(main), generation: main.id, operation: frame.t });
          }
          return;
        }
        channel.receive(frame);
      },
      onExit: (exit) => {
        exited = true;
        end(reasonOf(exit));
        // Emitted once the thread or process is really gone (not when a kill was merely issued).
        if (main !== undefined && runtime.events.wants('isolation.exited')) {
          runtime.events.emit({ type: 'isolation.exited', pid: main, isolation: launcher.isolation, reason: runtime.exitReasonOf(main) ?? reasonOf(exit) });
        }
      },
    });
    channel = new NodeChannel(runtime, launched.transport, {
      peerNode,
      ownsClock: virtual,
      ...(options.quiescenceTimeoutMs === undefined ? {} : { quiescenceTimeoutMs: options.quiescenceTimeoutMs }),
      onControl: (frame) => {
        if (frame.kind === 'started' && main === undefined) {
          main = channel.remotePid(Number(frame.main), options.label);
          runtime.adoptRemoteProcess(main);
          if (parent !== undefined) parent.link(main);
          void runtime.whenExited(main).then((reason) => end(reason));
          if (runtime.events.wants('isolation.started')) {
            runtime.events.emit({ type: 'isolation.started', pid: main, isolation: launcher.isolation, node: peerNode, osId: launched.osId });
          }
          finish({ status: 'started', pid: main });
        } else if (frame.kind === 'init_failed') {
          end(decode(frame.reason, channel) as ExitReason);
        }
      },
      onKill: (remote, reason) => {
        if (remote !== main) return false;
        killReason = reason;
        launched.hardKill();
        runtime.remoteProcessExited(remote, reason);
        return true;
      },
    });
    /** The child is over (main exited, killed, failed to start, or its thread or process ended): tear everything down once. */
    const end = (reason: ExitReason): void => {
      if (main !== undefined && runtime.isAlive(main)) runtime.remoteProcessExited(main, reason);
      if (!settled) finish({ status: 'failed', reason });
      if (!channel.isClosed) {
        channel.close('noconnection');
        if (!exited) launched.hardKill();
      }
    };
    // Thread and process start-up happens in real time, whatever clock the runtime uses.
    const startTimer = realClock.setTimer(options.startTimeoutMs ?? 30_000, () => {
      killReason = 'timeout';
      end('timeout');
    });
    const init: GuestInit = {
      kind: 'init',
      node: peerNode,
      parentNode: runtime.node,
      module: module instanceof URL ? module.href : module,
      exportName: options.export ?? 'default',
      arg: encode(dynamicArg === undefined ? options.arg : dynamicArg, channel, 'arg'),
      parent: parent === undefined ? null : encode(parent.self, channel, 'parent'),
      trapExits: options.trapExits ?? false,
      label: options.label,
      virtualNow: virtual ? runtime.clock.now() : undefined,
      beatIntervalMs: options.beatIntervalMs ?? 50,
    };
    channel.send({ t: 'control', ...init } as never);
  });
}
