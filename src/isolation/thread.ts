/**
 * `thread(module, options)`: a child that runs in its own worker thread. A thread spinning in
 * `while (true) {}` can still be killed (the thread is terminated), and a memory cap
 * (`resourceLimits`) ends only that thread, with reason `memory_limit`. Cheaper to start than
 * a process; it shares the process's native memory and crashes in native code.
 */
import { Worker, type ResourceLimits } from 'node:worker_threads';
import type { Starter, StartResult } from '../runtime/index.ts';
import type { ChildStart } from '../supervisor/index.ts';
import { startRemoteChild, type RemoteChildOptions, type Launcher } from './remote-child.ts';
import { moduleUrl } from './module-url.ts';

export interface ThreadOptions extends RemoteChildOptions {
  /** Memory caps for the thread (`maxOldGenerationSizeMb`, ...); exceeding one ends it with `memory_limit`. */
  readonly resourceLimits?: ResourceLimits;
}

const ENTRY = moduleUrl('./guest/thread-entry.ts', import.meta.url);
/**
 * The thread boots from this inline script, which enables the compile cache and imports the
 * entry: a worker whose entry *file* is TypeScript starts some 30 ms slower than one whose
 * entry is a script that then imports TypeScript (measured; the loader takes a slower path).
 */
const BOOT = `require('node:module').enableCompileCache?.(); import(require('node:worker_threads').workerData.entry);`;

function threadLauncher(options: ThreadOptions): Launcher {
  return {
    isolation: 'thread',
    launch({ onFrame, onExit }) {
      const worker = new Worker(BOOT, {
        eval: true,
        workerData: { entry: ENTRY.href },
        ...(options.resourceLimits === undefined ? {} : { resourceLimits: options.resourceLimits }),
        stdout: false,
        stderr: false,
      });
      let error: unknown;
      let outOfMemory = false;
      worker.on('message', onFrame);
      worker.on('error', (e: unknown) => {
        error = e;
        outOfMemory = (e as { code?: unknown }).code === 'ERR_WORKER_OUT_OF_MEMORY';
      });
      worker.once('exit', (code) => {
        worker.removeAllListeners();
        onExit(error === undefined ? { kind: 'exit', code, signal: null, outOfMemory } : { kind: 'error', error, outOfMemory });
      });
      return {
        osId: worker.threadId,
        transport: { send: (frame) => worker.postMessage(frame), close: () => void worker.terminate() },
        hardKill: () => void worker.terminate(),
      };
    },
  };
}

/** A child spec's start function for a child in its own thread. */
export function thread(module: string | URL, options: ThreadOptions = {}): ChildStart {
  return (ctx, arg) => startRemoteChild(ctx, threadLauncher(options), module, options, arg);
}

/** Start a process in its own thread outside a supervisor (linked to `starter` if it is a process). */
export function startThread(starter: Starter, module: string | URL, options: ThreadOptions = {}): Promise<StartResult> {
  return startRemoteChild(starter, threadLauncher(options), module, options, undefined);
}
