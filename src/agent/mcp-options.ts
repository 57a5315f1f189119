/**
 * The options of `mcpTools`: where the MCP server is (a `command` to spawn and talk to over stdio,
 * or a Streamable HTTP `url`), how its tools are offered to the model, and the policies every call
 * goes through. Every default is in `MCP_TOOLS_DEFAULTS`; the options are checked when the tool
 * set is built, and a bad one throws `InvalidSpecError` naming the field and the value (neither
 * `command` nor `url`, both, a `url` that is not http(s), ...). Nothing starts while they are wrong.
 */
import { basename } from 'node:path';
import { z } from 'zod';
import { InvalidSpecError, realClock, type Clock, type EventBus, type Random } from '../runtime/index.ts';
import { parseWith, type BreakerOptions, type RetryOptions } from '../resilience/index.ts';

/** Where and how to reach an MCP server, and how its tools become the agent's. */
export interface McpToolsOptions {
  /** stdio: the command that starts the server (spawned without a shell, e.g. `npx` or `process.execPath`). */
  readonly command?: string;
  /** stdio: the command's arguments. @default [] */
  readonly args?: readonly string[];
  /** stdio: variables added to the server's environment (the SDK passes only a safe few, HOME and PATH among them, by default). @default none */
  readonly env?: Readonly<Record<string, string>>;
  /** stdio: the server's working directory. @default this process's */
  readonly cwd?: string;
  /** Streamable HTTP: the server's endpoint, `http:` or `https:` (e.g. `http://127.0.0.1:8788/mcp`). */
  readonly url?: string;
  /** Streamable HTTP: headers sent with every request (an `authorization` token, say). @default none */
  readonly headers?: Readonly<Record<string, string>>;
  /** The server's name in events, errors, the breaker and the journal (`mcp.tools <name>`). @default the command's base name, or the URL's host */
  readonly name?: string;
  /** Put before every tool name the model sees (`files_` gives `files_read_file`). @default '' */
  readonly prefix?: string;
  /** Offer only these of the server's tools (by the server's names). @default all */
  readonly include?: readonly string[];
  /** Never offer these (by the server's names). @default none */
  readonly exclude?: readonly string[];
  /** Tools (by the server's names) whose calls are irreversible: each waits for a person's approval. @default none */
  readonly irreversible?: readonly string[];
  /**
   * Treat tools the server annotates `destructiveHint: true` as irreversible too. Only an explicit
   * `true` counts: most servers annotate nothing, and the protocol's default (destructive unless
   * said otherwise) would put every call of theirs behind an approval. @default true
   */
  readonly approveDestructive?: boolean;
  /**
   * One attempt of a call (waiting for a restarting server included) must be answered within
   * this; a server that does not answer is taken to hang: it is killed, so its supervisor starts
   * it again, and the call is retried. @default 60_000
   */
  readonly timeoutMs?: number;
  /** The server must answer `initialize` within this after it is started. @default 30_000 */
  readonly startTimeoutMs?: number;
  /** Retry of transient failures (a crash, a hang, a connection refused). `false`: none. @default { maxAttempts: 3 } */
  readonly retry?: Omit<RetryOptions, 'name' | 'clock' | 'bus' | 'random'> | false;
  /** The server's circuit breaker (named `mcp:<name>`). `false`: none. @default 5 failures in a row open it for 30 s */
  readonly breaker?: Omit<BreakerOptions, 'name' | 'clock' | 'bus'> | false;
  /** @default realClock */
  readonly clock?: Clock;
  /** Where the policies' events and `agent.mcp_*` go. @default none (`agent.mcp_*` go to the runtime's stream once the set is supervised) */
  readonly bus?: EventBus;
  /** Jitter of the retry's backoff. @default Math.random */
  readonly random?: Random;
}

export const MCP_TOOLS_DEFAULTS = Object.freeze({
  prefix: '',
  approveDestructive: true,
  timeoutMs: 60_000,
  startTimeoutMs: 30_000,
  retry: Object.freeze({ maxAttempts: 3 }),
  breaker: Object.freeze({ trip: Object.freeze({ kind: 'consecutive' as const, failures: 5 }), openMs: 30_000 }),
});

/** How to reach the server. */
export type McpEndpoint =
  | {
      readonly kind: 'stdio';
      readonly command: string;
      readonly args: readonly string[];
      readonly env: Readonly<Record<string, string>> | undefined;
      readonly cwd: string | undefined;
    }
  | { readonly kind: 'http'; readonly url: URL; readonly headers: Readonly<Record<string, string>> | undefined };

/** `McpToolsOptions` checked and resolved with their defaults. */
export interface ResolvedMcpTools {
  readonly name: string;
  readonly endpoint: McpEndpoint;
  readonly prefix: string;
  readonly include: ReadonlySet<string> | undefined;
  readonly exclude: ReadonlySet<string>;
  readonly irreversible: ReadonlySet<string>;
  readonly approveDestructive: boolean;
  readonly timeoutMs: number;
  readonly startTimeoutMs: number;
  readonly retry: Omit<RetryOptions, 'name' | 'clock' | 'bus' | 'random'> | false;
  readonly breaker: Omit<BreakerOptions, 'name' | 'clock' | 'bus'> | false;
  readonly clock: Clock;
  readonly bus: EventBus | undefined;
  readonly random: Random | undefined;
}

const names = z.array(z.string().min(1));
const strings = z.record(z.string(), z.string());
const ms = z.number().gt(0).finite();

const optionsSchema = z.strictObject({
  command: z.string().min(1, 'must be a non-empty string').optional(),
  args: z.array(z.string()).optional(),
  env: strings.optional(),
  cwd: z.string().min(1).optional(),
  url: z.string().optional(),
  headers: strings.optional(),
  name: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'must be 1-64 letters, digits, ".", "_" or "-", starting with a letter or digit')
    .optional(),
  prefix: z
    .string()
    .regex(/^[A-Za-z0-9_-]{0,32}$/, 'must be at most 32 letters, digits, "_" or "-"')
    .optional(),
  include: names.optional(),
  exclude: names.optional(),
  irreversible: names.optional(),
  approveDestructive: z.boolean().optional(),
  timeoutMs: ms.optional(),
  startTimeoutMs: ms.optional(),
  retry: z.union([z.literal(false), z.record(z.string(), z.unknown())]).optional(),
  breaker: z.union([z.literal(false), z.record(z.string(), z.unknown())]).optional(),
  clock: z.custom<Clock>((v) => typeof (v as Clock | null)?.setTimer === 'function', { message: 'must be a Clock' }).optional(),
  bus: z.custom<EventBus>((v) => typeof (v as EventBus | null)?.emit === 'function', { message: 'must be an EventBus' }).optional(),
  random: z.custom<Random>((v) => typeof v === 'function', { message: 'must be a function returning [0, 1)' }).optional(),
});

const STDIO_ONLY = ['args', 'env', 'cwd'] as const;

/** Check `options` and resolve them (see the module doc). */
export function resolveMcpTools(options: McpToolsOptions): ResolvedMcpTools {
  const subject = typeof options?.name === 'string' ? `mcpTools "${options.name}"` : 'mcpTools';
  if (typeof options !== 'object' || options === null) {
    throw new InvalidSpecError(subject, '', options, 'must be an object: { command, args } for a server over stdio, or { url } for Streamable HTTP');
  }
  const checked = parseWith(subject, optionsSchema, options);
  if (checked.command === undefined && checked.url === undefined) {
    throw new InvalidSpecError(
      subject,
      'command',
      undefined,
      'or url is needed: { command, args } starts a server over stdio, { url } reaches one over Streamable HTTP',
    );
  }
  if (checked.command !== undefined && checked.url !== undefined) {
    throw new InvalidSpecError(
      subject,
      'url',
      checked.url,
      `cannot be given with command (${checked.command}): a server is reached over stdio or over HTTP, not both`,
    );
  }
  let endpoint: McpEndpoint;
  if (checked.command !== undefined) {
    if (checked.headers !== undefined)
      throw new InvalidSpecError(subject, 'headers', checked.headers, 'only apply to a url (Streamable HTTP), not to a command');
    endpoint = { kind: 'stdio', command: checked.command, args: Object.freeze([...(checked.args ?? [])]), env: checked.env, cwd: checked.cwd };
  } else {
    for (const field of STDIO_ONLY) {
      if (checked[field] !== undefined) throw new InvalidSpecError(subject, field, checked[field], 'only applies to a command (stdio), not to a url');
    }
    endpoint = { kind: 'http', url: httpUrl(subject, checked.url as string), headers: checked.headers };
  }
  const name = checked.name ?? defaultName(endpoint);
  return Object.freeze({
    name,
    endpoint: Object.freeze(endpoint),
    prefix: checked.prefix ?? MCP_TOOLS_DEFAULTS.prefix,
    include: checked.include === undefined ? undefined : new Set(checked.include),
    exclude: new Set(checked.exclude ?? []),
    irreversible: new Set(checked.irreversible ?? []),
    approveDestructive: checked.approveDestructive ?? MCP_TOOLS_DEFAULTS.approveDestructive,
    timeoutMs: checked.timeoutMs ?? MCP_TOOLS_DEFAULTS.timeoutMs,
    startTimeoutMs: checked.startTimeoutMs ?? MCP_TOOLS_DEFAULTS.startTimeoutMs,
    retry: options.retry === false ? false : { ...MCP_TOOLS_DEFAULTS.retry, ...(options.retry ?? {}) },
    breaker: options.breaker === false ? false : { ...MCP_TOOLS_DEFAULTS.breaker, ...(options.breaker ?? {}) },
    clock: options.clock ?? realClock,
    bus: options.bus,
    random: options.random,
  });
}

function httpUrl(subject: string, text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new InvalidSpecError(subject, 'url', text, 'must be an absolute URL, e.g. http://127.0.0.1:8788/mcp');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new InvalidSpecError(subject, 'url', text, 'must be an http: or https: URL');
  return url;
}

const RUNNERS: ReadonlySet<string> = new Set(['node', 'npx', 'bun', 'bunx', 'deno', 'tsx', 'uv', 'uvx', 'python', 'python3', 'pnpm', 'yarn', 'docker']);

/**
 * The command's base name without an extension; for a runner (`node`, `npx`, `uvx`, ...) that of
 * its first argument that is not a flag (`npx -y @modelcontextprotocol/server-memory` gives
 * `server-memory`); for a URL its host.
 */
function defaultName(endpoint: McpEndpoint): string {
  let raw: string;
  if (endpoint.kind === 'http') raw = endpoint.url.host;
  else {
    const command = basename(endpoint.command).replace(/\.(exe|cmd)$/i, '');
    const first = RUNNERS.has(command) ? endpoint.args.find((a) => !a.startsWith('-') && a !== 'run' && a !== 'exec') : undefined;
    raw = basename(first ?? command).replace(/\.[cm]?[jt]s$|\.py$/, '');
  }
  const cleaned = raw
    .replace(/[^A-Za-z0-9._-]/g, '-')
    .replace(/^[^A-Za-z0-9]+/, '')
    .slice(0, 64);
  return cleaned === '' ? 'mcp' : cleaned;
}

/** The command line or URL, for messages. */
export function endpointText(endpoint: McpEndpoint): string {
  return endpoint.kind === 'stdio' ? [endpoint.command, ...endpoint.args].join(' ') : endpoint.url.href;
}
