/**
 * Terms and exit reasons.
 *
 * Exit reasons follow Erlang: `'normal'`, `'shutdown'`, `{ shutdown: term }`, `'killed'`,
 * `'noproc'`, any other term, or a {@link Crash} that carries the value a process threw.
 * A term is plain JSON-like data (a string stands for an atom, a one-key object for a
 * tagged tuple such as `{shutdown, done}`), so reasons survive serialisation into traces,
 * journals and other threads unchanged.
 */

/** Plain data: the JSON-compatible values Warden uses for reasons and results. */
export type Term = string | number | boolean | null | readonly Term[] | { readonly [key: string]: Term };

/** Why a process ended: a term, possibly with crashes inside (e.g. `{ shutdown: [..., crash] }`). */
export type ExitReason = string | number | boolean | null | Crash | readonly ExitReason[] | { readonly [key: string]: ExitReason };

/**
 * A crash: the process body threw. `error` is the thrown value itself (not a copy), so a
 * typed error keeps its fields for whoever inspects the reason.
 */
export class Crash {
  readonly error: unknown;

  constructor(error: unknown) {
    this.error = error;
  }

  /** A short description: `Error: boom`, or the thrown value for non-errors. */
  describe(): string {
    const e = this.error;
    if (e instanceof Error) return `${e.name}: ${e.message}`;
    return showValue(e);
  }

  toJSON(): { error: { name: string; message: string; code?: string } } {
    const e = this.error;
    if (e instanceof Error) {
      const code = (e as { code?: unknown }).code;
      return {
        error: { name: e.name, message: e.message, ...(typeof code === 'string' ? { code } : {}) },
      };
    }
    return { error: { name: 'thrown', message: showValue(e) } };
  }

  toString(): string {
    return `crash(${this.describe()})`;
  }
}

/** True for `{ shutdown: term }`. */
export function isShutdownTuple(reason: ExitReason): boolean {
  return (
    typeof reason === 'object' &&
    reason !== null &&
    !(reason instanceof Crash) &&
    !Array.isArray(reason) &&
    Object.keys(reason).length === 1 &&
    Object.hasOwn(reason, 'shutdown')
  );
}

/**
 * True when a transient child ending with this reason is *not* restarted: `normal`,
 * `shutdown` or `{ shutdown: term }` (OTP's rule).
 */
export function isNormalExit(reason: ExitReason): boolean {
  return reason === 'normal' || reason === 'shutdown' || isShutdownTuple(reason);
}

/** Structural equality of two reasons (a Crash equals only itself). */
export function sameReason(a: ExitReason, b: ExitReason): boolean {
  if (a === b) return true;
  if (a instanceof Crash || b instanceof Crash) return false;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((x, i) => sameReason(x as ExitReason, b[i] as ExitReason));
  }
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  const ra = a as Record<string, ExitReason>;
  const rb = b as Record<string, ExitReason>;
  return ka.every((k) => Object.hasOwn(rb, k) && sameReason(ra[k] as ExitReason, rb[k] as ExitReason));
}

/** The reason as plain JSON data (every Crash inside becomes `{ error: {name, message} }`). */
export function reasonToJSON(reason: ExitReason): Term {
  if (reason instanceof Crash) return reason.toJSON();
  if (Array.isArray(reason)) return reason.map((r) => reasonToJSON(r as ExitReason));
  if (typeof reason === 'object' && reason !== null) {
    const out: Record<string, Term> = {};
    for (const [k, v] of Object.entries(reason)) out[k] = reasonToJSON(v as ExitReason);
    return out;
  }
  return reason;
}

/** A one-line rendering of a reason for messages and logs: atoms bare (`shutdown`), crashes as `crash(Error: boom)`. */
export function formatReason(reason: ExitReason): string {
  if (reason instanceof Crash) return reason.toString();
  if (typeof reason === 'string') return reason;
  return showValue(reason);
}

/** A short, safe rendering of any value for error messages (never throws, bounded length). */
export function showValue(value: unknown, maxLength = 120): string {
  let text: string;
  try {
    if (typeof value === 'string') text = JSON.stringify(value);
    else if (typeof value === 'function') text = `[function ${value.name || 'anonymous'}]`;
    else if (typeof value === 'bigint') text = `${value}n`;
    else if (typeof value === 'symbol') text = value.toString();
    else if (value === undefined) text = 'undefined';
    else if (value instanceof Error) text = `${value.name}: ${value.message}`;
    else if (typeof value === 'object' && value !== null && hasCustomToString(value)) text = String(value);
    else text = JSON.stringify(value) ?? String(value);
  } catch {
    text = Object.prototype.toString.call(value);
  }
  return text.length > maxLength ? `${text.slice(0, maxLength - 1)}…` : text;
}

function hasCustomToString(value: object): boolean {
  const proto = Object.getPrototypeOf(value) as object | null;
  return (
    proto !== null &&
    proto !== Object.prototype &&
    proto !== Array.prototype &&
    'toString' in value &&
    (value as { toString: unknown }).toString !== Object.prototype.toString
  );
}
