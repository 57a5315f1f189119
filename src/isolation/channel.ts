/**
 * A channel between two runtimes (a parent, and the guest it started in a thread or OS process):
 * frames over a transport (a `MessagePort` or an IPC pipe), in order.
 *
 * To each side, the other side's processes are remote processes (see runtime/remote.ts), each a
 * local record, its pid here. Creating one asks the other side to *watch* the real process; when
 * it dies the other side sends `down` and the local record dies with the same reason, so local
 * links and monitors fire as usual. The records are held weakly; one nobody references any more
 * is unwatched. If the channel closes (the other side is gone), every one dies with
 * `noconnection`, as in Erlang.
 *
 * Quiescence, for runs on a virtual clock: the parent counts the frames it sends and the guest
 * reports `idle` with the number it has handled once its microtasks have drained; the parent's
 * clock waits for that before moving time on (the guest's timers run on the parent's clock).
 */
import {
  type Runtime,
  VirtualClock,
  isPid,
  realClock,
  reasonToJSON,
  type CallFrom,
  type ExitReason,
  type Pid,
  type QuiescenceSource,
  type Timer,
} from '../runtime/index.ts';
import type { RemoteCallFrom, RemoteEndpoint } from '../runtime/internal.ts';
import { SoftStopRequest } from '../runtime/index.ts';
import { UnserializableMessageError, decode, encode, type CodecPeer } from './codec.ts';

/** The frames the two sides exchange. */
export type Frame =
  | { readonly t: 'send'; readonly to: number; readonly m: unknown }
  | { readonly t: 'exit'; readonly to: number; readonly f: unknown; readonly r: unknown }
  | { readonly t: 'kill'; readonly to: number; readonly r: unknown }
  | { readonly t: 'watch'; readonly id: number }
  | { readonly t: 'unwatch'; readonly id: number }
  | { readonly t: 'down'; readonly id: number; readonly r: unknown }
  | { readonly t: 'reply'; readonly ref: number; readonly v: unknown }
  | { readonly t: 'beat'; readonly id: number }
  | { readonly t: 'timer'; readonly id: number; readonly ms: number }
  | { readonly t: 'cancel'; readonly id: number }
  | { readonly t: 'fire'; readonly id: number }
  | { readonly t: 'idle'; readonly seen: number }
  | { readonly t: 'control'; readonly kind: string; readonly [key: string]: unknown };

/** A frame as sent by a parent on a virtual clock: it carries the parent's time. */
export type TimedFrame = Frame & { readonly c?: number };

export interface Transport {
  send(frame: TimedFrame): void;
  close(): void;
}

export interface ChannelOptions {
  readonly peerNode: string;
  /** This side runs the other's timers on its (virtual) clock and tracks its quiescence. */
  readonly ownsClock?: boolean;
  /** This side's timers run on the other side's clock (see RemoteClock). */
  readonly remoteClock?: { setNow(now: number): void; fire(id: number): void };
  /**
   * How long (real time) the other side may stay busy before quiescence stops waiting for it
   * (a guest spinning in a loop never goes idle). It is waited for again once it reports idle.
   * @default 5000
   */
  readonly quiescenceTimeoutMs?: number;
  /** Control frames (start-up, shutdown) go to the owner. */
  readonly onControl?: (frame: Extract<Frame, { t: 'control' }>) => void;
  /** A kill for one of the other side's processes; return true if the owner handled it (a hard kill). */
  readonly onKill?: (remote: Pid, reason: ExitReason) => boolean;
}

/** A call origin on the other side: the reply travels back over the channel. */
class RemoteFrom implements RemoteCallFrom {
  readonly pid: Pid | undefined;
  readonly ref: number;
  private readonly channel: NodeChannel;

  constructor(channel: NodeChannel, ref: number, pid: Pid | undefined) {
    this.channel = channel;
    this.ref = ref;
    this.pid = pid;
  }

  deliverReply(value: unknown): void {
    this.channel.sendReply(this.ref, value);
  }
}

export class NodeChannel implements CodecPeer, RemoteEndpoint, QuiescenceSource {
  readonly runtime: Runtime;
  readonly localNode: string;
  readonly peerNode: string;
  private readonly transport: Transport;
  private readonly options: ChannelOptions;
  /** The other side's processes this side holds a pid of, by id. */
  private readonly remotes = new Map<number, WeakRef<Pid>>();
  private readonly collected = new FinalizationRegistry<number>((id) => this.onRemoteCollected(id));
  private readonly exported = new Map<number, WeakRef<Pid>>();
  private readonly watched = new Set<number>();
  private readonly froms = new Map<number, WeakRef<CallFrom>>();
  /** The other side's timers, run on this side's clock. */
  private readonly peerTimers = new Map<number, Timer>();
  private closed = false;
  private sent = 0;
  private seen = 0;
  private received = 0;
  private idleReportScheduled = false;
  private holds = 0;
  private idleWaiters: Array<() => void> = [];
  private unresponsive = false;
  private giveUp: Timer | undefined;
  private removeSource: (() => void) | undefined;

  constructor(runtime: Runtime, transport: Transport, options: ChannelOptions) {
    this.runtime = runtime;
    this.localNode = runtime.node;
    this.peerNode = options.peerNode;
    this.transport = transport;
    this.options = options;
    if (options.ownsClock === true && runtime.clock instanceof VirtualClock) {
      this.removeSource = runtime.clock.addQuiescenceSource(this);
    }
  }

  get isClosed(): boolean {
    return this.closed;
  }

  // ---- sending ---------------------------------------------------------------------------

  send(frame: Frame): void {
    if (this.closed) return;
    const timed: TimedFrame = this.options.ownsClock === true ? { ...frame, c: this.runtime.clock.now() } : frame;
    try {
      this.transport.send(timed);
    } catch (error) {
      throw new UnserializableMessageError('message', (error as Error).message ?? 'value', error);
    }
    if (this.options.ownsClock === true) this.sent++;
  }

  sendReply(ref: number, value: unknown): void {
    this.send({ t: 'reply', ref, v: encode(value, this, 'reply') });
  }

  // ---- RemoteEndpoint (for the other side's processes) ------------------------------------

  forward(remote: Pid, message: unknown): void {
    this.send({ t: 'send', to: remote.id, m: encode(message, this) });
  }

  exitSignal(remote: Pid, from: Pid | undefined, reason: ExitReason): void {
    this.send({ t: 'exit', to: remote.id, f: from === undefined ? null : encode(from, this, 'from'), r: encode(reason, this, 'reason') });
  }

  kill(remote: Pid, reason: ExitReason): void {
    if (this.options.onKill?.(remote, reason) === true) return;
    this.send({ t: 'kill', to: remote.id, r: encode(reason, this, 'reason') });
  }

  // ---- CodecPeer ---------------------------------------------------------------------------

  exportPid(pid: Pid): number {
    if (!this.exported.has(pid.id)) this.exported.set(pid.id, new WeakRef(pid));
    return pid.id;
  }

  importPid(node: string, id: number): Pid {
    if (node === this.localNode) return this.exported.get(id)?.deref() ?? this.deadPid(node, id);
    if (node !== this.peerNode) throw new Error(`pid <${node}.${id}> belongs to neither end of this channel`);
    return this.remotePid(id);
  }

  exportFrom(from: CallFrom): { node: string; ref: number } {
    if (from instanceof RemoteFrom) return { node: this.peerNode, ref: from.ref };
    this.froms.set(from.ref, new WeakRef(from));
    return { node: this.localNode, ref: from.ref };
  }

  importFrom(node: string, ref: number, pid: Pid | undefined): CallFrom {
    if (node === this.localNode) return this.froms.get(ref)?.deref() ?? new RemoteFrom(this, ref, pid);
    return new RemoteFrom(this, ref, pid);
  }

  // ---- the other side's processes -------------------------------------------------------

  /** The pid here of the other side's process `id`: a remote process (created and watched on first use). */
  remotePid(id: number, label?: string): Pid {
    const known = this.remotes.get(id)?.deref();
    if (known !== undefined && this.runtime.isAlive(known)) return known;
    const remote = this.runtime.createRemoteProcess(this.peerNode, id, this, label);
    if (this.closed) {
      this.runtime.remoteProcessExited(remote, 'noconnection');
      return remote;
    }
    this.remotes.set(id, new WeakRef(remote));
    this.collected.register(remote, id);
    this.send({ t: 'watch', id });
    return remote;
  }

  private deadPid(node: string, id: number): Pid {
    const gone = this.runtime.createRemoteProcess(node, id, this);
    this.runtime.remoteProcessExited(gone, 'noproc');
    return gone;
  }

  private onRemoteCollected(id: number): void {
    if (this.remotes.get(id)?.deref() === undefined) {
      this.remotes.delete(id);
      this.send({ t: 'unwatch', id });
    }
  }

  // ---- receiving -------------------------------------------------------------------------

  /** Handle one frame from the other side. */
  receive(frame: TimedFrame): void {
    if (this.closed) return;
    if (frame.c !== undefined) this.options.remoteClock?.setNow(frame.c);
    if (this.options.remoteClock !== undefined && frame.t !== 'idle') {
      this.received++;
      this.scheduleIdleReport();
    }
    switch (frame.t) {
      case 'send': {
        const target = this.exported.get(frame.to)?.deref();
        if (target === undefined || !this.runtime.isAlive(target)) return;
        const message = decode(frame.m, this);
        if (message instanceof SoftStopRequest) this.runtime.softStop(target, message.reason);
        else {
          try {
            this.runtime.send(target, message);
          } catch {
            // A full mailbox refuses a message from across the boundary as it would a local one.
          }
        }
        return;
      }
      case 'exit': {
        const target = this.exported.get(frame.to)?.deref();
        if (target === undefined) return;
        const from = frame.f === null ? undefined : (decode(frame.f, this) as Pid);
        this.runtime.exitSignal(from, target, decode(frame.r, this) as ExitReason);
        return;
      }
      case 'kill': {
        const target = this.exported.get(frame.to)?.deref();
        if (target !== undefined) this.runtime.killWith(target, decode(frame.r, this) as ExitReason);
        return;
      }
      case 'watch': {
        const target = this.exported.get(frame.id)?.deref();
        this.watched.add(frame.id);
        if (target === undefined || !this.runtime.isAlive(target)) {
          this.reportDown(frame.id, target === undefined ? 'noproc' : (this.runtime.exitReasonOf(target) ?? 'noproc'));
          return;
        }
        void this.runtime.whenExited(target).then((reason) => this.reportDown(frame.id, reason));
        return;
      }
      case 'unwatch':
        this.watched.delete(frame.id);
        return;
      case 'down': {
        const remote = this.remotes.get(frame.id)?.deref();
        this.remotes.delete(frame.id);
        if (remote !== undefined) this.runtime.remoteProcessExited(remote, decode(frame.r, this) as ExitReason);
        return;
      }
      case 'reply': {
        const from = this.froms.get(frame.ref)?.deref();
        this.froms.delete(frame.ref);
        if (from !== undefined) this.runtime.reply(from, decode(frame.v, this));
        return;
      }
      case 'beat': {
        const remote = this.remotes.get(frame.id)?.deref();
        if (remote !== undefined) this.runtime.recordBeat(remote);
        return;
      }
      case 'timer': {
        const id = frame.id;
        this.peerTimers.set(
          id,
          this.runtime.clock.setTimer(frame.ms, () => {
            this.peerTimers.delete(id);
            this.send({ t: 'fire', id });
          }),
        );
        return;
      }
      case 'cancel':
        this.peerTimers.get(frame.id)?.cancel();
        this.peerTimers.delete(frame.id);
        return;
      case 'fire':
        this.options.remoteClock?.fire(frame.id);
        return;
      case 'idle':
        this.seen = frame.seen;
        this.unresponsive = false;
        if (!this.isBusy()) this.wakeIdleWaiters();
        return;
      case 'control':
        this.options.onControl?.(frame);
        return;
    }
  }

  private reportDown(id: number, reason: ExitReason): void {
    if (!this.watched.delete(id)) return;
    let r: unknown;
    try {
      r = encode(reason, this, 'reason');
    } catch {
      r = encode(reasonToJSON(reason), this, 'reason');
    }
    this.send({ t: 'down', id, r });
  }

  /**
   * Hold back `idle` reports until the returned function is called (a guest starting up is
   * busy even while it waits on I/O, e.g. importing the child's module).
   */
  hold(): () => void {
    this.holds++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.holds--;
      if (this.holds === 0 && this.options.remoteClock !== undefined) this.scheduleIdleReport();
    };
  }

  private scheduleIdleReport(): void {
    if (this.idleReportScheduled) return;
    this.idleReportScheduled = true;
    setImmediate(() => {
      this.idleReportScheduled = false;
      if (!this.closed && this.holds === 0) this.transport.send({ t: 'idle', seen: this.received });
    });
  }

  // ---- quiescence (the parent's side, on a virtual clock) ----------------------------------

  isBusy(): boolean {
    return !this.closed && !this.unresponsive && this.seen < this.sent;
  }

  whenIdle(): Promise<void> {
    if (!this.isBusy()) return Promise.resolve();
    return new Promise((resolve) => {
      this.idleWaiters.push(resolve);
      this.giveUp ??= realClock.setTimer(this.options.quiescenceTimeoutMs ?? 5000, () => {
        this.giveUp = undefined;
        this.unresponsive = true;
        this.wakeIdleWaiters();
      });
    });
  }

  private wakeIdleWaiters(): void {
    this.giveUp?.cancel();
    this.giveUp = undefined;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }

  // ---- closing ---------------------------------------------------------------------------

  /** The other side is gone (or we are done with it): each of its processes dies here with `reason`. */
  close(reason: ExitReason = 'noconnection'): void {
    if (this.closed) return;
    this.closed = true;
    for (const t of this.peerTimers.values()) t.cancel();
    this.peerTimers.clear();
    for (const ref of this.remotes.values()) {
      const remote = ref.deref();
      if (remote !== undefined) this.runtime.remoteProcessExited(remote, reason);
    }
    this.remotes.clear();
    this.removeSource?.();
    this.wakeIdleWaiters();
    this.transport.close();
  }

  /** True if `pid` is a process of this channel's other side. */
  owns(pid: unknown): pid is Pid {
    return isPid(pid) && pid.node === this.peerNode;
  }
}
