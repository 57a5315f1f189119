/**
 * The dead-letter queue: work that exhausted its retries, kept in the store with its input,
 * error, attempt history and trace id, to inspect, replay (with the same or an edited input) or
 * discard. A failed durable run lands here by itself (its source is the run definition's name,
 * and replaying it starts a new run of that definition); other work adds letters with `add`
 * and replays them with its own handler.
 *
 * Replays are at most once per letter: the letter moves to `replayed` in the same transaction
 * that checks it was still pending (or replay-requested), and a replayed run has the
 * deterministic id `replay-<letter id>`, so two processes replaying one letter start one run.
 */
import { realClock, type Clock, type EventBus } from '../runtime/index.ts';
import type { Attempt, AuditStore, DeadLetter, DeadLetterStatus, DeadLetterStore, Json, StoredError } from '../store/index.ts';
import { DurableStateError } from './errors.ts';
import { newId, newTraceId } from './ids.ts';
import { toJournalJson } from './json.ts';
import { toStoredError } from './stored-error.ts';

export interface DeadLetterInput {
  readonly source: string;
  readonly input: Json;
  readonly error: unknown;
  readonly attempts?: readonly Attempt[];
  readonly traceId?: string;
  readonly runId?: string;
}

/** Starts a replay of a run's letter; returns the new run id. Supplied by the host. */
export type RunReplayer = (letter: DeadLetter, input: Json) => Promise<string | undefined>;

export class DeadLetterQueue {
  private readonly store: DeadLetterStore & AuditStore;
  private readonly clock: Clock;
  private readonly bus: EventBus | undefined;
  private readonly replayRun: RunReplayer | undefined;

  constructor(store: DeadLetterStore & AuditStore, options: { clock?: Clock; bus?: EventBus; replayRun?: RunReplayer } = {}) {
    this.store = store;
    this.clock = options.clock ?? realClock;
    this.bus = options.bus;
    this.replayRun = options.replayRun;
  }

  /** Put work in the queue. The input must be JSON data. */
  async add(letter: DeadLetterInput): Promise<DeadLetter> {
    const checked = toJournalJson(letter.input);
    if ('problem' in checked) throw new DurableStateError(`dead letter from ${letter.source}`, `its input ${checked.problem.path} ${checked.problem.why}`);
    const stored: StoredError =
      letter.error !== null && typeof letter.error === 'object' && 'message' in letter.error && 'name' in letter.error && !(letter.error instanceof Error)
        ? (letter.error as StoredError)
        : toStoredError(letter.error);
    const added = await this.store.addDeadLetter({
      id: newId(),
      source: letter.source,
      input: letter.input,
      error: stored,
      attempts: letter.attempts ?? [],
      traceId: letter.traceId ?? newTraceId(),
      createdAt: this.clock.now(),
      ...(letter.runId === undefined ? {} : { runId: letter.runId }),
    });
    if (this.bus?.wants('dlq.added')) this.bus.emit({ type: 'dlq.added', id: added.id, source: added.source, runId: added.runId });
    return added;
  }

  list(filter: { status?: DeadLetterStatus; source?: string; limit?: number } = {}): Promise<readonly DeadLetter[]> {
    return this.store.listDeadLetters(filter);
  }

  get(id: string): Promise<DeadLetter | undefined> {
    return this.store.getDeadLetter(id);
  }

  /** Ask a host to replay it (what the CLI does); `input` replaces the original input. */
  async requestReplay(id: string, input?: Json): Promise<DeadLetter> {
    const updated = await this.store.updateDeadLetter(
      id,
      ['pending'],
      { status: 'replay_requested', ...(input === undefined ? {} : { replayInput: input }) },
      this.clock.now(),
    );
    if (updated === undefined) throw await this.notMovable(id, 'replay');
    return updated;
  }

  /**
   * Replay now: with `handler` for any letter, or (for a failed run's letter) by starting a new
   * run of its definition on this host. Resolves with the new run id (run letters) or the handler's
   * result.
   */
  async replay<T = unknown>(
    id: string,
    options: { input?: Json; handler?: (input: Json, letter: DeadLetter) => Promise<T> | T } = {},
  ): Promise<{ letter: DeadLetter; runId?: string; result?: T }> {
    const letter = await this.store.getDeadLetter(id);
    if (letter === undefined) throw new DurableStateError(`dead letter ${id}`, 'no such dead letter');
    if (letter.status !== 'pending' && letter.status !== 'replay_requested') throw await this.notMovable(id, 'replay');
    const input = options.input ?? letter.replayInput ?? letter.input;
    if (options.handler !== undefined) {
      const moved = await this.store.updateDeadLetter(
        id,
        ['pending', 'replay_requested'],
        { status: 'replayed', ...(options.input === undefined ? {} : { replayInput: options.input }) },
        this.clock.now(),
      );
      if (moved === undefined) throw await this.notMovable(id, 'replay');
      if (this.bus?.wants('dlq.replayed')) this.bus.emit({ type: 'dlq.replayed', id, runId: undefined });
      const result = await options.handler(input, moved);
      return { letter: moved, result };
    }
    if (letter.runId === undefined || this.replayRun === undefined) {
      throw new DurableStateError(`dead letter ${id}`, `it is not from a run this host can start (source "${letter.source}"); pass a handler`);
    }
    const runId = await this.replayRun(letter, input);
    if (runId === undefined) throw new DurableStateError(`dead letter ${id}`, `no run definition "${letter.source}" is registered on this host`);
    const moved = await this.store.updateDeadLetter(
      id,
      ['pending', 'replay_requested'],
      { status: 'replayed', replayedAs: runId, ...(options.input === undefined ? {} : { replayInput: options.input }) },
      this.clock.now(),
    );
    if (this.bus?.wants('dlq.replayed')) this.bus.emit({ type: 'dlq.replayed', id, runId });
    return { letter: moved ?? letter, runId };
  }

  /** Drop it (kept, marked discarded, with an audit entry). */
  async discard(id: string, options: { by?: string; reason?: string } = {}): Promise<DeadLetter> {
    const updated = await this.store.updateDeadLetter(id, ['pending', 'replay_requested'], { status: 'discarded' }, this.clock.now());
    if (updated === undefined) throw await this.notMovable(id, 'discard');
    await this.store.appendAudit({
      at: this.clock.now(),
      actor: options.by ?? 'api',
      action: 'dlq.discarded',
      subject: `dlq:${id}`,
      ...(options.reason === undefined ? {} : { reason: options.reason }),
    });
    if (this.bus?.wants('dlq.discarded')) this.bus.emit({ type: 'dlq.discarded', id });
    return updated;
  }

  private async notMovable(id: string, what: string): Promise<DurableStateError> {
    const letter = await this.store.getDeadLetter(id);
    if (letter === undefined) return new DurableStateError(`dead letter ${id}`, 'no such dead letter');
    return new DurableStateError(
      `dead letter ${id}`,
      `cannot ${what} it: it is ${letter.status}${letter.replayedAs === undefined ? '' : ` (as run ${letter.replayedAs})`}`,
    );
  }
}
