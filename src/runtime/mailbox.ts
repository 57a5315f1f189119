/**
 * A process's mailbox: a FIFO queue with selective removal and a capacity. Only user messages
 * count toward the capacity; system messages (EXIT, DOWN) are always accepted. What happens
 * when it is full is an explicit policy, never unbounded growth:
 *
 * - `reject` (default): `send` throws `MailboxFullError`;
 * - `drop_oldest`: the oldest user message is dropped (a `process.message_dropped` event);
 * - `block`: `sendWait` waits for room (bounded by its timeout); a plain `send` is rejected.
 *
 * The queue is a list of fixed-size segments (O(1) push and shift, no copying however long it
 * grows); selective receive scans from the oldest message, as in Erlang. Written here because
 * it needs removal from the middle and a per-kind count, which no queue library offers.
 */
import { InvalidSpecError } from './errors.ts';
import { SystemMessage } from './messages.ts';

export type OverflowPolicy = 'reject' | 'drop_oldest' | 'block';

export interface MailboxOptions {
  /** Most user messages held at once. @default 10000 */
  readonly capacity: number;
  /** What a send to a full mailbox does. @default 'reject' */
  readonly overflow: OverflowPolicy;
}

export const MAILBOX_DEFAULTS: MailboxOptions = Object.freeze({ capacity: 10_000, overflow: 'reject' });

const OVERFLOW_POLICIES: readonly OverflowPolicy[] = ['reject', 'drop_oldest', 'block'];

/**
 * `given` over `base`, checked and frozen (`base` itself when nothing is given); `subject`
 * names the operation in the error (`'runtime'`, `'spawn'`).
 */
export function resolveMailboxOptions(given: Partial<MailboxOptions> | undefined, base: MailboxOptions, subject: string): MailboxOptions {
  if (given === undefined) return base;
  const capacity = given.capacity ?? base.capacity;
  const overflow = given.overflow ?? base.overflow;
  if (!(Number.isInteger(capacity) && capacity > 0) && capacity !== Infinity) {
    throw new InvalidSpecError(subject, 'mailbox.capacity', capacity, 'must be a positive integer');
  }
  if (!OVERFLOW_POLICIES.includes(overflow)) {
    throw new InvalidSpecError(subject, 'mailbox.overflow', overflow, `must be one of ${OVERFLOW_POLICIES.join(', ')}`);
  }
  return Object.freeze({ capacity, overflow });
}

/** Returned by `take` when no message matches. */
export const NOTHING: unique symbol = Symbol('nothing');

/** One segment of the queue. */
interface Chunk {
  readonly items: unknown[];
  next: Chunk | null;
}

const CHUNK_SIZE = 512;

export class Mailbox {
  /** Segments from oldest to newest; `head.items[headIndex]` is the oldest message. */
  private head: Chunk = { items: [], next: null };
  private tail: Chunk = this.head;
  private headIndex = 0;
  private size = 0;
  /** Number of queued messages that count toward capacity. */
  userCount = 0;

  get length(): number {
    return this.size;
  }

  push(message: unknown): void {
    if (!(message instanceof SystemMessage)) this.userCount++;
    let tail = this.tail;
    if (tail.items.length >= CHUNK_SIZE) {
      tail = this.tail = tail.next = { items: [], next: null };
    }
    tail.items.push(message);
    this.size++;
  }

  /** Remove and return the oldest message, or NOTHING. */
  shift(): unknown {
    if (this.size === 0) return NOTHING;
    let head = this.head;
    while (this.headIndex >= head.items.length) {
      head = this.head = head.next as Chunk;
      this.headIndex = 0;
    }
    const m = head.items[this.headIndex];
    head.items[this.headIndex++] = undefined;
    this.size--;
    if (!(m instanceof SystemMessage)) this.userCount--;
    if (this.size === 0) this.reset();
    return m;
  }

  /** Remove and return the oldest message that matches, or NOTHING. */
  take(match: (message: unknown) => boolean): unknown {
    let start = this.headIndex;
    for (let chunk: Chunk | null = this.head; chunk !== null; chunk = chunk.next) {
      const items = chunk.items;
      for (let i = start; i < items.length; i++) {
        const m = items[i];
        if (match(m)) {
          this.removeAt(chunk, i);
          return m;
        }
      }
      start = 0;
    }
    return NOTHING;
  }

  /** Drop the oldest user message; false if there is none. */
  dropOldestUser(): boolean {
    return this.take((m) => !(m instanceof SystemMessage)) !== NOTHING;
  }

  /** Messages in arrival order (a copy). */
  toArray(): unknown[] {
    const out: unknown[] = [];
    let start = this.headIndex;
    for (let chunk: Chunk | null = this.head; chunk !== null; chunk = chunk.next) {
      for (let i = start; i < chunk.items.length; i++) out.push(chunk.items[i]);
      start = 0;
    }
    return out;
  }

  private removeAt(chunk: Chunk, i: number): void {
    const m = chunk.items[i];
    if (chunk === this.head && i === this.headIndex) {
      chunk.items[this.headIndex++] = undefined;
    } else {
      chunk.items.splice(i, 1);
    }
    this.size--;
    if (!(m instanceof SystemMessage)) this.userCount--;
    if (this.size === 0) this.reset();
  }

  private reset(): void {
    this.head.items.length = 0;
    this.head.next = null;
    this.tail = this.head;
    this.headIndex = 0;
  }
}
