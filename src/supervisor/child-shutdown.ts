/**
 * Shutting children down, exactly as OTP does.
 *
 * One child (`shutdownChild`): monitor it, send `shutdown` (or `kill` for `brutal_kill`), wait
 * for its DOWN, and after the `shutdown` timeout send `kill` and wait again. The wait is on a
 * *monitor*, not the link, so a child that unlinked itself cannot hang the supervisor. Then
 * unlink and flush: the EXIT message the link produced is removed from the supervisor's mailbox
 * (so it is never handled as a crash later) and, if present, its reason is the one reported.
 *
 * Many children (`shutdownInParallel`, for dynamic supervisors): every child is asked at once,
 * one deadline covers them all, and whoever is left at the deadline is killed.
 */
import { DownMessage, isExit, type ExitReason, type Pid, type ProcessContext } from '../runtime/index.ts';
import { isNormalExit } from '../runtime/index.ts';
import type { RestartType, Shutdown } from './spec.ts';

/** Remove the EXIT `pid`'s death left in our mailbox; its reason if there was one, else `fallback`. */
export function unlinkFlush(ctx: ProcessContext, pid: Pid, fallback: ExitReason): ExitReason {
  ctx.unlink(pid);
  const exit = ctx.tryReceive((m) => isExit(m) && m.from === pid);
  return isExit(exit) ? exit.reason : fallback;
}

/** Terminate one child per its shutdown spec; resolves with the reason it ended with. */
export async function shutdownChild(ctx: ProcessContext, pid: Pid, shutdown: Shutdown): Promise<ExitReason> {
  const ref = ctx.monitor(pid);
  const isDown = (m: unknown): m is DownMessage => m instanceof DownMessage && m.ref === ref;
  let down: DownMessage | undefined;
  if (shutdown === 'brutal_kill') {
    ctx.sendExit(pid, 'kill');
    down = await ctx.receive(isDown);
  } else {
    ctx.sendExit(pid, 'shutdown');
    down = await ctx.receive(isDown, { timeoutMs: shutdown === 'infinity' ? Infinity : shutdown });
    if (down === undefined) {
      ctx.sendExit(pid, 'kill');
      down = await ctx.receive(isDown);
    }
  }
  return unlinkFlush(ctx, pid, down.reason);
}

/** Terminate many children at once under one deadline; resolves with each child's reason. */
export async function shutdownInParallel(ctx: ProcessContext, pids: readonly Pid[], shutdown: Shutdown): Promise<Map<Pid, ExitReason>> {
  const pending = new Map<number, Pid>();
  const reasons = new Map<Pid, ExitReason>();
  for (const pid of pids) pending.set(ctx.monitor(pid), pid);
  for (const pid of pids) ctx.sendExit(pid, shutdown === 'brutal_kill' ? 'kill' : 'shutdown');
  const deadline = typeof shutdown === 'number' ? ctx.clock.now() + shutdown : Infinity;
  const isPending = (m: unknown): m is DownMessage => m instanceof DownMessage && pending.has(m.ref);
  let killed = false;
  while (pending.size > 0) {
    const timeoutMs = killed ? Infinity : Math.max(0, deadline - ctx.clock.now());
    const down = await ctx.receive(isPending, { timeoutMs });
    if (down === undefined) {
      for (const pid of pending.values()) ctx.sendExit(pid, 'kill');
      killed = true;
      continue;
    }
    pending.delete(down.ref);
    reasons.set(down.pid, unlinkFlush(ctx, down.pid, down.reason));
  }
  return reasons;
}

/** Whether a child shut down with `reason` ended the way it was asked to (else OTP reports a shutdown error). */
export function isExpectedShutdown(shutdown: Shutdown, restart: RestartType, reason: ExitReason): boolean {
  if (shutdown === 'brutal_kill' && reason === 'killed') return true;
  if (reason === 'shutdown') return true;
  return restart !== 'permanent' && isNormalExit(reason);
}
