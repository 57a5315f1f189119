/**
 * MCP over stdio (newline-delimited JSON-RPC) with a bound on each message that refuses the
 * message instead of ending the server.
 *
 * The SDK's own `StdioServerTransport` closes itself once its buffer passes 10 MiB, so one
 * oversized line ends the whole server (the process is then left with nothing to do and exits
 * silently). Here a line longer than `maxMessageBytes` is skipped as it streams in (only its
 * first and last bytes are kept, to find its `id`), answered with a JSON-RPC error (-32600, with
 * the request's `id` when it can be read, else `null`), reported through `onRefused`, and the
 * next line is read as usual. Everything else is as in the SDK: a line that is not a JSON-RPC
 * message goes to `onerror`, blank lines are ignored.
 */
import type { Readable, Writable } from 'node:stream';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { loadMcpSdk, type McpSdk } from './mcp-sdk.ts';

export interface BoundedStdioOptions {
  /** The longest message (line) accepted, in bytes. @default 10_485_760 (10 MiB) */
  readonly maxMessageBytes?: number;
  /** Told of each refused message, after its error answer was sent. */
  readonly onRefused?: (refused: RefusedMessage) => void;
}

export interface RefusedMessage {
  /** Its length in bytes (without the newline). */
  readonly bytes: number;
  readonly limit: number;
  /** The request's id, if it could be read from the message's ends; `null` otherwise. */
  readonly id: string | number | null;
}

export const BOUNDED_STDIO_DEFAULTS = { maxMessageBytes: 10 * 1024 * 1024 } as const;

const NEWLINE = 0x0a;
/** Bytes kept from each end of a refused line, to find its id. */
const KEPT = 1024;
const ID = String.raw`(-?\d+|"(?:[^"\\]|\\.)*")`;
/** `"id": 7}` closing the message (the SDK writes `id` last). */
const ID_AT_END = new RegExp(String.raw`"id"\s*:\s*${ID}\s*\}\s*$`);
/** `{"jsonrpc":"2.0","id":7,` or `{"id":7,` opening it. */
const ID_AT_START = new RegExp(String.raw`^\s*\{\s*(?:"jsonrpc"\s*:\s*"2\.0"\s*,\s*)?"id"\s*:\s*${ID}\s*,`);

function idOf(head: string, tail: string): string | number | null {
  const m = ID_AT_END.exec(tail) ?? ID_AT_START.exec(head);
  if (m === null) return null;
  try {
    const id = JSON.parse(m[1]!) as unknown;
    return typeof id === 'string' || (typeof id === 'number' && Number.isSafeInteger(id)) ? id : null;
  } catch {
    return null;
  }
}

interface Skipping {
  bytes: number;
  readonly head: Buffer;
  tail: Buffer;
}

export class BoundedStdioTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;

  private readonly input: Readable;
  private readonly output: Writable;
  private readonly limit: number;
  private readonly onRefused: ((refused: RefusedMessage) => void) | undefined;
  /** The current line so far (under the limit), and its length. */
  private pieces: Buffer[] = [];
  private size = 0;
  /** Set while the current line is over the limit and being skipped. */
  private skipping: Skipping | undefined;
  private started = false;
  /** The SDK's message schema, loaded by `start()`. */
  private schema: McpSdk['JSONRPCMessageSchema'] | undefined;

  constructor(input: Readable, output: Writable, options: BoundedStdioOptions = {}) {
    this.input = input;
    this.output = output;
    this.limit = options.maxMessageBytes ?? BOUNDED_STDIO_DEFAULTS.maxMessageBytes;
    this.onRefused = options.onRefused;
  }

  async start(): Promise<void> {
    if (this.started) throw new Error('BoundedStdioTransport already started');
    this.started = true;
    this.schema = (await loadMcpSdk()).JSONRPCMessageSchema;
    this.input.on('data', this.onData);
    this.input.on('error', this.onInputError);
  }

  private readonly onInputError = (error: Error): void => {
    this.onerror?.(error);
  };

  private readonly onData = (chunk: Buffer | string): void => {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    for (let start = 0; start < buf.length; ) {
      const nl = buf.indexOf(NEWLINE, start);
      this.take(buf.subarray(start, nl === -1 ? buf.length : nl));
      if (nl === -1) break;
      this.endLine();
      start = nl + 1;
    }
  };

  /** Add bytes of the current line (no newline among them). */
  private take(part: Buffer): void {
    if (part.length === 0) return;
    if (this.skipping !== undefined) {
      this.skipping.bytes += part.length;
      this.skipping.tail = Buffer.from(Buffer.concat([this.skipping.tail, part.subarray(-KEPT)]).subarray(-KEPT));
      return;
    }
    if (this.size + part.length <= this.limit) {
      this.pieces.push(part);
      this.size += part.length;
      return;
    }
    // Over the limit: from here on only the line's two ends are kept.
    const sofar = Buffer.concat([...this.pieces, part]);
    this.skipping = { bytes: sofar.length, head: Buffer.from(sofar.subarray(0, KEPT)), tail: Buffer.from(sofar.subarray(-KEPT)) };
    this.pieces = [];
    this.size = 0;
  }

  private endLine(): void {
    const skipped = this.skipping;
    if (skipped !== undefined) {
      this.skipping = undefined;
      this.refuse(skipped);
      return;
    }
    const line = Buffer.concat(this.pieces).toString('utf8').replace(/\r$/, '');
    this.pieces = [];
    this.size = 0;
    if (line.trim() === '') return;
    let message: JSONRPCMessage;
    try {
      message = (this.schema as McpSdk['JSONRPCMessageSchema']).parse(JSON.parse(line));
    } catch (e) {
      this.onerror?.(e as Error);
      return;
    }
    this.onmessage?.(message);
  }

  private refuse(skipped: Skipping): void {
    const id = idOf(skipped.head.toString('utf8'), skipped.tail.toString('utf8').replace(/\r$/, ''));
    const message = `Invalid Request: a message of ${skipped.bytes} bytes is over the limit of ${this.limit} bytes; it was not read, and nothing in it was done`;
    this.output.write(`${JSON.stringify({ jsonrpc: '2.0', id, error: { code: -32600, message } })}\n`);
    this.onRefused?.({ bytes: skipped.bytes, limit: this.limit, id });
  }

  send(message: JSONRPCMessage): Promise<void> {
    return new Promise((resolve) => {
      if (this.output.write(`${JSON.stringify(message)}\n`)) resolve();
      else this.output.once('drain', resolve);
    });
  }

  async close(): Promise<void> {
    this.input.off('data', this.onData);
    this.input.off('error', this.onInputError);
    if (this.input.listenerCount('data') === 0) this.input.pause();
    this.pieces = [];
    this.size = 0;
    this.skipping = undefined;
    this.onclose?.();
  }
}
