/**
 * The runtime's surface for the layers above it inside Warden, not for users: the contract
 * between the runtime and the isolation layer, which runs processes in another runtime (a worker
 * thread or OS process) and reaches them as remote processes. It is not listed in package.json's
 * `exports`, so `warden/runtime` users cannot import it; the `Runtime` methods that take these
 * types are marked internal and left out of the published declarations (`stripInternal`).
 *
 * Cross-folder imports go through a layer's `index.ts`, or through its `internal.ts` for what
 * only Warden's own higher layers may use.
 *
 * Also the helpers every layer shares: exhaustive switches, giving up a wait when a signal
 * aborts, and zod's issues in Warden's words (`parseWith`, `formatPath` and `issuesToErrors` are
 * public through `warden/resilience`, which re-exports them).
 */
export type { RemoteEndpoint, RemoteCallFrom } from './remote.ts';
export { assertNever } from './assert-never.ts';
export { raceAbort } from './race-abort.ts';
export { formatPath, issuesToErrors, parseWith, valueAt, zodIssues } from './zod-issues.ts';
