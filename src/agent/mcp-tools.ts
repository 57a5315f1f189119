/**
 * `mcpTools(options)`: the tools of an MCP server, for an agent's `tools`
 * (`tools: [{ search }, mcpTools({ command: 'npx', args: ['-y', '@modelcontextprotocol/server-memory'] })]`).
 *
 * The server. Over stdio it is an OS process the SDK's client spawns; over Streamable HTTP, a
 * session at a URL. Either way the connection lives in one of two places:
 * - supervised: `set.child()` is a supervisor's child spec `start` (placed before the agent, so the
 *   server is connected before the agent starts; `mcpChildren(agent)` gives the specs of all of an
 *   agent's servers). The child connects in its init (a server that
 *   cannot start fails the start with `MCP_SERVER_START_FAILED` naming the command), then waits on
 *   the connection; when the server exits on its own, or is killed because a call got no answer in
 *   `timeoutMs` (the watchdog on calls), the child crashes with `MCP_SERVER_EXITED` and its
 *   supervisor starts it again, within its restart intensity. Shutting the child down closes the
 *   server. Once a set has been supervised, calls wait (within `timeoutMs`) for the child to
 *   connect and never connect by themselves;
 * - unsupervised (`agent.run()`, or a set no tree runs): the first call connects; a connection
 *   that ended is made again by the next attempt; the last run using the set closes it, as does
 *   `set.close()`.
 *
 * The calls. Listing the tools and calling one go through retry ∘ breaker ∘ timeout, the policies
 * of model calls (see `MCP_TOOLS_DEFAULTS`): a crash or a hang fails the attempt with a retryable
 * error (`MCP_SERVER_EXITED`, `TIMEOUT`), the retry waits for the restarted server, and the agent
 * sees one call that took longer. A JSON-RPC error answer (an unknown tool, invalid arguments) or
 * an `isError` result is not the server failing: the model reads it as an error result and the
 * agent goes on, with nothing retried or counted by the breaker. A run journals each call like any
 * tool's (see tool-step.ts), so a resumed run does not call it again, and irreversible ones
 * (see mcp-agent-tools.ts) wait for an approval.
 *
 * Written here: the SDK gives a client and transports; restarting a server under a supervisor,
 * policies on its calls and journaling belong to Warden.
 */
import { isWardenError, type EventBus, type ProcessContext } from '../runtime/index.ts';
import { CircuitBreaker, Retry, Timeout, wrap, type Policy } from '../resilience/index.ts';
import type { Json } from '../store/index.ts';
import { workerWithInit, type ChildSpec, type ChildStart } from '../supervisor/index.ts';
import { McpServerExitedError } from './errors.ts';
import { agentTools, offered, type McpCaller } from './mcp-agent-tools.ts';
import { openMcpConnection, type McpConnection, type McpListedTool } from './mcp-connection.ts';
import { endpointText, resolveMcpTools, type McpToolsOptions, type ResolvedMcpTools } from './mcp-options.ts';
import { ToolFailure, type Tool } from './tool.ts';
import { asToolSource, isToolSource, type ToolSource } from './tool-source.ts';

/** An MCP server's tools, for an agent's `tools` (see the module doc). */
export interface McpToolSet extends ToolSource {
  /** The options, resolved. */
  readonly config: ResolvedMcpTools;
  /** The server as a supervisor's child (`{ id: 'files', start: files.child() }`), before the agents that use it. */
  child(): ChildStart;
  /** The tools the server offers now, as the agent would (connecting if unsupervised). */
  tools(signal?: AbortSignal): Promise<Record<string, Tool>>;
  /** Close an unsupervised connection (a supervised one closes with its child). */
  close(): Promise<void>;
}

/** JSON-RPC errors that mean the connection, not the request, failed. */
const CONNECTION_CLOSED = -32000;
const REQUEST_TIMEOUT = -32001;

/** True for a JSON-RPC error the server answered (the request was wrong, not the connection). */
function isAnsweredError(e: unknown): e is Error & { code: number } {
  const code = (e as { code?: unknown } | null)?.code;
  return e instanceof Error && e.name === 'McpError' && typeof code === 'number' && code !== CONNECTION_CLOSED && code !== REQUEST_TIMEOUT;
}

class McpTools {
  readonly config: ResolvedMcpTools;
  private readonly policy: Policy;
  private current: McpConnection | undefined;
  private connecting: Promise<McpConnection> | undefined;
  private supervised = false;
  /** Where `agent.mcp_*` events go: the configured bus, else the runtime's of the first child that ran. */
  private events: EventBus | undefined;
  private runs = 0;
  private readonly waiters = new Set<() => void>();

  constructor(config: ResolvedMcpTools) {
    this.config = config;
    this.events = config.bus;
    const wiring = { clock: config.clock, ...(config.bus === undefined ? {} : { bus: config.bus }) };
    const name = `mcp:${config.name}`;
    const parts: Policy[] = [];
    if (config.retry !== false) parts.push(new Retry({ ...config.retry, name, ...wiring, ...(config.random === undefined ? {} : { random: config.random }) }));
    if (config.breaker !== false) parts.push(new CircuitBreaker({ ...config.breaker, name, ...wiring }));
    parts.push(new Timeout({ timeoutMs: config.timeoutMs, name, ...wiring }));
    this.policy = wrap(...parts);
  }

  /** The server's tools, filtered by `include` and `exclude`. */
  async list(signal: AbortSignal): Promise<McpListedTool[]> {
    return offered(this.config, await this.call('tools/list', signal, (connection, s) => connection.listTools(s)));
  }

  /** Call a tool; a JSON-RPC error the server answered (an unknown tool, bad arguments) is a `ToolFailure` the model reads. */
  readonly callTool: McpCaller = async (serverTool, args, ctx) => {
    try {
      return await this.call(serverTool, ctx.signal, (connection, signal) => connection.callTool(serverTool, args, signal));
    } catch (e) {
      if (isAnsweredError(e)) throw new ToolFailure(e.message);
      throw e;
    }
  };

  /** `work` on the current connection, under the policies (see the module doc). */
  private async call<T>(what: string, outer: AbortSignal, work: (connection: McpConnection, signal: AbortSignal) => Promise<T>): Promise<T> {
    return this.policy.execute(async ({ signal }) => {
      const connection = await this.connection(signal);
      try {
        return await work(connection, signal);
      } catch (e) {
        if (isAnsweredError(e) || outer.aborted) throw e;
        if (signal.aborted && isWardenError(signal.reason, 'TIMEOUT')) {
          connection.kill(`no answer to ${what} within ${this.config.timeoutMs} ms: the server is taken to hang`);
          throw e;
        }
        // The connection failed under the call (a crash, a refused or dropped HTTP request).
        const why = connection.isOpen ? (e instanceof Error ? e.message : String(e)) : await connection.ended;
        if (connection.isOpen) connection.kill(`a call of ${what} failed: ${why}`);
        throw new McpServerExitedError(this.config.name, `during a call of ${what}: ${why}`, e);
      }
    }, outer);
  }

  /** The live connection: the child's when supervised (waiting for it), else one made now. */
  private async connection(signal: AbortSignal): Promise<McpConnection> {
    for (;;) {
      signal.throwIfAborted();
      const live = this.current;
      if (live?.isOpen === true) return live;
      if (!this.supervised) {
        this.connecting ??= this.connect(false).finally(() => {
          this.connecting = undefined;
        });
        return await abortable(this.connecting, signal);
      }
      await new Promise<void>((resolve, reject) => {
        const wake = (): void => {
          this.waiters.delete(wake);
          signal.removeEventListener('abort', stop);
          resolve();
        };
        const stop = (): void => {
          this.waiters.delete(wake);
          reject(signal.reason);
        };
        this.waiters.add(wake);
        signal.addEventListener('abort', stop, { once: true });
      });
    }
  }

  /** Connect, make it current, and forget it when it ends. */
  private async connect(supervised: boolean): Promise<McpConnection> {
    const { config } = this;
    const connection = await openMcpConnection(config.name, config.endpoint, config.clock, config.startTimeoutMs);
    this.current = connection;
    this.emit({ type: 'agent.mcp_connected', server: config.name, target: endpointText(config.endpoint), pid: connection.pid, supervised });
    void connection.ended.then((why) => {
      if (this.current === connection) this.current = undefined;
      this.emit({ type: 'agent.mcp_ended', server: config.name, why });
    });
    for (const wake of [...this.waiters]) wake();
    return connection;
  }

  private emit(event: Parameters<EventBus['emit']>[0]): void {
    const bus = this.events;
    if (bus?.wants(event.type)) bus.emit(event);
  }

  child(): ChildStart {
    return workerWithInit(
      async (ctx: ProcessContext) => {
        this.supervised = true;
        this.events ??= ctx.runtime.events;
        // A connection made before the set was supervised is not the child's; it is replaced.
        if (this.current !== undefined) this.current.kill('replaced by the supervised connection');
        return this.connect(true);
      },
      async (ctx: ProcessContext, connection: McpConnection) => {
        const close = (): void => void connection.close();
        ctx.signal.addEventListener('abort', close, { once: true });
        const why = await connection.ended;
        ctx.signal.removeEventListener('abort', close);
        if (ctx.isAlive && why !== 'closed') throw new McpServerExitedError(this.config.name, why);
      },
      { label: `mcp:${this.config.name}` },
    );
  }

  retain(): void {
    this.runs++;
  }

  async release(): Promise<void> {
    this.runs = Math.max(0, this.runs - 1);
    if (this.runs === 0 && !this.supervised) await this.close();
  }

  async close(): Promise<void> {
    if (this.supervised) return;
    const pending = this.connecting;
    const connection = this.current ?? (pending === undefined ? undefined : await pending.catch(() => undefined));
    this.current = undefined;
    await connection?.close();
  }
}

/** `promise`, or the signal's reason once it aborts. */
function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const stop = (): void => reject(signal.reason);
    signal.addEventListener('abort', stop, { once: true });
    promise.then(
      (v) => {
        signal.removeEventListener('abort', stop);
        resolve(v);
      },
      (e) => {
        signal.removeEventListener('abort', stop);
        reject(e);
      },
    );
  });
}

/**
 * The tools of an MCP server (see the module doc). Checks the options now: neither `command` nor
 * `url`, both, or a `url` that is not http(s) throw `InvalidSpecError` naming the field.
 *
 * @example
 * ```ts
 * const memory = mcpTools({ command: 'npx', args: ['-y', '@modelcontextprotocol/server-memory'], name: 'memory' });
 * const assistant = defineAgent({ name: 'assistant', model, tools: [{ search }, memory] });
 * const tree = supervisor({ strategy: 'one_for_one', children: [
 *   { id: 'memory', start: memory.child() },
 *   { id: 'assistant', start: agentChild(assistant, { store }) },
 * ] });
 * ```
 */
export function mcpTools(options: McpToolsOptions): McpToolSet {
  const set = new McpTools(resolveMcpTools(options));
  const toolsFrom = (listed: Json): ReadonlyMap<string, Tool> => agentTools(set.config, listed as unknown as McpListedTool[], set.callTool);
  return asToolSource({
    name: set.config.name,
    config: set.config,
    list: async (signal: AbortSignal) => (await set.list(signal)) as unknown as Json,
    toolsFrom,
    retain: () => set.retain(),
    release: () => set.release(),
    child: () => set.child(),
    tools: async (signal: AbortSignal = new AbortController().signal) => Object.fromEntries(toolsFrom((await set.list(signal)) as unknown as Json)),
    close: () => set.close(),
  });
}

/** True for a tool set `mcpTools` built. */
export function isMcpToolSet(v: unknown): v is McpToolSet {
  return isToolSource(v) && typeof (v as Partial<McpToolSet>).child === 'function' && typeof (v as Partial<McpToolSet>).config === 'object';
}

/**
 * The child specs of the MCP servers an agent's tools come from (ids `mcp:<server>`), to start
 * before the agent in its tree, so each server is a supervised child started with it. Put them
 * under `one_for_one` beside the agent: a server's restart then stays invisible to the agent
 * (under `rest_for_one` it would restart the agent too).
 *
 * @example
 * ```ts
 * const tree = supervisor({ strategy: 'one_for_one', children: [
 *   ...mcpChildren(assistant),
 *   { id: 'assistant', start: agentChild(assistant, { store }) },
 * ] });
 * ```
 */
export function mcpChildren(agent: { readonly config: { readonly toolSources: readonly ToolSource[] } }): ChildSpec[] {
  return agent.config.toolSources.filter(isMcpToolSet).map((set) => ({ id: `mcp:${set.name}`, start: set.child() }));
}
