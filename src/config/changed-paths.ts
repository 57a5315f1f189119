/**
 * Which fields differ between two plain JSON-like values, as dotted paths (`policies.retry.maxAttempts`).
 * Objects are compared key by key down to their leaves; arrays and other values are compared
 * whole (an array that changed is reported by its own path). Used to say what a config change
 * changed, and to wake only the watchers whose part of the config changed.
 */

export function changedPaths(previous: unknown, next: unknown, prefix = ''): string[] {
  if (isPlainObject(previous) && isPlainObject(next)) {
    const out: string[] = [];
    const keys = new Set([...Object.keys(previous), ...Object.keys(next)]);
    for (const key of keys) out.push(...changedPaths(previous[key], next[key], prefix === '' ? key : `${prefix}.${key}`));
    return out;
  }
  return sameData(previous, next) ? [] : [prefix];
}

/** Equal as plain data. */
export function sameData(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => sameData(x, b[i]));
  if (isPlainObject(a) && isPlainObject(b)) {
    const ka = Object.keys(a);
    if (ka.length !== Object.keys(b).length) return false;
    return ka.every((k) => Object.hasOwn(b, k) && sameData(a[k], b[k]));
  }
  return false;
}

/** The value at a dotted path (`''` is the whole value); `undefined` where the path leaves the data. */
export function valueAtPath(value: unknown, path: string): unknown {
  if (path === '') return value;
  let v: unknown = value;
  for (const key of path.split('.')) {
    if (typeof v !== 'object' || v === null) return undefined;
    v = (v as Record<string, unknown>)[key];
  }
  return v;
}

/** Freeze a value and everything in it. */
export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}
