/**
 * The newest entries of a log, kept within a count and a byte budget: the simulated server's
 * request records and the chaos proxy's decisions. A long-running server or proxy otherwise
 * keeps every request it ever saw, and its memory grows without limit. Sizes are what the
 * caller says an entry weighs (the text it holds, roughly); the oldest entries go first, and
 * an entry heavier than the whole budget is not kept at all. Totals that must stay right
 * however much is dropped are the caller's running counters, not this log.
 */
export class BoundedLog<T> {
  readonly maxEntries: number;
  readonly maxBytes: number;
  private readonly items: T[] = [];
  private readonly sizes: number[] = [];
  private held = 0;

  constructor(maxEntries: number, maxBytes: number) {
    this.maxEntries = maxEntries;
    this.maxBytes = maxBytes;
  }

  /** The entries kept, oldest first (a live view: it changes as entries are added). */
  get entries(): readonly T[] {
    return this.items;
  }

  /** Bytes the kept entries weigh (at most `maxBytes`). */
  get bytes(): number {
    return this.held;
  }

  add(item: T, bytes: number): void {
    this.items.push(item);
    this.sizes.push(bytes);
    this.held += bytes;
    while (this.items.length > 0 && (this.items.length > this.maxEntries || this.held > this.maxBytes)) {
      this.items.shift();
      this.held -= this.sizes.shift() as number;
    }
  }

  clear(): void {
    this.items.length = 0;
    this.sizes.length = 0;
    this.held = 0;
  }
}

/** UTF-8 size of a string, bytes. */
export function utf8Bytes(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}
