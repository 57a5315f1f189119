/**
 * Restart intensity: a sliding window of restart times. `record(nowMs)` stamps a restart in
 * whole seconds (as OTP does with `erlang:monotonic_time(1)`), forgets stamps older than
 * `periodSeconds` before it, and answers `'escalate'` once more than `intensity` restarts
 * remain. So two restarts up to `periodSeconds` apart always count together and more than
 * `periodSeconds + 1` apart never do; checked against `erl` in the conformance suite.
 */
export class RestartIntensity {
  private readonly intensity: number;
  private readonly periodSeconds: number;
  /** Restart stamps in whole seconds, oldest first from `head` (a deque: O(1) amortised per restart). */
  private stamps: number[] = [];
  private head = 0;

  constructor(intensity: number, periodSeconds: number) {
    this.intensity = intensity;
    this.periodSeconds = periodSeconds;
  }

  /** Count a restart made at `nowMs`; `'escalate'` if that exceeds the intensity. */
  record(nowMs: number): 'ok' | 'escalate' {
    const now = Math.floor(nowMs / 1000);
    const threshold = now - this.periodSeconds;
    const stamps = this.stamps;
    while (this.head < stamps.length && (stamps[this.head] as number) < threshold) this.head++;
    if (this.head > 64 && this.head * 2 > stamps.length) {
      this.stamps = stamps.slice(this.head);
      this.head = 0;
    }
    this.stamps.push(now);
    return this.count <= this.intensity ? 'ok' : 'escalate';
  }

  /** Restarts currently inside the window (as of the last record). */
  get count(): number {
    return this.stamps.length - this.head;
  }
}
