/**
 * Effects: a side effect's intent is recorded (fenced) before it runs and marked done with the
 * journal entry of its outcome (`appendJournal(entry, epoch, key)`), so a crash in between
 * leaves an `intent` the next owner reconciles instead of repeating the effect. Keyed by the
 * effect's idempotency key.
 */
import type { Json } from './types.ts';

export type EffectStatus = 'intent' | 'done' | 'not_done';

export interface EffectRecord {
  readonly key: string;
  readonly runId: string;
  readonly seq: number;
  readonly name: string;
  readonly status: EffectStatus;
  readonly input?: Json;
  readonly intentAt: number;
  readonly doneAt?: number;
}

export interface EffectStore {
  /**
   * Record an effect's intent; fenced. Returns the existing record if the key was recorded
   * before, unless that record is `not_done` for the same run: then it becomes an intent again.
   */
  recordEffectIntent(effect: Omit<EffectRecord, 'status' | 'doneAt'>, epoch: number): Promise<EffectRecord>;
  getEffect(key: string): Promise<EffectRecord | undefined>;
  /** A run's effects in sequence order. */
  listEffects(runId: string): Promise<readonly EffectRecord[]>;
  /** Resolve an uncertain effect (an `intent`) from outside (a person checked): `done` or `not_done`. False if it was not an intent. */
  resolveEffect(key: string, status: 'done' | 'not_done', at: number): Promise<boolean>;
}
