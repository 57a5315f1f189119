/**
 * Test support (`warden/testing`): the virtual clock that tests advance instead of sleeping,
 * `settle()` to let the microtask queue drain, and a seeded random source, so timeouts,
 * windows, backoff and chaos replay exactly.
 */
export { VirtualClock, settle, seededRandom } from '../runtime/index.ts';
export type { Random } from '../runtime/index.ts';
