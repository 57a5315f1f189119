/**
 * A process's mailbox: a FIFO queue with selective removal and a capacity. Only user messages
 * count toward the capacity; system messages (EXIT, DOWN) are always accepted. What happens
 * when it is full is an explicit policy, never unbounded growth:
 *
 * - `reject` (default): `send` throws `MailboxFullError`;
 * - `drop_oldest`: the oldest user message is dropped (a `process.message_dropped` event);
 * - `block`: `sendWait` waits for room (bounded by its timeout); a plain `send` is rejected.
 *
 * The queue is an array with a moving head (O(1) push and shift, compacted as it drains);
 * selective receive scans from the oldest message, as in Erlang.
 */
import { SystemMessage } from './messages.ts';

export type OverflowPolicy = 'reject' | 'drop_oldest' | 'block';

export interface MailboxOptions {
  /** Most user messages held at once. @default 10000 */
  readonly capacity: number;
  /** What a send to a full mailbox does. @default 'reject' */
  readonly overflow: OverflowPolicy;
}

export const MAILBOX_DEFAULTS: MailboxOptions = Object.freeze({ capacity: 10_000, overflow: 'reject' });

/** Returned by `take` when no message matches. */
export const NOTHING: unique symbol = Symbol('nothing');

export class Mailbox {
  private items: unknown[] = [];
  private head = 0;
  /** Number of queued messages that count toward capacity. */
  userCount = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  push(message: unknown): void {
    if (!(message instanceof SystemMessage)) this.userCount++;
    this.items.push(message);
  }

  /** Remove and return the oldest message, or NOTHING. */
  shift(): unknown {
    if (this.head >= this.items.length) return NOTHING;
    const m = this.items[this.head];
    this.items[this.head++] = undefined;
    if (!(m instanceof SystemMessage)) this.userCount--;
    this.compact();
    return m;
  }

  /** Remove and return the oldest message that matches, or NOTHING. */
  take(match: (message: unknown) => boolean): unknown {
    const items = this.items;
    for (let i = this.head; i < items.length; i++) {
      const m = items[i];
      if (match(m)) {
        this.removeAt(i);
        return m;
      }
    }
    return NOTHING;
  }

  /** Drop the oldest user message; false if there is none. */
  dropOldestUser(): boolean {
    for (let i = this.head; i < this.items.length; i++) {
      if (!(this.items[i] instanceof SystemMessage)) {
        this.removeAt(i);
        return true;
      }
    }
    return false;
  }

  /** Messages in arrival order (a copy). */
  toArray(): unknown[] {
    return this.items.slice(this.head);
  }

  private removeAt(i: number): void {
    const m = this.items[i];
    if (i === this.head) {
      this.items[this.head++] = undefined;
      this.compact();
    } else {
      this.items.splice(i, 1);
    }
    if (!(m instanceof SystemMessage)) this.userCount--;
  }

  private compact(): void {
    if (this.head === this.items.length) {
      this.items.length = 0;
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
  }
}
