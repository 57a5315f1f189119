/**
 * The company's client of its shared memory server: real MCP over Streamable HTTP (the SDK's
 * `Client` and `StreamableHTTPClientTransport`), to the server `memoryServer` runs as a
 * supervised child process. The server can be killed at any moment (the company does so on
 * purpose) and its supervisor starts it again on the same port; an old session is then answered
 * 404, and an idle one is closed by the server. Either way this client drops its session and
 * connects again, waiting on the runtime's clock between attempts, so a caller sees a slow call,
 * not a failed one, unless the server stays away for all `attempts`.
 *
 * The MCP SDK is loaded on first use (it takes most of a second), like the server's side does.
 * Every call is counted while it is on the wire (`inFlight`), so a virtual clock is not moved
 * while the server is still answering.
 */
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { Clock } from '../../runtime/index.ts';

export interface MemoryClientOptions {
  readonly url: string;
  readonly clock: Clock;
  /** Attempts per call (one session each, at most). @default 20 */
  readonly attempts?: number;
  /** Wait between attempts, ms (on `clock`). @default 250 */
  readonly retryDelayMs?: number;
  /** Told +1 when a request goes on the wire and -1 when it is answered or fails. */
  readonly onWire?: (delta: 1 | -1) => void;
}

/** The answer of a memory tool (its `structuredContent`). */
export type MemoryAnswer = Record<string, unknown>;

export class MemoryClient {
  private client: Client | undefined;
  private connecting: Promise<Client> | undefined;
  private closed = false;
  /** Calls answered, and sessions opened (the first, and one after each lost session). */
  calls = 0;
  sessions = 0;
  private readonly options: MemoryClientOptions;

  constructor(options: MemoryClientOptions) {
    this.options = options;
  }

  /** Call the memory tool `name` with `args`; a tool error (`isError`) is thrown as an Error with its text. */
  async call(name: string, args: Record<string, unknown>): Promise<MemoryAnswer> {
    const attempts = this.options.attempts ?? 20;
    for (let attempt = 1; ; attempt++) {
      if (this.closed) throw new Error('the memory client is closed');
      let failure: unknown;
      this.options.onWire?.(1);
      try {
        const client = await this.connected();
        const result = await client.callTool({ name, arguments: args });
        if (result.isError === true) {
          const text = (result.content as Array<{ type: string; text?: string }>).map((c) => c.text ?? '').join(' ');
          throw new ToolAnswerError(`memory tool ${name}: ${text}`);
        }
        this.calls++;
        return (result.structuredContent ?? {}) as MemoryAnswer;
      } catch (e) {
        if (e instanceof ToolAnswerError) throw e;
        failure = e;
        this.drop();
      } finally {
        this.options.onWire?.(-1);
      }
      if (attempt >= attempts) throw new Error(`the memory server did not answer ${name} after ${attempts} attempts: ${(failure as Error)?.message}`);
      await this.options.clock.sleep(this.options.retryDelayMs ?? 250);
    }
  }

  /** Close the session (best effort) and refuse further calls. */
  async close(): Promise<void> {
    this.closed = true;
    const client = this.client;
    this.client = undefined;
    await client?.close().catch(() => undefined);
  }

  private connected(): Promise<Client> {
    if (this.client !== undefined) return Promise.resolve(this.client);
    this.connecting ??= (async () => {
      try {
        const [{ Client }, { StreamableHTTPClientTransport }] = await Promise.all([
          import('@modelcontextprotocol/sdk/client/index.js'),
          import('@modelcontextprotocol/sdk/client/streamableHttp.js'),
        ]);
        const client = new Client({ name: 'warden-company', version: '1' });
        await client.connect(new StreamableHTTPClientTransport(new URL(this.options.url)));
        this.sessions++;
        this.client = client;
        return client;
      } finally {
        this.connecting = undefined;
      }
    })();
    return this.connecting;
  }

  /** Forget the session: the server restarted, closed it or is not there. */
  private drop(): void {
    const client = this.client;
    this.client = undefined;
    void client?.close().catch(() => undefined);
  }
}

class ToolAnswerError extends Error {}
