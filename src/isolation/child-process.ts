/**
 * `childProcess(module, options)`: a child that runs in its own OS process (the same Node.js,
 * with an IPC channel; values travel by structured clone). The strongest isolation: a
 * crash in native code, a leak or a heap limit (`maxOldSpaceMb`) ends only that process, with
 * `memory_limit` when it ran out of memory, or the signal's name when something outside killed
 * it. Its output goes to this process's stdout and stderr.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { Starter, StartResult } from '../runtime/index.ts';
import type { ChildStart } from '../supervisor/index.ts';
import { startRemoteChild, type RemoteChildOptions, type Launcher } from './remote-child.ts';
import { moduleUrl } from './module-url.ts';

export interface ProcessOptions extends RemoteChildOptions {
  /** V8 old-space limit for the process (`--max-old-space-size`); exceeding it ends the process with `memory_limit`. */
  readonly maxOldSpaceMb?: number;
  /** More Node.js flags for the process. */
  readonly execArgv?: readonly string[];
  /** Environment of the process. @default this process's */
  readonly env?: Readonly<Record<string, string>>;
}

const ENTRY = moduleUrl('./guest/process-entry.ts', import.meta.url);
/** The process boots from an inline script that imports the entry (faster than a TypeScript entry file, as for threads). */
const BOOT = `require('node:module').enableCompileCache?.(); import(${JSON.stringify(ENTRY.href)});`;
const OUT_OF_MEMORY = /JavaScript heap out of memory|Allocation failed - process out of memory/;

/**
 * A child that spins cannot notice its parent going away, so the parent kills its children when it
 * exits: one listener for all of them.
 */
const running = new Set<ChildProcess>();
let exitHookInstalled = false;
function killOnParentExit(child: ChildProcess): void {
  running.add(child);
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const c of running) c.kill('SIGKILL');
  });
}

function processLauncher(options: ProcessOptions): Launcher {
  return {
    isolation: 'process',
    launch({ onFrame, onExit }) {
      const execArgv = [...(options.maxOldSpaceMb === undefined ? [] : [`--max-old-space-size=${options.maxOldSpaceMb}`]), ...(options.execArgv ?? [])];
      const child = spawn(process.execPath, [...execArgv, '-e', BOOT], {
        serialization: 'advanced',
        stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
        ...(options.env === undefined ? {} : { env: { ...options.env } }),
      });
      killOnParentExit(child);
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
        running.delete(child);
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
  return (ctx, arg) => startRemoteChild(ctx, processLauncher(options), module, options, arg);
}

/** Start a process in its own OS process outside a supervisor (linked to `starter` if it is a process). */
export function startChildProcess(starter: Starter, module: string | URL, options: ProcessOptions = {}): Promise<StartResult> {
  return startRemoteChild(starter, processLauncher(options), module, options, undefined);
}
