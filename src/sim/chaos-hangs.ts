/**
 * The chaos proxy's hanging requests: a `hang` fault never answers, until the client gives up
 * (its connection closes) or `maxHangMs` passes on the proxy's clock, when the connection is
 * dropped. So the proxy never holds a connection forever; `cancelAll()` (on close) frees every
 * hang at once.
 */
import type { ServerResponse } from 'node:http';
import type { Clock } from '../runtime/index.ts';

export class ChaosHangs {
  private readonly clock: Clock;
  private readonly maxHangMs: number;
  private readonly hangs = new Set<{ cancel(): void }>();

  constructor(clock: Clock, maxHangMs: number) {
    this.clock = clock;
    this.maxHangMs = maxHangMs;
  }

  /** Requests hanging right now. */
  get size(): number {
    return this.hangs.size;
  }

  /** Leave `res` unanswered: dropped after `maxHangMs`, forgotten when the client closes first. */
  hold(res: ServerResponse): void {
    const timer = this.clock.setTimer(this.maxHangMs, () => {
      this.hangs.delete(handle);
      res.destroy();
    });
    const handle = {
      cancel: () => {
        timer.cancel();
        this.hangs.delete(handle);
      },
    };
    this.hangs.add(handle);
    res.on('close', handle.cancel);
  }

  /** Stop every hang's timer (the connections are the server's to close). */
  cancelAll(): void {
    for (const h of [...this.hangs]) h.cancel();
  }
}
