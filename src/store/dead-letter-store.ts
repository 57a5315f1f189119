/**
 * Dead letters: work that failed for good (a run, a queue item), kept with its input, its error
 * and every attempt, until someone replays or discards it. A letter moves between statuses only
 * from the ones a caller names (`updateDeadLetter(id, from, ...)`), so two processes never both
 * replay it.
 */
import type { Json, StoredError } from './types.ts';

export type DeadLetterStatus = 'pending' | 'replay_requested' | 'replayed' | 'discarded';
export const DEAD_LETTER_STATUSES: readonly DeadLetterStatus[] = ['pending', 'replay_requested', 'replayed', 'discarded'];

/** One failed attempt, as it is stored. */
export interface Attempt {
  readonly attempt: number;
  readonly at: number;
  readonly error: StoredError;
}

export interface DeadLetter {
  readonly id: string;
  /** What produced it: a run definition's name, a queue's name, ... */
  readonly source: string;
  readonly runId?: string;
  readonly input: Json;
  readonly error: StoredError;
  readonly attempts: readonly Attempt[];
  readonly traceId: string;
  readonly status: DeadLetterStatus;
  /** The input to replay with, when a replay with edited input was requested. */
  readonly replayInput?: Json;
  /** What the replay became (a run id). */
  readonly replayedAs?: string;
  readonly createdAt: number;
  readonly updatedAt: number;
}

export interface DeadLetterFilter {
  readonly status?: DeadLetterStatus;
  readonly source?: string;
  /** @default 1000 */
  readonly limit?: number;
}

export interface DeadLetterStore {
  /** Add a letter as `pending`; returns the existing one if the id was added before. */
  addDeadLetter(letter: Omit<DeadLetter, 'status' | 'updatedAt'>): Promise<DeadLetter>;
  getDeadLetter(id: string): Promise<DeadLetter | undefined>;
  /** Oldest first. */
  listDeadLetters(filter?: DeadLetterFilter): Promise<readonly DeadLetter[]>;
  /**
   * Move a dead letter to `status` if it is in one of `from`; returns the updated letter, or
   * undefined if it does not exist or was in another status.
   */
  updateDeadLetter(
    id: string,
    from: readonly DeadLetterStatus[],
    patch: { readonly status: DeadLetterStatus; readonly replayInput?: Json; readonly replayedAs?: string },
    at: number,
  ): Promise<DeadLetter | undefined>;
}
