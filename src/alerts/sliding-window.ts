/**
 * A sum over a sliding time window: `add(at, amount)`, `sum(now)` counts what was added in
 * (now - windowMs, now]. Entries older than the window are dropped as they age out, so memory is
 * bounded by what one window holds.
 */
export class SlidingWindow {
  /** The window's length; changing it takes effect at the next `sum` (a longer one counts from what is still held). */
  windowMs: number;
  private entries: { at: number; amount: number }[] = [];
  private head = 0;
  private total = 0;

  constructor(windowMs: number) {
    this.windowMs = windowMs;
  }

  add(at: number, amount = 1): void {
    this.entries.push({ at, amount });
    this.total += amount;
  }

  sum(now: number): number {
    const from = now - this.windowMs;
    while (this.head < this.entries.length && this.entries[this.head]!.at <= from) {
      this.total -= this.entries[this.head]!.amount;
      this.head++;
    }
    if (this.head > 1024 && this.head * 2 > this.entries.length) {
      this.entries = this.entries.slice(this.head);
      this.head = 0;
    }
    if (this.head === this.entries.length) this.total = 0; // no float drift once empty
    return this.total;
  }
}
