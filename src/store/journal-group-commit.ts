/**
 * Group commit for journal appends: appends that arrive while a batch is being written wait for
 * the next one, and each batch (at most {@link MAX_BATCH} entries) is written by one call of
 * `write`, one transaction and one fsync, after which every caller in it is answered with its own
 * outcome. No caller is answered before its entry is durable, and a batch that fails as a whole
 * fails each of its callers with that error. After `close()` new appends are refused and the ones
 * already queued are still written.
 *
 * We wrote this by hand: it is a queue and one transaction, and the queueing libraries do not
 * know about our fence. A batch starts on the next turn of the event loop (`setImmediate`), so
 * the appends made in one turn share it.
 */
import type { JournalEntry } from './journal-store.ts';

/** Most journal entries written in one group commit. */
export const MAX_BATCH = 500;

/** One append waiting for its batch. */
export interface PendingAppend {
  readonly entry: JournalEntry;
  readonly epoch: number;
  /** The effect this entry marks done, in the same transaction. */
  readonly effectDone: string | undefined;
  readonly resolve: (e: JournalEntry) => void;
  readonly reject: (e: unknown) => void;
}

/** Writes one batch; answers each append with the stored entry or the error it failed with, in batch order. */
export type WriteJournalBatch = (batch: readonly PendingAppend[]) => Promise<(JournalEntry | Error)[]>;

export class JournalGroupCommit {
  private readonly location: string;
  private readonly write: WriteJournalBatch;
  private pending: PendingAppend[] = [];
  private scheduled = false;
  private flushing = false;
  private closed = false;

  /** `location` names the database in the error a closed store's append fails with. */
  constructor(location: string, write: WriteJournalBatch) {
    this.location = location;
    this.write = write;
  }

  append(entry: JournalEntry, epoch: number, effectDone: string | undefined): Promise<JournalEntry> {
    if (this.closed) return Promise.reject(new Error(`${this.location}: store is closed`));
    return new Promise((resolve, reject) => {
      this.pending.push({ entry, epoch, effectDone, resolve, reject });
      this.schedule();
    });
  }

  /** Refuse new appends and wait until every queued one is answered. */
  async close(): Promise<void> {
    this.closed = true;
    while (this.pending.length > 0 || this.flushing || this.scheduled) await this.flushNow();
  }

  private schedule(): void {
    if (this.scheduled || this.flushing) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      void this.flush();
    });
  }

  /** Let a batch in progress (or about to start) go on, or write what is queued now. */
  private async flushNow(): Promise<void> {
    if (this.flushing || this.scheduled) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      return;
    }
    if (this.pending.length > 0) await this.flush();
  }

  private async flush(): Promise<void> {
    if (this.flushing || this.pending.length === 0) return;
    this.flushing = true;
    const batch = this.pending.splice(0, MAX_BATCH);
    try {
      const outcomes = await this.write(batch);
      batch.forEach((p, i) => {
        const o = outcomes[i]!;
        if (o instanceof Error) p.reject(o);
        else p.resolve(o);
      });
    } catch (error) {
      for (const p of batch) p.reject(error);
    } finally {
      this.flushing = false;
      if (this.pending.length > 0) this.schedule();
    }
  }
}
