/**
 * Entry module for running a whole memory server (graph and HTTP front) as a supervised remote
 * child in its own OS process: `memoryServer(options)` is `childProcess(this module, { arg: options })`.
 * Its default export is a server behaviour whose `init` returns once the HTTP port is listening,
 * so "started" means clients can connect. If the process dies (a crash, kill -9), its
 * supervisor starts it again on the same port. It answers any call with its OS pid and URL.
 */
import { Crash, reply, stop, type ServerBehaviour } from '../runtime/index.ts';
import type { MemoryHttpOptions } from './http.ts';
import type { MemoryBackendOptions } from './open.ts';
import { serveMemory, type MemoryServerHandle } from './serve.ts';

/** What `memoryServer` runs: the graph's backend and the HTTP front's options. */
export interface MemoryServerOptions {
  readonly backend: MemoryBackendOptions;
  readonly http: MemoryHttpOptions;
}

class Stopped {
  readonly reason: unknown;
  constructor(reason: unknown) {
    this.reason = reason;
  }
}

const memoryServerBehaviour: ServerBehaviour<MemoryServerHandle, MemoryServerOptions> = {
  trapExits: true,
  async init(ctx, options) {
    const server = await serveMemory({ backend: options.backend, transport: { http: options.http } });
    void server.done.then((reason) => {
      if (ctx.isAlive) ctx.send(ctx.self, new Stopped(reason));
    });
    return server;
  },
  handleCall(_request, _from, server) {
    return reply({ osPid: process.pid, url: server.url }, server);
  },
  handleInfo(message, server) {
    if (message instanceof Stopped)
      return stop(message.reason === 'normal' ? 'normal' : new Crash(new Error(`the memory server stopped: ${String(message.reason)}`)), server);
    return server;
  },
  async terminate(_reason, server) {
    await server.close();
  },
};

export default memoryServerBehaviour;
