/**
 * Entry module for running a whole memory server (graph and HTTP front) as a supervised child in
 * its own OS process: `memoryServer(options)` is `childProcess(this module, { arg: options })`.
 * If the process dies (a crash, kill -9), its supervisor starts it again on the same port and
 * clients reconnect there. The process answers a call with its OS pid (for tests and tools).
 */
import type { ProcessContext } from '../runtime/index.ts';
import { isCall } from '../runtime/index.ts';
import type { MemoryHttpOptions } from './http.ts';
import type { MemoryBackendOptions } from './open.ts';
import { serveMemory } from './serve.ts';

export interface HostedMemoryServerOptions {
  readonly backend: MemoryBackendOptions;
  readonly http: MemoryHttpOptions;
}

export default async function hostedMemoryServer(ctx: ProcessContext, options: HostedMemoryServerOptions): Promise<void> {
  const server = await serveMemory({ backend: options.backend, transport: { http: options.http } });
  ctx.stopSignal.addEventListener('abort', () => void server.close(), { once: true });
  for (;;) {
    const m = await Promise.race([ctx.receive(), server.done.then((reason) => ({ stopped: reason }))]);
    if (typeof m === 'object' && m !== null && 'stopped' in m) {
      if (m.stopped === 'normal') return;
      throw new Error(`the memory server stopped: ${String(m.stopped)}`);
    }
    if (isCall(m)) ctx.reply(m.from, { osPid: process.pid, url: server.url });
  }
}
