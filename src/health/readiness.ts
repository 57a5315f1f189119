/**
 * L2 readiness: can this process serve? Each check runs under its own deadline on the clock,
 * all at once; the process is ready when every check passes. What each kind asks:
 * - `store`: a read (`getRun` of an id no run uses) resolves;
 * - `endpoint`: a GET answers with a status below 500 (a 401 or 404 still shows the server
 *   answers; a refused connection, a 5xx or no answer in time does not);
 * - `breakers`: at least one breaker lets calls through. Open (before its `openUntil`) and
 *   isolated breakers do not; an open breaker whose `openUntil` has passed does (its next call
 *   is a probe), and so does a half-open one; with no breakers at all the check passes;
 * - `check`: your function resolves with anything but `false`.
 */
import type { Clock } from '../runtime/index.ts';
import type { CircuitBreaker } from '../resilience/index.ts';
import { withDeadline } from './deadline.ts';
import { HEALTH_DEFAULTS, readinessName, type ReadinessCheck } from './options.ts';
import type { HealthCheckResult } from './report.ts';

/** The run id the store check reads; no run is ever created with it. */
export const READINESS_PROBE_RUN_ID = '__warden_health_readiness__';

export async function runReadinessCheck(check: ReadinessCheck, clock: Clock): Promise<HealthCheckResult> {
  const name = readinessName(check);
  if (check.kind === 'breakers') {
    const started = clock.now();
    const open = openBreakers(check.breakers, clock.now());
    const present = check.breakers.filter((b) => b !== undefined).length;
    const ok = present === 0 || open < present;
    return { name, ok, durationMs: clock.now() - started, ...(ok ? {} : { error: `all ${present} breakers are open` }) };
  }
  const timeoutMs = check.timeoutMs ?? HEALTH_DEFAULTS.readinessTimeoutMs;
  const outcome = await withDeadline(clock, timeoutMs, async (signal) => {
    switch (check.kind) {
      case 'store':
        await check.store.getRun(READINESS_PROBE_RUN_ID);
        return true;
      case 'endpoint': {
        const response = await fetch(check.url, { method: 'GET', ...(check.headers === undefined ? {} : { headers: check.headers }), signal });
        await response.body?.cancel();
        if (response.status >= 500) throw new Error(`answered ${response.status}`);
        return true;
      }
      case 'check':
        return (await check.check(signal)) !== false;
    }
  });
  if (!outcome.ok) return { name, ok: false, durationMs: outcome.durationMs, error: outcome.error };
  return outcome.value ? { name, ok: true, durationMs: outcome.durationMs } : { name, ok: false, durationMs: outcome.durationMs, error: 'answered false' };
}

function openBreakers(breakers: readonly (CircuitBreaker | undefined)[], now: number): number {
  let open = 0;
  for (const b of breakers) {
    if (b === undefined) continue;
    const s = b.state;
    if ((s.kind === 'open' && s.openUntil > now) || s.kind === 'isolated') open++;
  }
  return open;
}
