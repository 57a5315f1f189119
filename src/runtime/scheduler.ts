/**
 * The scheduler: what runs when. A spawned process's body starts from the run queue, on the
 * next microtask (never inside `spawn`, so the spawner always holds the pid first). A body's
 * return ends the process `normal`, a throw with a `Crash`, unless the body installed a
 * message handler: then the process lives on as a server, and each message is passed to the
 * handler from the run queue, at most {@link HANDLER_BUDGET} per turn, so one busy server
 * cannot starve the others. A handler that returns a promise makes the process busy (it takes
 * no message) until the promise settles.
 */
import { admitBlocked } from './backpressure.ts';
import { RUNNING, type Core, type ProcessRecord } from './core.ts';
import { ExitUnwind, terminate } from './exits.ts';
import { NOTHING } from './mailbox.ts';
import { Crash } from './terms.ts';

/** Messages a handler process handles per turn before others get theirs. */
export const HANDLER_BUDGET = 256;

/** Run everything queued, including what running it queues (the core's `drain`). */
export function drainRunQueue(core: Core): void {
  core.drainScheduled = false;
  while (core.runQueue.length > 0) {
    const queue = core.runQueue;
    core.runQueue = [];
    for (const proc of queue) {
      proc.scheduled = false;
      if (proc.status !== RUNNING) continue;
      if (proc.body !== null) startBody(proc);
      else if (proc.handler !== null && !proc.busy) runHandler(core, proc);
    }
  }
}

/**
 * Turn a running process into a message-handler process: from now on every message is passed
 * to `handler` (one at a time). Called by a body before it returns.
 */
export function installHandler(proc: ProcessRecord, handler: (message: unknown) => unknown): void {
  proc.handler = handler;
}

function startBody(proc: ProcessRecord): void {
  // Every record is a `Process` (runtime.ts): the ProcessContext the body was written for.
  const body = proc.body as unknown as (ctx: ProcessRecord, arg: unknown) => unknown;
  const arg = proc.arg;
  proc.body = null;
  proc.arg = undefined;
  proc.busy = true;
  let result: unknown;
  try {
    result = body(proc, arg);
  } catch (error) {
    bodyThrew.call(proc, error);
    return;
  }
  if (isThenable(result)) {
    // Bound functions, not closures: a waiting process is dozens of bytes smaller.
    result.then(bodyReturned.bind(proc), bodyThrew.bind(proc));
  } else {
    bodyReturned.call(proc);
  }
}

function bodyReturned(this: ProcessRecord): void {
  if (this.status !== RUNNING) return;
  this.busy = false;
  // A body that installed a message handler keeps the process alive as a server.
  if (this.handler !== null) {
    if (this.mailbox !== null && this.mailbox.length > 0) this.core.schedule(this);
    return;
  }
  terminate(this.core, this, 'normal');
}

function bodyThrew(this: ProcessRecord, error: unknown): void {
  if (this.status !== RUNNING) return;
  terminate(this.core, this, new Crash(error));
}

function runHandler(core: Core, proc: ProcessRecord): void {
  const handler = proc.handler as (message: unknown) => unknown;
  const mb = proc.mailbox;
  if (mb === null) return;
  for (let n = 0; n < HANDLER_BUDGET; n++) {
    const before = mb.userCount;
    const message = mb.shift();
    if (message === NOTHING) return;
    if (mb.userCount < before && proc.extras?.blocked !== undefined) admitBlocked(core, proc);
    let result: unknown;
    try {
      result = handler(message);
    } catch (error) {
      handlerFailed(core, proc, error);
      return;
    }
    if (proc.status !== RUNNING) return;
    if (isThenable(result)) {
      proc.busy = true;
      result.then(
        () => handlerDone(core, proc),
        (error: unknown) => handlerFailed(core, proc, error),
      );
      return;
    }
  }
  if (proc.mailbox !== null && proc.mailbox.length > 0) core.schedule(proc);
}

function handlerDone(core: Core, proc: ProcessRecord): void {
  if (proc.status !== RUNNING) return;
  proc.busy = false;
  if (proc.mailbox !== null && proc.mailbox.length > 0) core.schedule(proc);
}

function handlerFailed(core: Core, proc: ProcessRecord, error: unknown): void {
  if (proc.status !== RUNNING || error instanceof ExitUnwind) return;
  terminate(core, proc, new Crash(error));
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return value !== null && (typeof value === 'object' || typeof value === 'function') && typeof (value as { then?: unknown }).then === 'function';
}
