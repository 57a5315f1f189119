/**
 * The isolation layer's error codes, registered in `WardenErrorMap` so that
 * `isWardenError(e, 'UNSERIALIZABLE_MESSAGE')` narrows `e` to `UnserializableMessageError`.
 * `RemoteWardenError` is not registered: it carries the code of the error thrown on the other
 * side, so `isWardenError(e, 'BUDGET_EXCEEDED')` holds for it as for the original.
 *
 * | code | error | retryable |
 * |---|---|---|
 * | `UNSERIALIZABLE_MESSAGE` | {@link UnserializableMessageError}: a function or symbol in a message for another thread or process | no |
 */
import type { UnserializableMessageError } from './codec.ts';

declare module '../runtime/index.ts' {
  interface WardenErrorMap {
    UnserializableMessageError: UnserializableMessageError;
  }
}
