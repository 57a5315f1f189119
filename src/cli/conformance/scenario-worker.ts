/**
 * The body of a conformance scenario's worker, as the oracle's workers behave: it exits when
 * the script says so, and when its supervisor asks it to stop it exits, exits later, exits
 * with another reason or hangs, per its spec. Its own module so that a remote child (in a thread
 * or a child process) can run it too.
 */
import { isExit, type ExitReason, type ProcessContext } from '../../runtime/index.ts';

export interface WorkerScript {
  readonly on_shutdown?: 'exit' | 'hang' | { readonly delay_ms: number } | { readonly exit_with: unknown } | undefined;
}

/** The message an `exit` action sends (plain data, so it can cross to another thread). */
export interface ScriptExit {
  readonly scriptExit: ExitReason;
}

export function isScriptExit(m: unknown): m is ScriptExit {
  return typeof m === 'object' && m !== null && 'scriptExit' in m;
}

export default async function scenarioWorker(ctx: ProcessContext, spec: WorkerScript): Promise<void> {
  for (;;) {
    const m = await ctx.receive();
    if (isScriptExit(m)) ctx.exit(m.scriptExit);
    if (isExit(m) && m.from === ctx.parent) {
      const how = spec.on_shutdown ?? 'exit';
      if (how === 'exit') ctx.exit(m.reason);
      if (how === 'hang') await ctx.receive(() => false);
      if (typeof how === 'object' && 'delay_ms' in how) {
        await ctx.sleep(how.delay_ms);
        ctx.exit(m.reason);
      }
      if (typeof how === 'object' && 'exit_with' in how) ctx.exit((how.exit_with ?? 'normal') as ExitReason);
    }
  }
}
