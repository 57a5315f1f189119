/**
 * How deep a parsed JSON value nests, found without recursion. The simulated server refuses a
 * body nested deeper than {@link MAX_JSON_DEPTH} levels with a 400 naming where: everything it
 * does with a body afterwards (schema checks, token counts, values generated from a JSON Schema,
 * `GET /_sim/requests`) walks it recursively, and a body thousands of levels deep would
 * otherwise overflow the stack (a 500, and a records list that can no longer be written out).
 */

/** Deepest nesting the simulated server accepts in a request body (objects and arrays). */
export const MAX_JSON_DEPTH = 128;

interface Frame {
  readonly value: unknown;
  readonly depth: number;
  readonly parent: Frame | undefined;
  readonly key: string | number | undefined;
}

function pathOf(frame: Frame): (string | number)[] {
  const keys: (string | number)[] = [];
  for (let f: Frame | undefined = frame; f !== undefined && f.key !== undefined; f = f.parent) keys.push(f.key);
  return keys.reverse();
}

/** `a.b[0].c`, cut to its first `max` keys (with `…` when cut). */
export function formatJsonPath(keys: readonly (string | number)[], max = 6): string {
  let out = '';
  for (const k of keys.slice(0, max)) out += typeof k === 'number' ? `[${k}]` : out === '' ? k : `.${k}`;
  return keys.length > max ? `${out}…` : out;
}

/**
 * The path (keys from the top) of the first object or array nested deeper than `limit` levels
 * (the top value is level 1), or undefined when `value` stays within it.
 */
export function tooDeep(value: unknown, limit = MAX_JSON_DEPTH): (string | number)[] | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const stack: Frame[] = [{ value, depth: 1, parent: undefined, key: undefined }];
  while (stack.length > 0) {
    const frame = stack.pop() as Frame;
    if (frame.depth > limit) return pathOf(frame);
    const v = frame.value as object;
    const entries: [string | number, unknown][] = Array.isArray(v) ? v.map((c: unknown, i) => [i, c]) : Object.entries(v);
    for (let i = entries.length - 1; i >= 0; i--) {
      const [key, child] = entries[i] as [string | number, unknown];
      if (typeof child === 'object' && child !== null) stack.push({ value: child, depth: frame.depth + 1, parent: frame, key });
    }
  }
  return undefined;
}
