/**
 * Secret redaction for everything the model layer says about a failure: error messages, event
 * payloads, logs. API keys given to an adapter are registered here and replaced wherever they
 * appear; strings that look like keys (`sk-...`, `Bearer ...`, `x-api-key: ...`) are masked
 * even when nobody registered them. Hand-written: a few regular expressions, no library needed.
 */

const registered = new Set<string>();

/** The mask every secret is replaced with. */
export const REDACTED = '[redacted]';

/** Remember `secret` so that {@link redact} removes it everywhere (ignored if shorter than 6 characters). */
export function registerSecret(secret: string | undefined | null): void {
  if (typeof secret === 'string' && secret.length >= 6) registered.add(secret);
}

const PATTERNS: readonly RegExp[] = [
  /\bsk-[A-Za-z0-9_-]{6,}/g,
  /(\bBearer\s+)[A-Za-z0-9._~+/=-]{6,}/gi,
  /(\bx-api-key["']?\s*[:=]\s*["']?)[^\s"',}]{6,}/gi,
  /(\bapi[_-]?key["']?\s*[:=]\s*["']?)[^\s"',}]{6,}/gi,
];

/** `text` with every registered secret and key-looking string masked. */
export function redact(text: string): string {
  let out = text;
  for (const s of registered) if (out.includes(s)) out = out.split(s).join(REDACTED);
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
