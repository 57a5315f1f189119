/**
 * Secret redaction for everything the model layer says about a failure: error messages, event
 * payloads, logs. API keys given to an adapter are registered here and replaced wherever they
 * appear; strings that look like keys (`sk-...`, `Bearer ...`, `x-api-key: ...`) are masked
 * even when nobody registered them. Hand-written: a few regular expressions, no library needed.
 *
 * Every registered key is masked, whatever its length. A key of 6 characters or more is masked
 * wherever it occurs, even inside a longer word. A shorter one is masked where it stands as a
 * whole token (not next to a letter, digit, `_` or `-`), as it does wherever a key is written —
 * a header, a URL, a provider's "Incorrect API key provided: abc" — so that a 1-character key
 * does not mask that letter inside every word; a short key that is also a word (`a`, `ok`) is
 * still masked where that word stands alone, which errs on the safe side.
 */

const registered = new Set<string>();
/** One pass over the text for every registered key (rebuilt when a key is added). */
let secretPattern: RegExp | undefined;

/** The mask every secret is replaced with. */
export const REDACTED = '[redacted]';

/** Keys at least this long are masked anywhere; shorter ones only as whole tokens. */
export const SUBSTRING_SECRET_MIN_LENGTH = 6;

/** What may stand next to a short key that is still "the key" and not part of a longer token. */
const TOKEN_CHAR = '[A-Za-z0-9_-]';

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Remember `secret` so that {@link redact} removes it everywhere (an empty or all-blank string is
 * ignored: it is no key, and masking it would mask nothing or every space).
 */
export function registerSecret(secret: string | undefined | null): void {
  if (typeof secret !== 'string' || secret.trim() === '' || registered.has(secret)) return;
  registered.add(secret);
  // Longest first, so a key that contains a shorter one is masked whole; one pass, and a mask
  // already there matches itself first, so redacting twice changes nothing (a key such as
  // `redacted` cannot mangle `[redacted]`).
  const parts = [...registered]
    .sort((a, b) => b.length - a.length)
    .map((k) => (k.length >= SUBSTRING_SECRET_MIN_LENGTH ? escapeRegExp(k) : `(?<!${TOKEN_CHAR})${escapeRegExp(k)}(?!${TOKEN_CHAR})`));
  secretPattern = new RegExp([escapeRegExp(REDACTED), ...parts].join('|'), 'g');
}

const PATTERNS: readonly RegExp[] = [
  /\bsk-[A-Za-z0-9_-]{6,}/g,
  /(\bBearer\s+)[A-Za-z0-9._~+/=-]{6,}/gi,
  /(\bx-api-key["']?\s*[:=]\s*["']?)[^\s"',}]{6,}/gi,
  /(\bapi[_-]?key["']?\s*[:=]\s*["']?)[^\s"',}]{6,}/gi,
];

/** `text` with every registered secret and key-looking string masked. */
export function redact(text: string): string {
  let out = secretPattern === undefined ? text : text.replace(secretPattern, REDACTED);
  for (const p of PATTERNS) out = out.replace(p, (_m, prefix: unknown) => `${typeof prefix === 'string' ? prefix : ''}${REDACTED}`);
  return out;
}

/** A JSON-safe, redacted summary of any thrown value, for events. */
export function describeError(error: unknown): { readonly name: string; readonly code?: string; readonly status?: number; readonly message: string } {
  if (typeof error !== 'object' || error === null) return { name: typeof error, message: redact(String(error)) };
  const e = error as { name?: unknown; code?: unknown; status?: unknown; message?: unknown };
  return {
    name: typeof e.name === 'string' ? e.name : 'Error',
    ...(typeof e.code === 'string' ? { code: e.code } : {}),
    ...(typeof e.status === 'number' ? { status: e.status } : {}),
    message: redact(typeof e.message === 'string' ? e.message : String(error)),
  };
}

/**
 * Redact, in place, an error an SDK threw: its `message`, `stack` and every string property
 * (some SDKs copy the provider's message into `apiMessage`), and the same in the provider's error
 * body, so that keeping it as a `cause` cannot leak a key that a server echoed back. Best effort:
 * properties that cannot be written are left alone.
 */
export function scrubError(error: unknown, depth = 0): void {
  if (typeof error !== 'object' || error === null || depth > 4) return;
  const e = error as Record<string, unknown>;
  const keys = new Set<string>(['message', 'stack', ...Object.keys(e)]);
  for (const key of keys) {
    const v = e[key];
    if (typeof v === 'string') {
      const clean = redact(v);
      if (clean === v) continue;
      const enumerable = Object.getOwnPropertyDescriptor(e, key)?.enumerable ?? false;
      try {
        Object.defineProperty(e, key, { value: clean, writable: true, configurable: true, enumerable });
      } catch {
        // read-only: leave it
      }
    } else if (typeof v === 'object' && v !== null && (key === 'error' || key === 'cause' || key === 'body')) {
      scrubError(v, depth + 1);
    }
  }
}
