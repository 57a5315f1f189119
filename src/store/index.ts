/**
 * Warden's persistence (`warden/store`): one small interface shaped around durable runs, on
 * SQLite (embedded default, `./.warden/warden.db`, WAL, `synchronous=FULL`) or Postgres
 * (`WARDEN_DATABASE_URL=postgres://...`).
 *
 * ```ts
 * import { openStore } from 'warden/store';
 *
 * const store = await openStore();              // migrations applied; a newer schema is refused
 * const runs = await store.listRuns({ status: 'suspended' });
 * await store.close();
 * ```
 *
 * Every method is one transaction; writes on behalf of a run are fenced by the run's owner
 * epoch; journal appends are idempotent per (run, sequence) and group-committed. Errors:
 * `InvalidStoreLocationError` (a location that names no database: another URL scheme, an
 * unexpanded `${VAR}`, a directory; nothing is created), `SchemaTooNewError`, `StoreCorruptError`
 * (the file is left untouched), `StoreUnavailableError`, `StoreFullError` (the disk is full: the
 * write was not made, reads go on), `JournalConflictError`, and the runtime's `FencedError`.
 */
export { openStore, storeLocation, isPostgresUrl } from './open.ts';
export type { OpenStoreOptions } from './open.ts';
export { resolveStoreLocation, InvalidStoreLocationError } from './location.ts';
export type { StoreTarget, StoreLocationOptions } from './location.ts';
export { openSqliteStore, checkSqliteFile, DEFAULT_SQLITE_PATH } from './sqlite.ts';
export type { SqliteStoreOptions } from './sqlite.ts';
export { openPostgresStore } from './postgres.ts';
export type { PostgresStoreOptions } from './postgres.ts';
export { SCHEMA_VERSION } from './migrations.ts';
export { SchemaTooNewError, StoreCorruptError, StoreUnavailableError, StoreFullError, JournalConflictError, UnreadableRowError, redactUrl } from './errors.ts';
export { RUN_STATUSES } from './run-store.ts';
export { DEAD_LETTER_STATUSES } from './dead-letter-store.ts';
export { APPROVAL_STATUSES } from './approval-store.ts';
export type { Store, StoreInfo, Json, StoredError } from './types.ts';
export type {
  RunStore,
  RunStatus,
  RunRequest,
  RunRecord,
  NewRun,
  ClaimRunOptions,
  ProcessIdentity,
  RunFilter,
  RunUpdate,
  CompactOptions,
} from './run-store.ts';
export type { JournalStore, JournalEntry, JournalKind, JournalOutcome } from './journal-store.ts';
export type { EffectStore, EffectRecord, EffectStatus } from './effect-store.ts';
export type { DeadLetterStore, DeadLetter, DeadLetterStatus, DeadLetterFilter, Attempt } from './dead-letter-store.ts';
export type { ApprovalStore, Approval, ApprovalStatus, ApprovalFilter, Decision } from './approval-store.ts';
export type { AuditStore, AuditEntry, AuditFilter } from './audit-store.ts';
export type { KeyLeaseStore, KeyLease } from './key-lease-store.ts';
export type { QuarantineRecordStore } from './quarantine-record-store.ts';
