/**
 * Entry of a remote child in its own thread: frames from the parent runtime arrive on
 * `parentPort`; the first is the init frame. V8's on-disk compile cache is enabled before anything else loads, which
 * roughly halves a thread's start-up after the first.
 */
import { enableCompileCache } from 'node:module';
import { parentPort } from 'node:worker_threads';
import type { TimedFrame } from '../channel.ts';

enableCompileCache();
const port = parentPort;
if (port === null) throw new Error('thread-entry must run in a worker thread');
const { connectGuest } = await import('./connect.ts');
connectGuest({ send: (f) => port.postMessage(f), close: () => port.close() }, (listener: (frame: TimedFrame) => void) => port.on('message', listener));
