/**
 * Quarantine records: opaque JSON kept by namespace and key, for the resilience layer's poison
 * quarantine (durable's `StoreQuarantineStore` gives it its `QuarantineStore` over this), so a
 * quarantined input stays quarantined across restarts and is listed and released from any
 * process. The store does not read the records.
 */
import type { Json } from './types.ts';

export interface QuarantineRecordStore {
  getQuarantine(namespace: string, key: string): Promise<Json | undefined>;
  /** Write the record, replacing any under the same namespace and key. */
  putQuarantine(namespace: string, key: string, record: Json): Promise<void>;
  /** False if there was no such record. */
  deleteQuarantine(namespace: string, key: string): Promise<boolean>;
  /** One namespace's records, or every namespace's; by namespace, then key. */
  listQuarantine(namespace?: string): Promise<readonly { readonly namespace: string; readonly key: string; readonly record: Json }[]>;
}
