/**
 * The persistence interface of the durable layer: one `Store`, shaped around what durable runs
 * need, not a generic key-value store. It is made of one part per record kind, each in its own
 * file, so a layer can ask for only the part it uses:
 *
 * - {@link RunStore}: runs with an owner, an epoch and a run lease (run-store.ts);
 * - {@link JournalStore}: the journal keyed by (run, sequence) (journal-store.ts);
 * - {@link EffectStore}: effects recorded intent → done (effect-store.ts);
 * - {@link DeadLetterStore}: dead letters (dead-letter-store.ts);
 * - {@link ApprovalStore} and {@link AuditStore}: approvals and their audit trail;
 * - {@link KeyLeaseStore}: single-flight key leases (key-lease-store.ts);
 * - {@link QuarantineRecordStore}: quarantine records (quarantine-record-store.ts).
 *
 * Two implementations share one SQL core (sql-store.ts): SQLite (the embedded default) and
 * Postgres. Guarantees every implementation gives (the shared contract test checks each):
 * - every method is one transaction: it is applied whole or not at all;
 * - a method resolves only once its writes are durable (SQLite `synchronous=FULL`, Postgres
 *   `synchronous_commit` as the server has it, `on` by default);
 * - writes on behalf of a run carry the run's owner `epoch`; a write whose epoch is not the
 *   run's current one is refused with `FencedError` (code `FENCED`) inside the same
 *   transaction, so a superseded owner can never interleave writes with the new one;
 * - journal entries and effect intents are written idempotently: writing the same (run,
 *   sequence) twice keeps the first and returns it (a different step name at the same sequence
 *   is a `JournalConflictError`).
 *
 * Times are milliseconds on the caller's clock; the store never reads the time itself.
 */
import type { ApprovalStore } from './approval-store.ts';
import type { AuditStore } from './audit-store.ts';
import type { DeadLetterStore } from './dead-letter-store.ts';
import type { EffectStore } from './effect-store.ts';
import type { JournalStore } from './journal-store.ts';
import type { KeyLeaseStore } from './key-lease-store.ts';
import type { QuarantineRecordStore } from './quarantine-record-store.ts';
import type { RunStore } from './run-store.ts';

/** Plain JSON data, as it is stored. */
export type Json = null | boolean | number | string | readonly Json[] | { readonly [key: string]: Json };

/** A failure as it is stored: the fields of an error, never the error object. */
export interface StoredError {
  readonly name: string;
  readonly message: string;
  readonly code?: string;
  readonly [field: string]: unknown;
}

/** Where the data is. */
export interface StoreInfo {
  readonly kind: 'sqlite' | 'postgres';
  /** The file path, or the URL with any password hidden. */
  readonly location: string;
  readonly schemaVersion: number;
  /** The durability settings in force, read back from the database (`journal_mode=wal synchronous=full`). */
  readonly durability: string;
}

/** Every part of the store, on one database, opened by `openStore` (or either `open*Store`). */
export interface Store extends RunStore, JournalStore, EffectStore, DeadLetterStore, ApprovalStore, AuditStore, KeyLeaseStore, QuarantineRecordStore {
  readonly info: StoreInfo;
  /** Wait for the journal appends already made to be written, then close the database. */
  close(): Promise<void>;
}
