/**
 * Test support (`warden/testing`), for Warden's own tests and for yours. It imports no test
 * runner: use it from vitest, node:test or anything else.
 *
 * - **Time**: the `VirtualClock` that tests advance instead of sleeping, `settle()` to let the
 *   microtask queue drain, and `seededRandom`, so timeouts, windows, backoff and chaos replay
 *   exactly.
 * - **Waiting on I/O**: `waitFor(condition, what)` resolves once a condition holds, and fails
 *   past its deadline with `WaitTimeoutError` naming what it waited for.
 * - **Stores**: `withStores()` is the store matrix (SQLite in a temp file always; Postgres on a
 *   fresh schema when `WARDEN_TEST_DATABASE_URL` is set; a failure, not a skip, when `CI` is set
 *   and it is not); `describeStores` makes one suite per store.
 * - **Durable runs**: `startDurableHarness()`: a fresh store, a virtual clock, recorded events,
 *   hosts closed for you, and `restart()` to reopen the store as a restarted process would.
 * - **Models**: `startSimHarness()`: the simulated model server (and the chaos proxy, given
 *   rules), adapters and clients over the official SDKs pointed at it, on a virtual clock.
 *
 * ```ts
 * import { withStores, waitFor } from 'warden/testing';
 *
 * for (const c of withStores()) {
 *   if (c.skip !== false) continue;            // Postgres without WARDEN_TEST_DATABASE_URL
 *   const t = await c.open();                  // a fresh store of this kind
 *   await t.store.createRun({ id: 'r1', name: 'demo', input: null, traceId: 't', at: 0 });
 *   await waitFor(async () => (await t.store.getRun('r1')) !== undefined, 'run r1 is stored');
 *   await t.cleanup();                         // closed, and the file or schema removed
 * }
 * ```
 */
export { VirtualClock, settle, seededRandom } from '../runtime/index.ts';
export type { Random } from '../runtime/index.ts';
export { waitFor, WaitTimeoutError, WAIT_FOR_DEFAULTS } from './wait-for.ts';
export type { WaitForOptions } from './wait-for.ts';
export { recordEvents } from './event-log.ts';
export { thrownBy } from './thrown-by.ts';
export type { EventLog } from './event-log.ts';
export { withStores, storeCase, describeStores, TestDatabaseError } from './store-matrix.ts';
export type { StoreCase, TestStore, TestStoreKind, TestStoreLocation, StoreMatrixOptions, DescribeFunction } from './store-matrix.ts';
export { startDurableHarness } from './durable-harness.ts';
export type { DurableHarness, DurableHarnessOptions } from './durable-harness.ts';
export { startSimHarness, SIM_MODEL_PRICING } from './sim-harness.ts';
export type { SimHarness, SimHarnessOptions } from './sim-harness.ts';
