/**
 * What a journal can hold: plain JSON data. `toJournalJson` checks a value before it is
 * written, so a step that returns something JSON would silently change (a Date, a Map, a class
 * instance, `NaN`, `undefined` inside an array, a cycle) fails at that step, naming it and the
 * place in the value, instead of replaying as something else later. `undefined` object members
 * are dropped, as JSON does; a top-level `undefined` (a step that returns nothing) is kept as
 * "no value". (Errors become journal data in stored-error.ts.)
 */

/** Why a value cannot be journaled, and where in it (`$.items[2].at`). */
export interface JsonProblem {
  readonly path: string;
  readonly why: string;
}

function check(value: unknown, path: string, seen: Set<object>): JsonProblem | undefined {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return undefined;
    case 'number':
      return Number.isFinite(value) ? undefined : { path, why: `is ${value} (JSON has no such number)` };
    case 'undefined':
      return { path, why: 'is undefined' };
    case 'bigint':
      return { path, why: 'is a bigint (store it as a string)' };
    case 'function':
      return { path, why: 'is a function' };
    case 'symbol':
      return { path, why: 'is a symbol' };
    case 'object': {
      if (value === null) return undefined;
      if (seen.has(value)) return { path, why: 'refers back to itself (a cycle)' };
      if (Array.isArray(value)) {
        seen.add(value);
        for (let i = 0; i < value.length; i++) {
          const p = check(value[i], `${path}[${i}]`, seen);
          if (p !== undefined) return p;
        }
        seen.delete(value);
        return undefined;
      }
      const proto = Object.getPrototypeOf(value) as unknown;
      if (proto !== Object.prototype && proto !== null) {
        const kind = (value as object).constructor?.name ?? 'object';
        const hint = value instanceof Date ? ' (use toISOString())' : value instanceof Map || value instanceof Set ? ' (use an array or plain object)' : '';
        return { path, why: `is a ${kind}, not plain data${hint}` };
      }
      seen.add(value);
      for (const [k, v] of Object.entries(value)) {
        if (v === undefined) continue;
        const p = check(v, `${path}.${k}`, seen);
        if (p !== undefined) return p;
      }
      seen.delete(value);
      return undefined;
    }
    default:
      return { path, why: 'is not plain data' };
  }
}

/** The JSON text of `value` (undefined for undefined), or the first problem that stops it. */
export function toJournalJson(value: unknown): { readonly json: string | undefined } | { readonly problem: JsonProblem } {
  if (value === undefined) return { json: undefined };
  const problem = check(value, '$', new Set());
  if (problem !== undefined) return { problem };
  return { json: JSON.stringify(value) };
}

/** Read a journaled value back. */
export function fromJournalJson(json: string | undefined): unknown {
  return json === undefined ? undefined : JSON.parse(json);
}
