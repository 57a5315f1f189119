/**
 * The write queue both backends share: calls queue up, and one batch at a time is handed to the
 * backend to make durable together (one transaction, or one append and one fsync). A batch starts
 * after the I/O callbacks already due in this turn of the event loop have run, so calls that
 * arrived together (several clients' requests read in one turn) share its commit; calls that
 * arrive while a batch is being written go in the next one.
 */
export class GroupCommit<P extends { readonly reject: (error: unknown) => void }> {
  private readonly maxBatch: number;
  private readonly writeBatch: (batch: P[]) => Promise<void>;
  private queue: P[] = [];
  private flushing: Promise<void> | undefined;

  /** `writeBatch` settles every call in its batch; if it throws, the calls it left are rejected with that error. */
  constructor(maxBatch: number, writeBatch: (batch: P[]) => Promise<void>) {
    this.maxBatch = maxBatch;
    this.writeBatch = writeBatch;
  }

  add(pending: P): void {
    this.queue.push(pending);
    this.flushing ??= new Promise<void>((resolve) => setImmediate(resolve)).then(() => this.flush());
  }

  /** Resolves once every call queued so far has been written. */
  async drained(): Promise<void> {
    while (this.flushing !== undefined) await this.flushing;
  }

  private async flush(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, this.maxBatch);
        try {
          await this.writeBatch(batch);
        } catch (error) {
          for (const p of batch) p.reject(error); // a call already settled ignores this
        }
      }
    } finally {
      this.flushing = undefined;
    }
  }
}
