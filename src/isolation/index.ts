/**
 * Isolation (`warden/isolation`): where a child runs, and what keeps it honest.
 *
 * - `inline` (a plain start function): a process in this event loop; the cheapest, but it
 *   cannot be pre-empted.
 * - `thread(module, options)`: its own worker thread; a spinning thread is terminated, a
 *   memory cap ends only it.
 * - `childProcess(module, options)`: its own OS process; the strongest isolation.
 *
 * A child in a thread or a child process is a *remote child*: its process runs in another
 * runtime (as Erlang would say, on another node), and its pid here is a remote process. It looks
 * exactly like an inline child to its supervisor and to every other process: messages, calls,
 * casts, links, monitors and exit reasons cross the boundary.
 * `withWatchdog` adds a progress deadline to any child; fences (`ctx.fence`) stop a dead
 * incarnation from acting.
 *
 * ```ts
 * import { childProcess, moduleUrl, thread, withWatchdog } from 'warden/isolation';
 * import { supervisor } from 'warden/supervisor';
 *
 * const tree = supervisor({
 *   children: [
 *     { id: 'crawler', start: withWatchdog(thread(moduleUrl('./crawler.ts', import.meta.url)), { timeoutMs: 30_000 }) },
 *     { id: 'parser', start: childProcess(moduleUrl('./parser.ts', import.meta.url), { maxOldSpaceMb: 512 }) },
 *   ],
 * });
 * ```
 */
import './errors.ts';
import './events.ts';

export { moduleUrl } from './module-url.ts';
export { thread, startThread } from './thread.ts';
export type { ThreadOptions } from './thread.ts';
export { childProcess, startChildProcess } from './child-process.ts';
export type { ProcessOptions } from './child-process.ts';
export type { RemoteChildOptions } from './remote-child.ts';
export { withWatchdog, armWatchdog, WATCHDOG_DEFAULTS } from './watchdog.ts';
export type { WatchdogOptions } from './watchdog.ts';
export { UnserializableMessageError, RemoteWardenError, encodeError, decodeError } from './codec.ts';
export { watchEventLoop } from './loop-stall.ts';
export type { EventLoopWatchOptions } from './loop-stall.ts';
