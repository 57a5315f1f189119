/**
 * L1 liveness: the process and its event loop answer. The health keeps one small Warden process
 * (labelled `health:<name>`) that answers a ping; liveness is that process answering a
 * call within `livenessTimeoutMs`. An HTTP request to `/healthz` being answered at all shows the
 * event loop turns; the ping shows the runtime's scheduler and mailboxes do too. A dead runtime
 * (`killAll`), a crashed ping process or a mailbox that no longer drains fails it.
 */
import { isCall, type Pid, type Runtime } from '../runtime/index.ts';
import { withDeadline } from './deadline.ts';
import type { HealthCheckResult } from './report.ts';

const PING = Symbol.for('warden.health.ping');

/** Spawn the ping process; it lives until the health stops. */
export function spawnPinger(runtime: Runtime, name: string): Pid {
  return runtime.spawn(
    async (ctx) => {
      for (;;) {
        const m = await ctx.receive(isCall);
        ctx.reply(m.from, m.request === PING ? 'pong' : undefined);
      }
    },
    undefined,
    { label: `health:${name}` },
  );
}

export async function checkPinger(runtime: Runtime, pid: Pid, timeoutMs: number): Promise<HealthCheckResult> {
  const outcome = await withDeadline(runtime.clock, timeoutMs, () => runtime.call(pid, PING, { timeoutMs }));
  if (!outcome.ok) return { name: 'runtime', ok: false, durationMs: outcome.durationMs, error: outcome.error };
  return outcome.value === 'pong'
    ? { name: 'runtime', ok: true, durationMs: outcome.durationMs }
    : { name: 'runtime', ok: false, durationMs: outcome.durationMs, error: 'the ping process answered wrongly' };
}
