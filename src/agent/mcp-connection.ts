/**
 * One live connection to an MCP server through the SDK's `Client`: over stdio (the SDK spawns the
 * command as an OS process and speaks JSON-RPC on its stdin and stdout) or Streamable HTTP.
 *
 * - `openMcpConnection` connects and completes `initialize` within `startTimeoutMs` (on the
 *   injected clock), or throws `McpServerStartError` naming the command or URL and why: not found,
 *   exited first (with the tail of its stderr), no answer in time, refused.
 * - `ended` resolves, once, with why the connection is over: the server exited or was killed, its
 *   HTTP session failed, or `close()` was called. A supervisor's child waits on it (see
 *   mcp-tools.ts) and crashes when it ends on its own, so the server is started again.
 * - `kill(why)` ends it at once (SIGKILL for a process): used when a call got no answer in time,
 *   since a server that hangs on one request is not trusted with the next.
 *
 * Calls pass the SDK a request timeout it never reaches: the watchdog on calls is Warden's
 * `Timeout` policy, on the injected clock, not the SDK's own timer.
 */
import type { Clock } from '../runtime/index.ts';
import { McpServerStartError } from './errors.ts';
import { loadMcpClientSdk } from './mcp-sdk.ts';
import { endpointText, type McpEndpoint } from './mcp-options.ts';

/** A tool as the server lists it (JSON, so a list can be journaled and read back). */
export interface McpListedTool {
  readonly name: string;
  readonly title?: string;
  readonly description?: string;
  readonly inputSchema: Readonly<Record<string, unknown>>;
  readonly annotations?: { readonly destructiveHint?: boolean; readonly readOnlyHint?: boolean; readonly idempotentHint?: boolean };
}

/** A tool call's result as the server sent it. */
export interface McpCallResult {
  readonly content?: readonly {
    readonly type: string;
    readonly text?: string;
    readonly mimeType?: string;
    readonly uri?: string;
    readonly resource?: { readonly uri?: string; readonly text?: string };
  }[];
  readonly structuredContent?: Record<string, unknown>;
  readonly isError?: boolean;
}

/** Longer than any Warden timeout; the SDK's own timer must not be the one that fires. */
const SDK_REQUEST_TIMEOUT_MS = 2_000_000_000;
/** The end of the server's stderr kept for error messages. */
const STDERR_TAIL_CHARS = 2_000;
const CLIENT_INFO = { name: 'warden', version: '0.1.0' };

export interface McpConnection {
  /** The server process's pid (stdio), or undefined. */
  readonly pid: number | undefined;
  /** True until the connection ends. */
  readonly isOpen: boolean;
  /** Resolves with why, once the connection has ended. */
  readonly ended: Promise<string>;
  /** The last characters the server wrote on stderr (stdio). */
  stderrTail(): string;
  listTools(signal: AbortSignal): Promise<McpListedTool[]>;
  callTool(name: string, args: Record<string, unknown>, signal: AbortSignal): Promise<McpCallResult>;
  /** End it now (SIGKILL for a process); `ended` resolves with `why`. */
  kill(why: string): void;
  /** End it politely (stdin closed, then SIGTERM, then SIGKILL for a process). */
  close(): Promise<void>;
}

type SdkClient = InstanceType<Awaited<ReturnType<typeof loadMcpClientSdk>>['Client']>;

/** Connect to the server `endpoint` names (see the module doc). */
export async function openMcpConnection(server: string, endpoint: McpEndpoint, clock: Clock, startTimeoutMs: number): Promise<McpConnection> {
  const sdk = await loadMcpClientSdk();
  const target = endpointText(endpoint);
  let stderr = '';
  let pid: () => number | undefined = () => undefined;
  let transport: InstanceType<typeof sdk.StdioClientTransport> | InstanceType<typeof sdk.StreamableHTTPClientTransport>;
  if (endpoint.kind === 'stdio') {
    const stdio = new sdk.StdioClientTransport({
      command: endpoint.command,
      args: [...endpoint.args],
      ...(endpoint.env === undefined ? {} : { env: { ...endpoint.env } }),
      ...(endpoint.cwd === undefined ? {} : { cwd: endpoint.cwd }),
      stderr: 'pipe',
    });
    stdio.stderr?.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-STDERR_TAIL_CHARS);
    });
    pid = () => stdio.pid ?? undefined;
    transport = stdio;
  } else {
    transport = new sdk.StreamableHTTPClientTransport(
      endpoint.url,
      endpoint.headers === undefined ? undefined : { requestInit: { headers: { ...endpoint.headers } } },
    );
  }
  const client: SdkClient = new sdk.Client(CLIENT_INFO, { capabilities: {} });
  let endedWhy: string | undefined;
  let announceEnd: (why: string) => void = () => {};
  const ended = new Promise<string>((resolve) => {
    announceEnd = (why) => {
      if (endedWhy !== undefined) return;
      endedWhy = why;
      resolve(why);
    };
  });
  const tail = (): string => (stderr.trim() === '' ? '' : `; its stderr ended with: ${stderr.trim().slice(-500)}`);
  client.onclose = () => announceEnd(endpoint.kind === 'stdio' ? `the server process exited${tail()}` : 'the HTTP connection was closed');
  // The pid as it was once started: the transport forgets it as the process closes.
  let startedPid: number | undefined;
  const kill = (why: string): void => {
    announceEnd(why);
    const p = pid() ?? startedPid;
    if (p !== undefined) {
      try {
        process.kill(p, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
    void client.close().catch(() => undefined);
  };

  let timedOut = false;
  const timer = clock.setTimer(startTimeoutMs, () => {
    timedOut = true;
    kill(`no answer to initialize within ${startTimeoutMs} ms`);
  });
  try {
    const connected = client.connect(transport, { timeout: SDK_REQUEST_TIMEOUT_MS });
    startedPid = pid();
    await connected;
    startedPid ??= pid();
  } catch (e) {
    kill('the start failed');
    throw new McpServerStartError(server, target, startFailure(e, endpoint, timedOut, startTimeoutMs, stderr), e);
  } finally {
    timer.cancel();
  }
  if (endedWhy !== undefined) throw new McpServerStartError(server, target, endedWhy);

  return {
    get pid() {
      return startedPid;
    },
    get isOpen() {
      return endedWhy === undefined;
    },
    ended,
    stderrTail: () => stderr,
    async listTools(signal) {
      const tools: McpListedTool[] = [];
      let cursor: string | undefined;
      do {
        const page = await client.listTools(cursor === undefined ? {} : { cursor }, { signal, timeout: SDK_REQUEST_TIMEOUT_MS });
        for (const t of page.tools) tools.push(listed(t));
        cursor = page.nextCursor;
      } while (cursor !== undefined);
      return tools;
    },
    async callTool(name, args, signal) {
      return (await client.callTool({ name, arguments: args }, undefined, { signal, timeout: SDK_REQUEST_TIMEOUT_MS })) as McpCallResult;
    },
    kill,
    async close() {
      announceEnd('closed');
      await client.close().catch(() => undefined);
    },
  };
}

/** Why a start failed, in words. */
function startFailure(e: unknown, endpoint: McpEndpoint, timedOut: boolean, startTimeoutMs: number, stderr: string): string {
  if (timedOut) return `no answer to initialize within ${startTimeoutMs} ms`;
  const code = (e as { code?: unknown } | null)?.code;
  const message = e instanceof Error ? e.message : String(e);
  const said = stderr.trim() === '' ? '' : `; its stderr ended with: ${stderr.trim().slice(-500)}`;
  if (endpoint.kind === 'stdio') {
    if (code === 'ENOENT') return `the command "${endpoint.command}" was not found (${message})`;
    if (code === 'EACCES') return `the command "${endpoint.command}" is not executable (${message})`;
    if (code === -32000) return `it exited before answering initialize${said}`;
    return `${message}${said}`;
  }
  return message;
}

/** The parts of a listed tool Warden keeps (plain JSON). */
function listed(t: {
  name: string;
  title?: string | undefined;
  description?: string | undefined;
  inputSchema: Record<string, unknown>;
  annotations?: { destructiveHint?: boolean | undefined; readOnlyHint?: boolean | undefined; idempotentHint?: boolean | undefined } | undefined;
}): McpListedTool {
  const a = t.annotations;
  const annotations =
    a === undefined
      ? undefined
      : {
          ...(a.destructiveHint === undefined ? {} : { destructiveHint: a.destructiveHint }),
          ...(a.readOnlyHint === undefined ? {} : { readOnlyHint: a.readOnlyHint }),
          ...(a.idempotentHint === undefined ? {} : { idempotentHint: a.idempotentHint }),
        };
  return {
    name: t.name,
    ...(t.title === undefined ? {} : { title: t.title }),
    ...(t.description === undefined ? {} : { description: t.description }),
    inputSchema: JSON.parse(JSON.stringify(t.inputSchema)) as Record<string, unknown>,
    ...(annotations === undefined ? {} : { annotations }),
  };
}
