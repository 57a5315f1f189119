/**
 * The end of an exhaustive `switch`: `default: return assertNever(x)` makes the compiler check
 * that every variant of a union is handled (a new variant fails the build there), and throws if
 * a value from outside the type (bad data from disk or the wire) gets through at run time.
 */
import { showValue } from './terms.ts';

/** Throw for a value the type says cannot exist; the argument's type `never` is the compile-time check. */
export function assertNever(x: never): never {
  throw new Error(`unexpected value ${showValue(x)}`);
}
