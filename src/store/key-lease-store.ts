/**
 * Key leases: single-flight keys (the spawn guard's), each held by one owner until it expires on
 * the caller's clock or is released, so two processes on one database never run the same
 * logical task at once and a crashed holder's key frees itself.
 *
 * A key lease is not a run lease: a run lease (`RunRecord.leaseExpiresAt`, renewed with
 * `renewRunLeases`) is part of a run's ownership and comes with an epoch; a key lease has
 * neither run nor epoch. They live in different tables (key leases in `warden_leases`).
 */

/** A single-flight key held by `owner` until `expiresAt` (clock ms), unless released first. */
export interface KeyLease {
  readonly key: string;
  readonly owner: string;
  readonly expiresAt: number;
}

export interface KeyLeaseStore {
  /**
   * Claim `key` for `owner` until `expiresAt`, unless another owner holds an unexpired lease on it
   * at `now`. The owner already holding it extends it. True if `owner` now holds the key.
   */
  claimKeyLease(key: string, owner: string, expiresAt: number, now: number): Promise<boolean>;
  /** Release `key` if `owner` holds it; false if it did not. */
  releaseKeyLease(key: string, owner: string): Promise<boolean>;
  /** The key leases unexpired at `now`, by key. */
  listKeyLeases(now: number): Promise<readonly KeyLease[]>;
}
