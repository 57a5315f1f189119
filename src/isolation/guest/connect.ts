/**
 * Wires a guest's transport to `runGuest`: the first frame must be the init frame; later
 * frames go to the guest's channel, in order (frames that arrive while it boots are queued).
 */
import type { TimedFrame, Transport } from '../channel.ts';
import { runGuest, type GuestInit } from './guest.ts';

export function connectGuest(transport: Transport, subscribe: (listener: (frame: TimedFrame) => void) => void): void {
  let deliver: ((frame: TimedFrame) => void) | undefined;
  const early: TimedFrame[] = [];
  subscribe((frame) => {
    if (deliver !== undefined) {
      deliver(frame);
      return;
    }
    if (frame.t === 'control' && (frame as { kind?: unknown }).kind === 'init') {
      void runGuest(
        {
          transport,
          onFrame: (listener) => {
            deliver = listener;
            for (const f of early.splice(0)) listener(f);
          },
        },
        frame as unknown as GuestInit & TimedFrame,
      );
      return;
    }
    early.push(frame);
  });
}
