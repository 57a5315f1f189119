/**
 * `schedulerChild(options)`: a scheduler as a supervised child (the child spec's `start`). It
 * opens on the host's store in its `init` (so a bad schedule fails the start, naming the field),
 * then serves on the runtime's clock and reports on the runtime's event bus unless told
 * otherwise. When the process exits (a crash, a shutdown, a kill) the scheduler closes; its
 * restart opens it again, and since every decision is in the store nothing is fired twice.
 */
import { isSoftStopRequest, type ProcessContext } from '../runtime/index.ts';
import { workerWithInit, type ChildStart } from '../supervisor/index.ts';
import { openScheduler, type Scheduler, type SchedulerOptions } from './scheduler.ts';

export interface SchedulerChildOptions extends SchedulerOptions {
  /** Called with the scheduler once it is open (each incarnation, with its process), e.g. to keep a handle for `trigger`. @default none */
  readonly onOpen?: (scheduler: Scheduler, ctx: ProcessContext) => void;
}

/**
 * @example
 * ```ts
 * const root = await startSupervisor(rt, {
 *   strategy: 'one_for_one',
 *   children: [{ id: 'scheduler', start: schedulerChild({ host, schedules: [nightly] }) }],
 * });
 * ```
 */
export function schedulerChild(options: SchedulerChildOptions): ChildStart {
  const { onOpen, ...rest } = options;
  return workerWithInit(
    async (ctx: ProcessContext) => {
      const scheduler = await openScheduler({ clock: ctx.clock, bus: ctx.runtime.events, ...rest });
      ctx.signal.addEventListener('abort', () => void scheduler.close(), { once: true });
      onOpen?.(scheduler, ctx);
      return scheduler;
    },
    async (ctx, scheduler) => {
      scheduler.serve();
      for (;;) {
        const message = await ctx.receive();
        if (isSoftStopRequest(message)) {
          await scheduler.close();
          ctx.exit(message.reason);
        }
      }
    },
    { label: 'scheduler' },
  );
}
