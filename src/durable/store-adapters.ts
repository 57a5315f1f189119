/**
 * The store behind two resilience policies: `StoreQuarantineStore` persists poison-quarantine
 * records (F11), so a quarantined input stays quarantined across restarts and is listed and
 * released from any process (or `warden quarantine`); `StoreSpawnKeyStore` holds spawn-guard
 * keys as the store's key leases, with expiry on the injected clock (F12), so two processes on one database never
 * run the same logical task at once, and a crashed holder's key frees itself when it expires.
 * Each asks only for the part of the store it uses.
 */
import { realClock, type Clock } from '../runtime/index.ts';
import type { QuarantineRecord, QuarantineStore, SpawnKeyStore } from '../resilience/index.ts';
import type { Json, KeyLeaseStore, QuarantineRecordStore } from '../store/index.ts';

export class StoreQuarantineStore implements QuarantineStore {
  private readonly store: QuarantineRecordStore;
  /** Which quarantine's records these are (one table holds them all). */
  readonly namespace: string;

  constructor(store: QuarantineRecordStore, namespace = 'quarantine') {
    this.store = store;
    this.namespace = namespace;
  }

  async get(key: string): Promise<QuarantineRecord | undefined> {
    return (await this.store.getQuarantine(this.namespace, key)) as QuarantineRecord | undefined;
  }

  async put(record: QuarantineRecord): Promise<void> {
    await this.store.putQuarantine(this.namespace, record.key, record as unknown as Json);
  }

  delete(key: string): Promise<boolean> {
    return this.store.deleteQuarantine(this.namespace, key);
  }

  async list(): Promise<readonly QuarantineRecord[]> {
    return (await this.store.listQuarantine(this.namespace)).map((r) => r.record as unknown as QuarantineRecord);
  }
}

export class StoreSpawnKeyStore implements SpawnKeyStore {
  private readonly store: KeyLeaseStore;
  private readonly clock: Clock;

  constructor(store: KeyLeaseStore, clock: Clock = realClock) {
    this.store = store;
    this.clock = clock;
  }

  claim(key: string, owner: string, expiresAt: number): Promise<boolean> {
    return this.store.claimKeyLease(`spawn:${key}`, owner, expiresAt, this.clock.now());
  }

  async release(key: string, owner: string): Promise<void> {
    await this.store.releaseKeyLease(`spawn:${key}`, owner);
  }
}
