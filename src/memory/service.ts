/**
 * The memory service: a Warden server process that owns one memory graph, so it can run under a
 * supervisor like any other child. Its `init` opens the graph (and repairs it); a failure of the
 * backend itself (the file cannot be written, the store is unreachable) crashes it, and its
 * supervisor starts it again, which reads and repairs the graph again: "let it crash".
 * Refused calls (bad input, a missing entity) are answered and the service keeps running, and so
 * are writes that fail because the disk is full (`MemoryDiskFullError`, `StoreFullError`): the
 * service goes on serving reads, and takes writes again once there is room.
 *
 * Calls are `{ kind: 'write', op }` and `{ kind: 'read', op }`; each is handed to the graph
 * without waiting (the graph serialises writes and group-commits them), and answered with
 * `{ ok: true, value }` or `{ ok: false, error }` when it is done.
 *
 * `serviceAccess` is the client side: it follows the service across restarts through the
 * supervisor's events, and retries a call that never reached it (no process to call) once the
 * service is back, for at most `restartWaitMs`.
 */
import {
  CallTargetExitedError,
  Crash,
  isWardenError,
  noreply,
  stop,
  type Pid,
  type ProcessContext,
  type Runtime,
  type ServerBehaviour,
} from '../runtime/index.ts';
import { server, whichChildren, type ChildStart } from '../supervisor/index.ts';
import { moduleUrl } from '../isolation/index.ts';
import { isCallerError, isDiskFullError, MemoryUnavailableError } from './errors.ts';
import type { MemoryAccess } from './mcp-server.ts';
import { openMemoryGraph, type MemoryBackendOptions } from './open.ts';
import type { KnowledgeGraph, MemoryGraph, ReadOp, WriteOp, WriteResult } from './types.ts';

export type MemoryServiceRequest =
  | { readonly kind: 'write'; readonly op: WriteOp }
  | { readonly kind: 'read'; readonly op: ReadOp }
  | { readonly kind: 'os_pid' };
export type MemoryServiceReply = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly error: unknown };

interface State {
  readonly graph: MemoryGraph;
}

class Fatal {
  readonly error: unknown;
  constructor(error: unknown) {
    this.error = error;
  }
}

/** Lines about repairs go to stderr: stdout may be an MCP stdio transport. */
const warnOnStderr = (message: string): void => {
  process.stderr.write(`warden memory: ${message}\n`);
};

/** The service's behaviour (also the default export of service-entry.ts, for `childProcess`). */
export const memoryServiceBehaviour: ServerBehaviour<State, MemoryBackendOptions> = {
  trapExits: true,
  async init(ctx: ProcessContext, backend: MemoryBackendOptions): Promise<State> {
    const graph = await openMemoryGraph(backend, { events: ctx.runtime.events, clock: ctx.clock, warn: warnOnStderr });
    return { graph };
  },
  handleCall(request, from, state, ctx) {
    const req = request as MemoryServiceRequest;
    if (req.kind === 'os_pid') {
      ctx.reply(from, { ok: true, value: process.pid });
      return noreply(state);
    }
    const work: Promise<unknown> = req.kind === 'write' ? state.graph.write(req.op as never) : state.graph.read(req.op);
    work.then(
      (value) => {
        if (ctx.isAlive) ctx.reply(from, { ok: true, value } satisfies MemoryServiceReply);
      },
      (error: unknown) => {
        if (!ctx.isAlive) return;
        ctx.reply(from, { ok: false, error } satisfies MemoryServiceReply);
        // A full disk is not the graph's fault, and a restart would not make room: answer and go on.
        if (!isCallerError(error) && !isDiskFullError(error)) ctx.send(ctx.self, new Fatal(error));
      },
    );
    return noreply(state);
  },
  handleInfo(message, state) {
    if (message instanceof Fatal) return stop(new Crash(message.error), state);
    return state;
  },
  async terminate(_reason, state) {
    await state.graph.close();
  },
};

/**
 * A supervisor child running the memory service inline (in this event loop). For a child in its
 * own OS process use `childProcess(MEMORY_SERVICE_MODULE, { arg: backend })` from warden/isolation.
 *
 * @example
 * ```ts
 * const root = await startSupervisor(rt, {
 *   strategy: 'one_for_one',
 *   children: [{ id: 'memory', start: memoryService({ file: './memory.jsonl' }) }],
 * });
 * ```
 */
export function memoryService(backend: MemoryBackendOptions): ChildStart {
  return server(memoryServiceBehaviour, backend);
}

/** The module whose default export is the service, to run it in a `childProcess` or a `thread`. */
export const MEMORY_SERVICE_MODULE = moduleUrl('./service-entry.ts', import.meta.url);

export interface ServiceAccessOptions {
  /** Answer within this long or fail the call with `CallTimeoutError`. @default 60_000 */
  readonly timeoutMs?: number;
  /** How long to wait for the service to be back when it is being restarted. @default 10_000 */
  readonly restartWaitMs?: number;
}

export const SERVICE_ACCESS_DEFAULTS = { timeoutMs: 60_000, restartWaitMs: 10_000 } as const;

/**
 * A {@link MemoryAccess} that calls the service started as child `childId` of supervisor `sup`.
 * `dispose()` stops following the supervisor's events.
 */
export async function serviceAccess(
  rt: Runtime,
  sup: Pid,
  childId: string,
  options: ServiceAccessOptions = {},
): Promise<MemoryAccess & { dispose(): void; servicePid(): Pid | undefined }> {
  const timeoutMs = options.timeoutMs ?? SERVICE_ACCESS_DEFAULTS.timeoutMs;
  const restartWaitMs = options.restartWaitMs ?? SERVICE_ACCESS_DEFAULTS.restartWaitMs;
  let pid: Pid | undefined;
  let waiters: Array<() => void> = [];
  const onStart = (e: { supervisor: Pid; childId: string; pid: Pid }): void => {
    if (e.supervisor !== sup || e.childId !== childId) return;
    pid = e.pid;
    const w = waiters;
    waiters = [];
    for (const f of w) f();
  };
  const subs = [
    rt.events.on('supervisor.child_started', onStart),
    rt.events.on('supervisor.child_restarted', onStart),
    rt.events.on('supervisor.child_exited', (e) => {
      if (e.supervisor === sup && e.childId === childId && e.pid === pid) pid = undefined;
    }),
  ];
  const found = (await whichChildren(rt, sup)).find((c) => c.id === childId)?.pid;
  if (found !== undefined && found !== 'restarting') pid = found;

  const waitForService = (): Promise<boolean> =>
    new Promise((resolve) => {
      if (pid !== undefined && rt.isAlive(pid)) return resolve(true);
      const timer = rt.clock.setTimer(restartWaitMs, () => {
        waiters = waiters.filter((w) => w !== ready);
        resolve(false);
      });
      const ready = (): void => {
        timer.cancel();
        resolve(true);
      };
      waiters.push(ready);
    });

  const call = async (request: MemoryServiceRequest): Promise<unknown> => {
    for (let attempt = 0; ; attempt++) {
      if (pid === undefined || !rt.isAlive(pid)) {
        if (!(await waitForService())) throw new MemoryUnavailableError(`the memory service did not come back within ${restartWaitMs} ms`);
      }
      let reply: MemoryServiceReply;
      try {
        reply = await rt.call<MemoryServiceReply>(pid!, request, { timeoutMs });
      } catch (e) {
        if (e instanceof CallTargetExitedError || isWardenError(e, 'CALL_TARGET_EXITED')) {
          const reason = (e as CallTargetExitedError).reason;
          if (reason === 'noproc' && attempt < 3) continue; // it never got the call: safe to send again
          throw new MemoryUnavailableError('the memory service stopped while handling the call; it may or may not have been applied', { cause: e });
        }
        throw e;
      }
      if (reply.ok) return reply.value;
      throw reply.error;
    }
  };

  return {
    write: (op) => call({ kind: 'write', op }) as Promise<WriteResult>,
    read: (op) => call({ kind: 'read', op }) as Promise<KnowledgeGraph>,
    servicePid: () => pid,
    dispose: () => {
      for (const s of subs) s.dispose();
    },
  };
}

/** The module of a whole memory server (graph and HTTP front), to run it in a `childProcess`. */
export const MEMORY_SERVER_MODULE = moduleUrl('./server-entry.ts', import.meta.url);
