/**
 * `childProcess(module, options)`: a child that runs in its own OS process (forked with the
 * same Node.js, values travelling by structured clone over IPC). The strongest isolation: a
 * crash in native code, a leak or a heap limit (`maxOldSpaceMb`) ends only that process, with
 * `memory_limit` when it ran out of memory, or the signal's name when something outside killed
 * it. Its output goes to this process's stdout and stderr.
 */
import { fork } from 'node:child_process';
import type { Starter, StartResult } from '../runtime/index.ts';
import type { ChildStart } from '../supervisor/index.ts';
import { startHosted, type HostOptions, type Launcher } from './host.ts';

export interface ProcessOptions extends HostOptions {
  /** V8 old-space limit for the process (`--max-old-space-size`); exceeding it ends the process with `memory_limit`. */
  readonly maxOldSpaceMb?: number;
  /** More Node.js flags for the process. */
  readonly execArgv?: readonly string[];
  /** Environment of the process. @default this process's */
  readonly env?: Readonly<Record<string, string>>;
}

const ENTRY = new URL(`./guest/process-entry${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url);
const OUT_OF_MEMORY = /JavaScript heap out of memory|Allocation failed - process out of memory/;

function processLauncher(options: ProcessOptions): Launcher {
  return {
    host: 'process',
    launch({ onFrame, onExit }) {
      const execArgv = [...(options.maxOldSpaceMb === undefined ? [] : [`--max-old-space-size=${options.maxOldSpaceMb}`]), ...(options.execArgv ?? [])];
      const child = fork(ENTRY, [], {
        serialization: 'advanced',
        execArgv,
        stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
        ...(options.env === undefined ? {} : { env: { ...options.env } }),
      });
      // A child that spins cannot notice its host going away: kill it if this process exits.
      const killOnExit = (): void => {
        child.kill('SIGKILL');
      };
      process.on('exit', killOnExit);
      let tail = '';
      child.stderr?.on('data', (chunk: Buffer) => {
        process.stderr.write(chunk);
        tail = (tail + chunk.toString('utf8')).slice(-4096);
      });
      child.on('message', onFrame);
      child.on('error', () => {
        // A failed send or spawn shows up as the process's exit.
      });
      child.once('exit', (code, signal) => {
        process.off('exit', killOnExit);
        child.removeAllListeners('message');
        onExit({ kind: 'exit', code, signal, outOfMemory: OUT_OF_MEMORY.test(tail) });
      });
      return {
        osId: child.pid,
        transport: {
          send: (frame) => {
            if (child.connected) child.send(frame);
          },
          close: () => {
            if (child.connected) child.disconnect();
          },
        },
        hardKill: () => {
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
        },
      };
    },
  };
}

/** A child spec's start function for a child in its own process. */
export function childProcess(module: string | URL, options: ProcessOptions = {}): ChildStart {
  return (ctx, arg) => startHosted(ctx, processLauncher(options), module, options, arg);
}

/** Start a process-hosted process outside a supervisor (linked to `starter` if it is a process). */
export function startChildProcess(starter: Starter, module: string | URL, options: ProcessOptions = {}): Promise<StartResult> {
  return startHosted(starter, processLauncher(options), module, options, undefined);
}
