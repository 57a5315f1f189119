/**
 * The guest side of a remote child: a runtime of its own in the thread or child process,
 * connected to the parent runtime by a channel. It imports the child's module, starts its main
 * process (a body function, or a server behaviour, linked to the parent process that started it,
 * a remote process here), and reports `started` or `init_failed`. Progress beats of the main
 * process are relayed to the parent runtime for watchdogs.
 *
 * This file and the entries beside it are all that run inside the thread or process.
 */
import { pathToFileURL } from 'node:url';
import { Crash, Runtime, realClock, startServer, type Pid, type ProcessBody, type ServerBehaviour } from '../../runtime/index.ts';
import { NodeChannel, type Frame, type TimedFrame, type Transport } from '../channel.ts';
import { decode, encode } from '../codec.ts';
import { RemoteClock } from '../remote-clock.ts';

/** The first frame the parent runtime sends. */
export interface GuestInit {
  readonly kind: 'init';
  readonly node: string;
  readonly parentNode: string;
  readonly module: string;
  readonly exportName: string;
  readonly arg: unknown;
  readonly parent: unknown;
  readonly trapExits: boolean;
  readonly label: string | undefined;
  /** The parent runtime's virtual time, when it runs on a virtual clock. */
  readonly virtualNow: number | undefined;
  /** Relay beats at most this often (clock ms). */
  readonly beatIntervalMs: number;
}

export interface GuestConnection {
  /** Frames from the parent runtime, in order. */
  onFrame(listener: (frame: TimedFrame) => void): void;
  readonly transport: Transport;
}

/** Boot the guest from its init frame; resolves once the main process has started (or failed to). */
export async function runGuest(connection: GuestConnection, init: GuestInit & TimedFrame): Promise<void> {
  const remoteClock = init.virtualNow === undefined ? undefined : new RemoteClock(init.virtualNow);
  const runtime = new Runtime({ clock: remoteClock ?? realClock, node: init.node });
  let releaseStartup: (() => void) | undefined;
  const channel = new NodeChannel(runtime, connection.transport, {
    peerNode: init.parentNode,
    ...(remoteClock === undefined ? {} : { remoteClock }),
  });
  remoteClock?.attach((frame: Frame) => channel.send(frame));
  releaseStartup = channel.hold();
  channel.receive(init); // counted like every frame from the parent, for its quiescence
  connection.onFrame((frame) => channel.receive(frame));
  const fail = (reason: unknown): void => {
    channel.send({ t: 'control', kind: 'init_failed', reason: encode(reason, channel, 'reason') });
    releaseStartup?.();
  };
  let exported: unknown;
  try {
    const url = init.module.startsWith('file:') ? init.module : pathToFileURL(init.module).href;
    const mod = (await import(url)) as Record<string, unknown>;
    exported = mod[init.exportName];
  } catch (error) {
    fail(new Crash(error));
    return;
  }
  const parent = init.parent === null ? undefined : (decode(init.parent, channel) as Pid);
  const arg = decode(init.arg, channel);
  let main: Pid;
  if (typeof exported === 'function') {
    main = runtime.spawnFrom(
      parent === undefined ? undefined : (parent as never),
      exported as ProcessBody<unknown>,
      arg,
      { trapExits: init.trapExits, ...(init.label === undefined ? {} : { label: init.label }) },
      parent !== undefined,
    );
  } else if (typeof exported === 'object' && exported !== null && typeof (exported as { init?: unknown }).init === 'function') {
    const result = await startServer(parent === undefined ? runtime : (parent as never), exported as ServerBehaviour<unknown, unknown>, arg, {
      ...(init.label === undefined ? {} : { label: init.label }),
    });
    if (result.status !== 'started') {
      fail(result.status === 'failed' ? result.reason : 'ignore');
      return;
    }
    main = result.pid;
  } else {
    fail({
      bad_export: `${init.exportName} is ${exported === undefined ? 'not exported' : `a ${typeof exported}`} (expected a process body or a server behaviour)`,
    });
    return;
  }
  channel.exportPid(main);
  let lastBeatSent = -Infinity;
  runtime.events.on('process.beat', (e) => {
    if (e.pid !== main) return;
    const now = runtime.clock.now();
    if (now - lastBeatSent < init.beatIntervalMs) return;
    lastBeatSent = now;
    channel.send({ t: 'beat', id: main.id });
  });
  channel.send({ t: 'control', kind: 'started', main: main.id });
  releaseStartup();
  releaseStartup = undefined;
}
