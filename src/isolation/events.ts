/**
 * The isolation layer's events on the one stream.
 */
import type { ExitReason, Pid } from '../runtime/index.ts';

declare module '../runtime/index.ts' {
  interface WardenEventMap {
    /** A remote child's thread or process started and its main process runs. */
    'isolation.started': {
      readonly pid: Pid;
      /** Where the child runs: its own worker thread or OS process. */
      readonly isolation: 'thread' | 'process';
      readonly node: string;
      /** The OS pid (a process) or the thread id (a thread). */
      readonly osId: number | undefined;
    };
    /** A remote child's thread or process has ended (it is really gone); `reason` is what its process exited with. */
    'isolation.exited': { readonly pid: Pid; readonly isolation: 'thread' | 'process'; readonly reason: ExitReason };
    /** A watchdog saw no progress within its deadline and asked the process to stop. */
    'watchdog.soft_stop': { readonly pid: Pid; readonly lastBeatAt: number | undefined; readonly timeoutMs: number };
    /** The event loop was blocked for `durationMs` (reported when it runs again; see `watchEventLoop`). */
    'runtime.loop_blocked': { readonly durationMs: number };
    /** The grace period ended with the process still running: it was killed. */
    'watchdog.killed': { readonly pid: Pid; readonly graceMs: number };
  }
}
