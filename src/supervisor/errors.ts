/**
 * The supervisor layer's error codes, registered in `WardenErrorMap` so that
 * `isWardenError(e, 'SUPERVISOR_START_FAILED')` narrows `e` to `SupervisorStartError`. A bad spec
 * is the runtime's `InvalidSpecError` (`INVALID_SPEC`), naming the field and the value.
 *
 * | code | error | retryable |
 * |---|---|---|
 * | `SUPERVISOR_START_FAILED` | {@link SupervisorStartError}: a child failed to start, or the spec factory's spec is invalid | no |
 */
import type { SupervisorStartError } from './supervisor-process.ts';

declare module '../runtime/index.ts' {
  interface WardenErrorMap {
    SupervisorStartError: SupervisorStartError;
  }
}
