/**
 * What makes the page live: while at least one page listens, the watcher reads a small
 * fingerprint of each view from the store every `pollMs` (on the injected clock) and tells the
 * listeners which views changed; the page then fetches only those (server-sent events carry the
 * names, `/api/` the data). Hosts and the CLI write to the store from other processes, so the
 * store is the one place every change shows up; polling it from here, once for all pages, keeps
 * the cost flat in the number of open pages.
 *
 * - The first reading after a page connects is the baseline: it is not reported as a change.
 * - One reading at a time: the next is armed once the previous is done.
 * - A reading that fails (the store is briefly unavailable) is skipped; the next one compares
 *   against the last good one.
 */
import type { Disposable, Timer } from '../runtime/index.ts';
import { disposable } from '../runtime/index.ts';
import { lastHostPublish } from '../durable/index.ts';
import type { ViewContext } from './views.ts';

export const TOPICS = ['runs', 'approvals', 'dlq', 'hosts', 'quarantine', 'schedules', 'health', 'alerts'] as const;
export type Topic = (typeof TOPICS)[number];

/** How many of the newest runs the runs fingerprint covers (the page shows fewer). */
const RUNS_WATCHED = 200;

type Fingerprints = Partial<Record<Topic, string>>;

async function fingerprints(ctx: ViewContext): Promise<Fingerprints> {
  const { store, providers } = ctx;
  const [runs, approvals, pending, requested, hosts, quarantine] = await Promise.all([
    store.listRuns({ limit: RUNS_WATCHED }),
    store.listApprovals({ status: 'pending' }),
    store.listDeadLetters({ status: 'pending' }),
    store.listDeadLetters({ status: 'replay_requested' }),
    lastHostPublish(store),
    store.listQuarantine(),
  ]);
  const out: Fingerprints = {
    runs: runs.map((r) => `${r.id}:${r.status}:${r.updatedAt}:${r.request ?? ''}`).join(','),
    approvals: approvals.map((a) => a.id).join(','),
    dlq: [...pending, ...requested].map((l) => `${l.id}:${l.status}:${l.updatedAt}`).join(','),
    hosts: String(hosts),
    health: String(hosts),
    quarantine: JSON.stringify(quarantine),
  };
  for (const name of ['schedules', 'health', 'alerts'] as const) {
    const provider = providers[name];
    if (provider === undefined) continue;
    const provided = await provider(store).then(
      (v) => JSON.stringify(v),
      (e: unknown) => `error:${String(e)}`,
    );
    out[name] = name === 'health' ? `${out.health}|${provided}` : provided;
  }
  return out;
}

export class ChangeWatcher {
  private readonly listeners = new Set<(topics: readonly Topic[]) => void>();
  private last: Fingerprints | undefined;
  private timer: Timer | undefined;
  private reading = false;
  private closed = false;
  private readonly ctx: ViewContext;
  private readonly pollMs: number;

  constructor(ctx: ViewContext, pollMs: number) {
    this.ctx = ctx;
    this.pollMs = pollMs;
  }

  /** Hear which views changed; the watcher polls while anyone listens. */
  subscribe(listener: (topics: readonly Topic[]) => void): Disposable {
    this.listeners.add(listener);
    if (this.listeners.size === 1) this.arm(0);
    return disposable(() => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0) {
        this.timer?.cancel();
        this.timer = undefined;
        this.last = undefined;
      }
    });
  }

  get listening(): number {
    return this.listeners.size;
  }

  close(): void {
    this.closed = true;
    this.timer?.cancel();
    this.listeners.clear();
  }

  private arm(delayMs: number): void {
    if (this.closed || this.timer !== undefined || this.reading) return;
    this.timer = this.ctx.clock.setTimer(delayMs, () => {
      this.timer = undefined;
      void this.read();
    });
  }

  private async read(): Promise<void> {
    this.reading = true;
    try {
      const now = await fingerprints(this.ctx);
      const before = this.last;
      this.last = now;
      if (before !== undefined) {
        const changed = (Object.keys(now) as Topic[]).filter((t) => now[t] !== before[t]);
        if (changed.length > 0) for (const l of [...this.listeners]) l(changed);
      }
    } catch {
      // skipped: the next reading compares against the last good one
    } finally {
      this.reading = false;
      if (this.listeners.size > 0) this.arm(this.pollMs);
    }
  }
}
