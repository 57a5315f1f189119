/**
 * Supervisor API results as the oracle writes them in a trace: `ok`, `ignored` (a start that
 * returned `ignore`), `{ error: reason }` for a child that failed to start, or `{ error: what }`
 * with OTP's words (`simple_one_for_one` where Warden says `dynamic`).
 */
import { reasonToJSON, type ExitReason, type Term } from '../../runtime/index.ts';
import type { startChild } from '../../supervisor/index.ts';

/** A start_child result as the oracle normalizes it. */
export function startResult(r: Awaited<ReturnType<typeof startChild>>): Term {
  if (r.ok) return r.pid === undefined ? 'ignored' : 'ok';
  if (r.error === 'start_failed') return { error: reasonToJSON(r.reason) };
  return { error: r.error };
}

/** A terminate/restart/delete result as the oracle normalizes it. */
export function opResult(r: { readonly ok: boolean; readonly error?: string; readonly pid?: unknown; readonly reason?: ExitReason }): Term {
  if (r.ok) return 'pid' in r && r.pid === undefined ? 'ignored' : 'ok';
  if (r.error === 'start_failed') return { error: reasonToJSON(r.reason as ExitReason) };
  return { error: r.error === 'dynamic' ? 'simple_one_for_one' : (r.error as string) };
}
