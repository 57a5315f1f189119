/**
 * What crosses a thread or process boundary. Values travel by structured clone; before that,
 * the things structured clone would get wrong are rewritten into tagged plain objects and
 * rebuilt on the other side:
 *
 * - pids become references (`{pid: node, id}`): a pid of the receiving side comes back as that
 *   process, a pid of the sending side becomes a remote process there;
 * - a call's `from` becomes a reference its reply can travel back on;
 * - a `Crash` keeps the error's name, message, stack, code and fields; a Warden error is
 *   rebuilt with its code, so `isWardenError(e, code)` still holds;
 * - the runtime's messages (EXIT, DOWN, calls, casts, stop requests) keep their classes.
 *
 * Functions and symbols cannot cross: the sender gets `UnserializableMessageError` naming
 * where in the message they are, before anything is sent. Other class instances arrive as
 * plain objects (structured clone keeps their data, not their prototype).
 */
import {
  CallRequest,
  CastMessage,
  Crash,
  DownMessage,
  ExitMessage,
  SoftStopRequest,
  StopRequest,
  WardenError,
  isPid,
  showValue,
  type CallFrom,
  type ExitReason,
  type Pid,
} from '../runtime/index.ts';

/** Key of the tag in an encoded special value (a NUL-prefixed key no real message uses). */
const TAG = '\u0000w';

/** A value could not be sent across the boundary. */
export class UnserializableMessageError extends WardenError<'UNSERIALIZABLE_MESSAGE', { path: string; kind: string }> {
  constructor(path: string, kind: string, cause?: unknown) {
    super(
      'UNSERIALIZABLE_MESSAGE',
      `${path} is a ${kind}, which cannot be sent to another thread or process`,
      { path, kind },
      cause === undefined ? undefined : { cause },
    );
  }
}

/** A Warden error that was thrown on the other side of a boundary, rebuilt with its code and fields. */
export class RemoteWardenError extends WardenError {
  /** The subject fields it arrived with (each is also a property of the error). */
  readonly fields: Record<string, unknown>;

  constructor(data: { name: string; message: string; code: string; retryable?: boolean; stack?: string; fields?: Record<string, unknown> }) {
    super(data.code, data.message, data.fields ?? {}, { retryable: data.retryable === true });
    this.name = data.name;
    this.fields = data.fields ?? {};
    if (data.stack !== undefined) this.stack = data.stack;
  }
}

/** How the codec turns pids and call origins into references and back; implemented by a channel. */
export interface CodecPeer {
  readonly localNode: string;
  /** A local pid about to cross: remember it so messages for it can be routed back. */
  exportPid(pid: Pid): number;
  /** A pid that came back: the local process, or a remote one (a process of the other side). */
  importPid(node: string, id: number): Pid;
  /** A call origin about to cross: remember it so the reply can find it; where it lives. */
  exportFrom(from: CallFrom): { node: string; ref: number };
  /** A call origin that came back: a local one (by ref) or one a reply must travel back to. */
  importFrom(node: string, ref: number, pid: Pid | undefined): CallFrom;
}

function encodePid(pid: Pid, peer: CodecPeer): unknown {
  if (pid.node === peer.localNode) peer.exportPid(pid);
  return { [TAG]: 'pid', n: pid.node, i: pid.id };
}

/** An error as plain data (name, message, code, the fields of its `toJSON`), to send to another process. */
export function encodeError(error: unknown): unknown {
  if (!(error instanceof Error)) return { name: 'thrown', message: showValue(error) };
  const withJson = error as unknown as { toJSON?: () => unknown };
  const json = typeof withJson.toJSON === 'function' ? withJson.toJSON() : undefined;
  const data: Record<string, unknown> = { name: error.name, message: error.message, stack: error.stack };
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') data.code = code;
  if (json !== null && typeof json === 'object') {
    const fields: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(json as Record<string, unknown>)) {
      if (!['name', 'message', 'code', 'stack'].includes(k) && typeof v !== 'function') fields[k] = v;
    }
    data.fields = fields;
    data.retryable = (json as { retryable?: unknown }).retryable === true;
  }
  return data;
}

/** Rebuild an error sent by `encodeError` (a Warden error comes back as a `RemoteWardenError` with its code and fields). */
export function decodeError(data: Record<string, unknown>): Error {
  if (typeof data.code === 'string' && data.fields !== undefined) {
    return new RemoteWardenError(data as ConstructorParameters<typeof RemoteWardenError>[0]);
  }
  const e = new Error(String(data.message));
  e.name = String(data.name);
  if (typeof data.stack === 'string') e.stack = data.stack;
  if (typeof data.code === 'string') (e as Error & { code: string }).code = data.code;
  return e;
}

/** Rewrite `value` for structured clone; throws UnserializableMessageError naming the first bad part. */
export function encode(value: unknown, peer: CodecPeer, path = 'message', seen = new Map<object, unknown>()): unknown {
  switch (typeof value) {
    case 'string':
    case 'number':
    case 'boolean':
    case 'bigint':
    case 'undefined':
      return value;
    case 'function':
      throw new UnserializableMessageError(path, 'function');
    case 'symbol':
      throw new UnserializableMessageError(path, 'symbol');
  }
  if (value === null) return null;
  const obj = value as object;
  const done = seen.get(obj);
  if (done !== undefined) return done;
  if (isPid(obj)) return encodePid(obj, peer);
  if (obj instanceof Crash) return { [TAG]: 'crash', e: encodeError(obj.error) };
  if (obj instanceof ExitMessage) {
    return { [TAG]: 'EXIT', f: obj.from === undefined ? null : encodePid(obj.from, peer), r: encode(obj.reason, peer, `${path}.reason`, seen) };
  }
  if (obj instanceof DownMessage) {
    return { [TAG]: 'DOWN', ref: obj.ref, p: encodePid(obj.pid, peer), r: encode(obj.reason, peer, `${path}.reason`, seen) };
  }
  if (obj instanceof CallRequest) {
    const from = obj.from;
    const origin = peer.exportFrom(from);
    return {
      [TAG]: 'CALL',
      n: origin.node,
      ref: origin.ref,
      p: from.pid === undefined ? null : encodePid(from.pid, peer),
      q: encode(obj.request, peer, `${path}.request`, seen),
    };
  }
  if (obj instanceof CastMessage) return { [TAG]: 'CAST', m: encode(obj.message, peer, `${path}.message`, seen) };
  if (obj instanceof StopRequest) return { [TAG]: 'STOP', r: encode(obj.reason, peer, `${path}.reason`, seen) };
  if (obj instanceof SoftStopRequest) return { [TAG]: 'SOFT_STOP', r: encode(obj.reason, peer, `${path}.reason`, seen) };
  if (Array.isArray(obj)) {
    const out: unknown[] = [];
    seen.set(obj, out);
    for (let i = 0; i < obj.length; i++) out.push(encode(obj[i], peer, `${path}[${i}]`, seen));
    return out;
  }
  const proto = Object.getPrototypeOf(obj) as object | null;
  if (proto === Object.prototype || proto === null) {
    const out: Record<string, unknown> = {};
    seen.set(obj, out);
    for (const key of Object.keys(obj)) out[key] = encode((obj as Record<string, unknown>)[key], peer, `${path}.${key}`, seen);
    return out;
  }
  // Dates, maps, sets, buffers, errors and other instances: left to structured clone.
  return obj;
}

/** Rebuild what `encode` rewrote. */
export function decode(value: unknown, peer: CodecPeer, seen = new Map<object, unknown>()): unknown {
  if (typeof value !== 'object' || value === null) return value;
  const done = seen.get(value);
  if (done !== undefined) return done;
  if (Array.isArray(value)) {
    const out: unknown[] = [];
    seen.set(value, out);
    for (const v of value) out.push(decode(v, peer, seen));
    return out;
  }
  const proto = Object.getPrototypeOf(value) as object | null;
  if (proto !== Object.prototype && proto !== null) return value;
  const v = value as Record<string, unknown>;
  const tag = v[TAG];
  if (tag !== undefined) {
    switch (tag) {
      case 'pid':
        return peer.importPid(String(v.n), Number(v.i));
      case 'crash':
        return new Crash(decodeError(v.e as Record<string, unknown>));
      case 'EXIT':
        return new ExitMessage(v.f === null ? undefined : (decode(v.f, peer, seen) as Pid), decode(v.r, peer, seen) as ExitReason);
      case 'DOWN':
        return new DownMessage(Number(v.ref), decode(v.p, peer, seen) as Pid, decode(v.r, peer, seen) as ExitReason);
      case 'CALL': {
        const pid = v.p === null ? undefined : (decode(v.p, peer, seen) as Pid);
        return new CallRequest(peer.importFrom(String(v.n), Number(v.ref), pid), decode(v.q, peer, seen));
      }
      case 'CAST':
        return new CastMessage(decode(v.m, peer, seen));
      case 'STOP':
        return new StopRequest(decode(v.r, peer, seen) as ExitReason);
      case 'SOFT_STOP':
        return new SoftStopRequest(decode(v.r, peer, seen) as ExitReason);
    }
  }
  const out: Record<string, unknown> = {};
  seen.set(value, out);
  for (const key of Object.keys(v)) out[key] = decode(v[key], peer, seen);
  return out;
}
