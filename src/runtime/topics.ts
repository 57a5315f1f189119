/**
 * Pub/sub topics: processes subscribe to a topic name and `publish` sends the message, as is,
 * to every live subscriber (like Erlang's `pg` groups). Subscriptions end when the process
 * exits.
 */
import { InvalidSpecError } from './errors.ts';
import type { ProcessRecord } from './process.ts';

export class Topics {
  private readonly subscribers = new Map<string, Set<ProcessRecord>>();

  subscribe(topic: string, proc: ProcessRecord): void {
    if (typeof topic !== 'string' || topic === '') {
      throw new InvalidSpecError('subscribe', 'topic', topic, 'must be a non-empty string');
    }
    let set = this.subscribers.get(topic);
    if (set === undefined) this.subscribers.set(topic, (set = new Set()));
    set.add(proc);
    (proc.extras().topics ??= new Set()).add(topic);
  }

  unsubscribe(topic: string, proc: ProcessRecord): void {
    const set = this.subscribers.get(topic);
    if (set === undefined) return;
    set.delete(proc);
    if (set.size === 0) this.subscribers.delete(topic);
    proc.x?.topics?.delete(topic);
  }

  /** Live subscribers of a topic, in subscription order. */
  members(topic: string): ProcessRecord[] {
    return [...(this.subscribers.get(topic) ?? [])];
  }

  /** Called when a process exits. */
  release(proc: ProcessRecord): void {
    const topics = proc.x?.topics;
    if (topics === undefined) return;
    for (const topic of [...topics]) this.unsubscribe(topic, proc);
  }
}
