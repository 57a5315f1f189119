/**
 * Errors through the journal, both ways. `toStoredError` turns whatever was thrown into data: a
 * Warden error's name, message, code and subject fields (its `toJSON()`, where that is JSON),
 * another error's name, message and any string `code` or numeric `status`, anything else as a
 * message. `errorFromJournal` rebuilds, on replay, the error a journaled failure was first thrown
 * into the run's code as: an `ApprovalDeniedError` or `NotSerializableError` with its fields, or
 * a `StepFailedError` carrying the stored failure and its attempts, so the run's code meets the
 * same failure on every replay.
 */
import type { Attempt, StoredError } from '../store/index.ts';
import { ApprovalDeniedError, NotSerializableError, StepFailedError } from './errors.ts';
import { toJournalJson } from './json.ts';

/** A thrown value as storable data: name, message, code and any JSON-safe subject fields. */
export function toStoredError(error: unknown): StoredError {
  if (error !== null && typeof error === 'object' && typeof (error as { toJSON?: unknown }).toJSON === 'function' && error instanceof Error) {
    const json = (error as unknown as { toJSON(): unknown }).toJSON();
    if (json !== null && typeof json === 'object') {
      const safe = toJournalJson(json);
      if ('json' in safe && safe.json !== undefined) return { name: error.name, message: error.message, ...(JSON.parse(safe.json) as object) } as StoredError;
    }
  }
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    const status = (error as { status?: unknown }).status;
    return {
      name: error.name,
      message: error.message,
      ...(typeof code === 'string' ? { code } : {}),
      ...(typeof status === 'number' ? { status } : {}),
    };
  }
  return { name: 'thrown', message: typeof error === 'string' ? error : (JSON.stringify(error) ?? String(error)) };
}

/** The error a journaled failure of step `name` at `seq` was first thrown into the run's code as. */
export function errorFromJournal(runId: string, name: string, seq: number, stored: StoredError): Error {
  switch (stored.code) {
    case 'APPROVAL_DENIED':
      return new ApprovalDeniedError(runId, String(stored.approvalId ?? `${runId}:${seq}`), name, String(stored.by ?? 'unknown'), String(stored.reason ?? ''));
    case 'NOT_SERIALIZABLE':
      return new NotSerializableError(runId, name, String(stored.path ?? '$'), String(stored.why ?? 'is not JSON'));
    default:
      return new StepFailedError(runId, name, seq, stored, (stored.attempts as Attempt[] | undefined) ?? []);
  }
}
