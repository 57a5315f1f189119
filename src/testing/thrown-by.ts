/**
 * `thrownBy(fn)`: what `fn` throws (`undefined` if it returns), so that a test can assert on an
 * error's code and fields with the Warden error guards rather than on its message.
 */

/** Call `fn`; the value it throws, or `undefined` if it returns normally. */
export function thrownBy(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  return undefined;
}
