/**
 * A stable identity for an input: canonical JSON (object keys sorted by UTF-16 code units, no
 * whitespace, JSON's own number and string forms, as in RFC 8785) hashed with SHA-256. Two
 * inputs that are equal as JSON get the same key in any process, on any machine, whatever the
 * order their keys were built in. Written here because it is a dozen lines over
 * `JSON.stringify` and `node:crypto`; the canonicalisation packages add nothing we need.
 *
 * Values JSON cannot represent are refused with an `InvalidSpecError` naming where they sit
 * (a function, a symbol, a bigint, a cycle), rather than being silently dropped, which would make
 * two different inputs collide. `undefined` object members are omitted, as JSON does; `toJSON()`
 * is honoured (a Date becomes its ISO string).
 */
import { createHash } from 'node:crypto';
import { InvalidSpecError } from '../runtime/index.ts';

/** The canonical JSON text of `value`. */
export function canonicalJson(value: unknown): string {
  return write(value, '$', new Set());
}

/** SHA-256 (hex) of the canonical JSON of `value`. */
export function stableHash(value: unknown): string {
  return createHash('sha256').update(canonicalJson(value)).digest('hex');
}

function write(value: unknown, path: string, seen: Set<object>): string {
  if (value !== null && typeof value === 'object' && typeof (value as { toJSON?: unknown }).toJSON === 'function') {
    value = (value as { toJSON(): unknown }).toJSON();
  }
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value)) throw new InvalidSpecError('stableHash', path, value, 'must be a finite number');
      return JSON.stringify(value);
    case 'object': {
      if (value === null) return 'null';
      if (seen.has(value)) throw new InvalidSpecError('stableHash', path, '[cycle]', 'must not refer back to itself');
      seen.add(value);
      let out: string;
      if (Array.isArray(value)) {
        out = `[${value.map((v, i) => (v === undefined ? 'null' : write(v, `${path}[${i}]`, seen))).join(',')}]`;
      } else {
        const o = value as Record<string, unknown>;
        const keys = Object.keys(o)
          .filter((k) => o[k] !== undefined)
          .sort();
        out = `{${keys.map((k) => `${JSON.stringify(k)}:${write(o[k], `${path}.${k}`, seen)}`).join(',')}}`;
      }
      seen.delete(value);
      return out;
    }
    default:
      throw new InvalidSpecError('stableHash', path, value, 'must be plain JSON data');
  }
}
