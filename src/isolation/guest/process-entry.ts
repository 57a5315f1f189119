/**
 * Entry of a remote child in its own OS process: frames from the parent runtime arrive over the
 * IPC channel (advanced serialization, so values travel by structured clone); the first is the
 * init frame. Frames are buffered from the start, while the rest of the guest loads (with V8's
 * on-disk compile cache enabled). If the parent goes away, the process exits.
 */
import { enableCompileCache } from 'node:module';
import type { TimedFrame } from '../channel.ts';

if (process.send === undefined) throw new Error('process-entry must be started with an IPC channel (fork)');
const send = process.send.bind(process);
let listener: ((frame: TimedFrame) => void) | undefined;
const early: TimedFrame[] = [];
process.on('message', (frame: TimedFrame) => (listener === undefined ? early.push(frame) : listener(frame)));
process.on('disconnect', () => process.exit(0));
enableCompileCache();
const { connectGuest } = await import('./connect.ts');
connectGuest({ send: (f) => void send(f), close: () => process.disconnect() }, (l) => {
  listener = l;
  for (const f of early.splice(0)) l(f);
});
