/**
 * The chaos proxy's way to its target. A request is forwarded with its method, its path after
 * the target's own path prefix, its query, its headers (hop-by-hop ones dropped, `content-length`
 * set to the body as read) and its body, over one keep-alive agent. `passThrough` pipes the
 * answer back untouched; `shaped` hands it to a fault that changes it on the way.
 *
 * A target that cannot be reached gets a 502 naming it, in the error shape of the request's API
 * (or the connection dropped, when the answer had already begun). When the client goes away
 * before its answer is finished, the upstream request is cancelled too.
 */
import { request as httpRequest, Agent, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import { request as httpsRequest, Agent as HttpsAgent } from 'node:https';
import { errorBody } from './chaos-error-body.ts';
import { sendJson } from './http.ts';

/** Headers about one connection, not the message: never forwarded either way. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer', 'host']);

/** `headers` without the hop-by-hop ones. */
export function copyHeaders(headers: IncomingHttpHeaders): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(headers)) if (v !== undefined && !HOP_BY_HOP.has(k)) out[k] = v;
  return out;
}

/** Hands an upstream answer to a fault; `isStream` when it is a server-sent event stream. */
export type ShapeAnswer = (upstream: IncomingMessage, isStream: boolean) => void;

export class ChaosUpstream {
  private readonly target: URL;
  private readonly secure: boolean;
  private readonly agent: Agent;
  private readonly basePath: string;

  /** `target`: an http(s) URL, checked by the caller. */
  constructor(target: URL) {
    this.target = target;
    this.secure = target.protocol === 'https:';
    this.agent = this.secure ? new HttpsAgent({ keepAlive: true }) : new Agent({ keepAlive: true });
    this.basePath = target.pathname.replace(/\/+$/, '');
  }

  /** Forward the request and pipe the answer back as it is. */
  passThrough(req: IncomingMessage, res: ServerResponse, body: Buffer, path: string): void {
    const cancel = this.forward(
      req,
      body,
      (up) => {
        const headers = copyHeaders(up.headers);
        res.writeHead(up.statusCode ?? 502, headers);
        up.pipe(res);
        up.on('error', () => res.destroy());
      },
      (e) => this.badGateway(res, path, e),
    );
    res.on('close', () => {
      if (!res.writableFinished) cancel();
    });
  }

  /** Forward the request, but hand the answer to `shape`, which writes `res` itself. */
  shaped(req: IncomingMessage, res: ServerResponse, body: Buffer, path: string, shape: ShapeAnswer): void {
    const cancel = this.forward(
      req,
      body,
      (up) => shape(up, String(up.headers['content-type'] ?? '').includes('text/event-stream')),
      (e) => this.badGateway(res, path, e),
    );
    res.on('close', () => {
      if (!res.writableFinished) cancel();
    });
  }

  /** Close the agent's idle connections. */
  close(): void {
    this.agent.destroy();
  }

  /** Send `req` with `body` to the target; returns a function that cancels it. */
  private forward(req: IncomingMessage, body: Buffer, onResponse: (upstream: IncomingMessage) => void, onError: (e: Error) => void): () => void {
    const target = this.target;
    const headers = copyHeaders(req.headers);
    headers['content-length'] = String(body.length);
    const out = (this.secure ? httpsRequest : httpRequest)(
      {
        protocol: target.protocol,
        hostname: target.hostname,
        port: target.port === '' ? undefined : Number(target.port),
        method: req.method,
        path: `${this.basePath}${req.url ?? '/'}`,
        headers,
        agent: this.agent,
      },
      onResponse,
    );
    out.on('error', onError);
    out.end(body);
    return () => out.destroy();
  }

  private badGateway(res: ServerResponse, path: string, e: Error): void {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    sendJson(res, 502, errorBody(path, 502, `chaos proxy: the target ${this.target.origin} failed: ${e.message}`));
  }
}
