/**
 * What each fault kind does to a request the rules picked (see `chaos-rules.ts` for the kinds).
 * Faults that answer in the proxy's place (`rate_limit`, `overloaded`, `status`) never reach the
 * target, and their bodies take the shape of the path's API; `reset` and `hang` answer nothing;
 * `latency` waits on the proxy's clock (given up if the client leaves), then forwards; the others
 * forward and break the answer on its way back (`chaos-answer-cuts.ts`).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Clock } from '../runtime/index.ts';
import { anthropicError } from './anthropic-wire.ts';
import { cutBodyInHalf, cutStreamAfterEvents, sendMalformed, truncateBody } from './chaos-answer-cuts.ts';
import { errorBody } from './chaos-error-body.ts';
import type { ChaosHangs } from './chaos-hangs.ts';
import type { ChaosFault } from './chaos-rules.ts';
import type { ChaosUpstream } from './chaos-upstream.ts';
import { sendJson } from './http.ts';

/** What a fault may use: the way to the target, the clock for latency, the hanging requests. */
export interface FaultContext {
  readonly upstream: ChaosUpstream;
  readonly clock: Clock;
  readonly hangs: ChaosHangs;
}

/** Answer (or not) `req` as `fault` says. */
export function injectFault(ctx: FaultContext, fault: ChaosFault, req: IncomingMessage, res: ServerResponse, body: Buffer, path: string): void {
  switch (fault.kind) {
    case 'rate_limit': {
      const after = fault.retryAfterSeconds ?? 1;
      sendJson(res, 429, errorBody(path, 429, 'chaos proxy: rate limited'), { 'retry-after': String(after) });
      return;
    }
    case 'overloaded':
      sendJson(
        res,
        529,
        anthropicError('overloaded_error', 'Overloaded'),
        fault.retryAfterSeconds === undefined ? {} : { 'retry-after': String(fault.retryAfterSeconds) },
      );
      return;
    case 'status':
      if (fault.body !== undefined) {
        res.writeHead(fault.status, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(fault.body) });
        res.end(fault.body);
      } else {
        sendJson(res, fault.status, errorBody(path, fault.status, `chaos proxy: injected HTTP ${fault.status}`));
      }
      return;
    case 'latency': {
      const ac = new AbortController();
      res.on('close', () => ac.abort());
      ctx.clock.sleep(fault.ms, ac.signal).then(
        () => ctx.upstream.passThrough(req, res, body, path),
        () => undefined,
      );
      return;
    }
    case 'hang':
      ctx.hangs.hold(res);
      return;
    case 'reset':
      resetConnection(res);
      return;
    case 'truncate':
      ctx.upstream.shaped(req, res, body, path, (up) => truncateBody(up, res, fault.bytes));
      return;
    case 'malformed':
      ctx.upstream.shaped(req, res, body, path, (up, isStream) => sendMalformed(up, res, path, isStream));
      return;
    case 'cut_stream':
      ctx.upstream.shaped(req, res, body, path, (up, isStream) => {
        if (isStream) cutStreamAfterEvents(up, res, fault.afterEvents, fault.mode ?? 'reset');
        else cutBodyInHalf(up, res, fault.mode);
      });
      return;
    default: {
      const never: never = fault;
      throw new Error(`unknown fault ${JSON.stringify(never)}`);
    }
  }
}

/** Reset the connection (TCP RST where the socket allows it), answering nothing. */
function resetConnection(res: ServerResponse): void {
  const socket = res.socket;
  if (socket !== null && typeof (socket as Socket).resetAndDestroy === 'function') (socket as Socket).resetAndDestroy();
  else res.destroy();
}
