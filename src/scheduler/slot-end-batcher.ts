/**
 * Slot outcomes written together: when many slot runs end at once (a thousand slots of one
 * minute), each outcome would otherwise be a transaction of its own. Outcomes that arrive while a
 * batch is being written wait for the next; each batch is one call of `write`, and every caller
 * is answered with its own result once the batch is committed. A small queue, the same shape as
 * the store's journal group commit, kept here because it writes the scheduler's own tables.
 */
import type { SlotEnd } from './schedule-table.ts';
import type { SlotRecord } from './types.ts';

interface Pending {
  readonly slot: SlotRecord;
  readonly end: SlotEnd;
  readonly resolve: (recorded: boolean) => void;
  readonly reject: (error: unknown) => void;
}

export class SlotEndBatcher {
  private readonly write: (batch: readonly { slot: SlotRecord; end: SlotEnd }[]) => Promise<boolean[]>;
  private queue: Pending[] = [];
  private writing = false;

  constructor(write: (batch: readonly { slot: SlotRecord; end: SlotEnd }[]) => Promise<boolean[]>) {
    this.write = write;
  }

  /** Record how `slot` ended; resolves with whether it was recorded here (false: another process did first). */
  record(slot: SlotRecord, end: SlotEnd): Promise<boolean> {
    return new Promise((resolve, reject) => {
      this.queue.push({ slot, end, resolve, reject });
      if (!this.writing) void this.flush();
    });
  }

  private async flush(): Promise<void> {
    this.writing = true;
    try {
      while (this.queue.length > 0) {
        await Promise.resolve(); // let the outcomes of this turn join the batch
        const batch = this.queue;
        this.queue = [];
        try {
          const recorded = await this.write(batch);
          for (const [i, p] of batch.entries()) p.resolve(recorded[i] ?? false);
        } catch (e) {
          for (const p of batch) p.reject(e);
        }
      }
    } finally {
      this.writing = false;
    }
  }
}
