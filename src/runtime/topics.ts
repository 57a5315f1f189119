/**
 * Pub/sub topics: processes subscribe to a topic name and `publish` sends the message, as is,
 * to every live subscriber (like Erlang's `pg` groups). Subscriptions end when the process
 * exits. The subscribers live in the core (`core.subscribers`); a process's own topics in its
 * extras, so an exit finds them without a search.
 */
import { InvalidSpecError, ProcessExitedError } from './errors.ts';
import { RUNNING, type Core, type ProcessRecord } from './core.ts';
import { deliver } from './delivery.ts';
import type { Pid } from './pid.ts';

/** Subscribe `pid` (a live process of this runtime) to `topic`. */
export function subscribeTo(core: Core, topic: string, pid: Pid): void {
  const proc = core.recordOf(pid);
  if (proc === undefined || proc.status !== RUNNING) {
    throw new ProcessExitedError(pid, proc?.exitReason ?? 'noproc', 'subscribe');
  }
  if (typeof topic !== 'string' || topic === '') {
    throw new InvalidSpecError('subscribe', 'topic', topic, 'must be a non-empty string');
  }
  let set = core.subscribers.get(topic);
  if (set === undefined) core.subscribers.set(topic, (set = new Set()));
  set.add(proc);
  (proc.ensureExtras().topics ??= new Set()).add(topic);
}

export function unsubscribeFrom(core: Core, topic: string, pid: Pid): void {
  const proc = core.recordOf(pid);
  if (proc !== undefined) unsubscribeRecord(core, topic, proc);
}

function unsubscribeRecord(core: Core, topic: string, proc: ProcessRecord): void {
  const set = core.subscribers.get(topic);
  if (set === undefined) return;
  set.delete(proc);
  if (set.size === 0) core.subscribers.delete(topic);
  proc.extras?.topics?.delete(topic);
}

/** Send `message` to every subscriber of `topic`; returns how many got it. */
export function publishTo(core: Core, topic: string, message: unknown): number {
  if (message === undefined) throw new InvalidSpecError('publish', 'message', message, 'must not be undefined');
  let n = 0;
  for (const proc of [...(core.subscribers.get(topic) ?? [])]) {
    try {
      deliver(core, proc, message);
      n++;
    } catch {
      // A full subscriber mailbox drops this publication for that subscriber only.
    }
  }
  return n;
}

/** `proc` exited: it leaves every topic. */
export function releaseTopics(core: Core, proc: ProcessRecord): void {
  const topics = proc.extras?.topics;
  if (topics === undefined) return;
  for (const topic of [...topics]) unsubscribeRecord(core, topic, proc);
}
