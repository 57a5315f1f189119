/**
 * A benchmark's simulated model server in a child process of its own (so its CPU is not the
 * measured client's): started with a script and arguments, it prints its URL as its first line
 * of stdout; stopped with SIGTERM.
 */
import { spawn, type ChildProcess } from 'node:child_process';

export interface ServerProcess {
  readonly url: string;
  readonly child: ChildProcess;
}

/** Run `node <script> <args>` and resolve with the URL it prints first. */
export async function startServerProcess(script: string, args: readonly string[]): Promise<ServerProcess> {
  const child = spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const line = out.split('\n')[0];
      if (out.includes('\n') && line !== undefined) resolve(line.trim());
    });
    child.on('exit', (code) => reject(new Error(`server exited ${code}`)));
  });
  return { url, child };
}

export async function stopServerProcess(s: ServerProcess): Promise<void> {
  const done = new Promise((r) => s.child.on('exit', r));
  s.child.kill('SIGTERM');
  await done;
}
