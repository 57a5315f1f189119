/**
 * A priority queue of timers ordered by (due time, creation), with O(1) cancellation by
 * handle (entries are marked, then dropped when they reach the top, or all at once when they
 * outnumber the live ones, so the heap stays proportional to the live timers). Shared by the real clock
 * (which arms one native timeout for the earliest entry) and the virtual clock. A binary heap
 * is a few lines; no dependency needed for it.
 */
/** A scheduled callback; it is the `Timer` (clock.ts) the clocks hand out. */
export class TimerEntry {
  readonly at: number;
  readonly seq: number;
  readonly callback: () => void;
  cancelled = false;
  private readonly owner: TimerHeap;

  constructor(owner: TimerHeap, at: number, seq: number, callback: () => void) {
    this.owner = owner;
    this.at = at;
    this.seq = seq;
    this.callback = callback;
  }

  cancel(): void {
    if (this.cancelled) return;
    this.cancelled = true;
    this.owner.onCancel();
  }
}

export class TimerHeap {
  private readonly heap: TimerEntry[] = [];
  private seq = 0;
  /** Entries scheduled and not cancelled. */
  live = 0;
  /** Called when the last live entry is cancelled. */
  onEmpty: (() => void) | undefined;

  add(at: number, callback: () => void): TimerEntry {
    const entry = new TimerEntry(this, at, this.seq++, callback);
    const h = this.heap;
    h.push(entry);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!less(h[i] as TimerEntry, h[parent] as TimerEntry)) break;
      [h[i], h[parent]] = [h[parent] as TimerEntry, h[i] as TimerEntry];
      i = parent;
    }
    this.live++;
    return entry;
  }

  /** @internal */
  onCancel(): void {
    this.live--;
    if (this.live === 0) {
      this.heap.length = 0;
      this.onEmpty?.();
    } else if (this.heap.length > 1024 && this.live * 2 < this.heap.length) {
      this.compact();
    }
  }

  /**
   * Drop cancelled entries once they outnumber the live ones (timeouts are mostly cancelled
   * long before they are due; without this the heap would hold them until their deadline).
   */
  private compact(): void {
    const live = this.heap.filter((e) => !e.cancelled);
    this.heap.length = 0;
    for (const e of live.sort((a, b) => (less(a, b) ? -1 : 1))) this.heap.push(e);
  }

  /** The earliest live entry, without removing it. */
  peek(): TimerEntry | undefined {
    while (this.heap.length > 0 && (this.heap[0] as TimerEntry).cancelled) this.pop();
    return this.heap[0];
  }

  /** Remove and return the earliest live entry, marking it fired (its cancel becomes a no-op). */
  take(): TimerEntry | undefined {
    const top = this.peek();
    if (top === undefined) return undefined;
    this.pop();
    top.cancelled = true;
    this.live--;
    return top;
  }

  private pop(): void {
    const h = this.heap;
    const last = h.pop();
    if (h.length === 0 || last === undefined) return;
    h[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && less(h[l] as TimerEntry, h[m] as TimerEntry)) m = l;
      if (r < h.length && less(h[r] as TimerEntry, h[m] as TimerEntry)) m = r;
      if (m === i) break;
      [h[i], h[m]] = [h[m] as TimerEntry, h[i] as TimerEntry];
      i = m;
    }
  }
}

function less(a: TimerEntry, b: TimerEntry): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}
