/**
 * The driver: the root supervisor's parent, as the oracle's driver process is. It starts the
 * root, stops it with a `shutdown` exit signal when told `'stop'`, as OTP's parent would, and
 * records the root's end (`supervisor_exit`) when it sees the EXIT, once whatever else happens
 * at that instant has happened: the oracle's driver is one more process that must be scheduled
 * to log it. A root that fails to start is recorded the same way, with the start error's reason.
 */
import { isExit, reasonToJSON, type ExitReason, type Pid, type ProcessContext, type Runtime } from '../../runtime/index.ts';
import { startSupervisor, supervisor } from '../../supervisor/index.ts';
import { supervisorSpec, type SpecContext } from './child-specs.ts';
import type { ScenarioChild } from './scenario.ts';

export interface Driver {
  readonly pid: Pid;
  /** Why the root did not start, if it did not. */
  readonly startError: unknown;
  /** The root's end is in the trace. */
  readonly rootExitLogged: boolean;
}

/** True for the error `startSupervisor` throws when the root's start failed (recorded, not thrown). */
export function isSupervisorStartError(e: unknown): boolean {
  return typeof e === 'object' && e !== null && (e as { code?: unknown }).code === 'SUPERVISOR_START_FAILED';
}

/** Spawn the driver of `rootSpec` (registered in the tree as `ctx.tree.rootId`) in `rt`. */
export function spawnDriver(rt: Runtime, ctx: SpecContext, rootSpec: ScenarioChild): Driver {
  const { tree, trace } = ctx;
  const rootId = tree.rootId;
  const state: { startError: unknown; rootExitLogged: boolean } = { startError: undefined, rootExitLogged: false };
  const logRootExit = async (pctx: ProcessContext, reason: ExitReason): Promise<void> => {
    await pctx.sleep(0);
    trace.record({ event: 'supervisor_exit', id: rootId, reason: reasonToJSON(reason) });
    state.rootExitLogged = true;
  };
  const pid = rt.spawn(
    async (pctx: ProcessContext) => {
      try {
        await startSupervisor(
          pctx,
          supervisor(() => supervisorSpec(ctx, rootSpec, rootId), { name: rootId }),
        );
      } catch (e) {
        state.startError = e;
        tree.rootAlive = false;
        if (isSupervisorStartError(e)) await logRootExit(pctx, (e as { reason: ExitReason }).reason);
        return;
      }
      for (;;) {
        const m = await pctx.receive();
        if (m === 'stop' && tree.rootPid !== undefined) pctx.sendExit(tree.rootPid, 'shutdown');
        if (isExit(m) && m.from === tree.rootPid) await logRootExit(pctx, m.reason);
      }
    },
    undefined,
    { trapExits: true },
  );
  return {
    pid,
    get startError() {
      return state.startError;
    },
    get rootExitLogged() {
      return state.rootExitLogged;
    },
  };
}
