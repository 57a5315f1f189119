/**
 * How a fault breaks an answer on its way back from the target. Each takes the upstream answer
 * and writes the client's response itself:
 * - `cutStreamAfterEvents`: a server-sent event stream passes through whole events until the
 *   K-th, then breaks mid-body (`reset`) or ends cleanly (`close`); what was written reaches the
 *   client before the connection goes. A stream with fewer events ends as it would.
 * - `cutBodyInHalf`: the same fault on an answer that is not a stream: half the body, then a
 *   break (`reset`, with the full length announced) or a complete, shorter body (`close`).
 * - `truncateBody`: status, headers and the full length announced, the first `bytes` (default
 *   half), then the connection dropped.
 * - `sendMalformed`: a 200 whose JSON does not parse; for a stream, one good event, then one
 *   whose data is not JSON (in the shape of the path's API), then a clean end.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isAnthropicPath } from './chaos-error-body.ts';
import { copyHeaders } from './chaos-upstream.ts';

/** Forward a stream's first `afterEvents` events, then break the connection (`reset`) or end the body (`close`). */
export function cutStreamAfterEvents(up: IncomingMessage, res: ServerResponse, afterEvents: number, mode: 'reset' | 'close'): void {
  const headers = copyHeaders(up.headers);
  delete headers['content-length'];
  res.writeHead(up.statusCode ?? 200, headers);
  res.flushHeaders();
  let pending = '';
  let sent = 0;
  let done = false;
  const finish = (): void => {
    if (done) return;
    done = true;
    up.destroy();
    // Let what was written reach the client before the connection goes.
    if (mode === 'close') res.end();
    else res.write('', () => res.destroy());
  };
  if (afterEvents === 0) {
    finish();
    return;
  }
  up.setEncoding('utf8');
  up.on('data', (chunk: string) => {
    if (done) return;
    pending += chunk;
    for (let at = pending.indexOf('\n\n'); at >= 0; at = pending.indexOf('\n\n')) {
      res.write(pending.slice(0, at + 2));
      pending = pending.slice(at + 2);
      if (++sent >= afterEvents) {
        finish();
        return;
      }
    }
  });
  up.on('end', () => {
    if (done) return;
    if (pending !== '') res.write(pending);
    done = true;
    res.end();
  });
  up.on('error', () => res.destroy());
}

/** Not a stream: half the body, then the connection broken mid-body (`reset`) or the body ended early, complete and shorter (`close`). */
export function cutBodyInHalf(up: IncomingMessage, res: ServerResponse, mode: 'reset' | 'close' | undefined): void {
  const chunks: Buffer[] = [];
  up.on('data', (c: Buffer) => chunks.push(c));
  up.on('end', () => {
    const full = Buffer.concat(chunks);
    const half = full.subarray(0, Math.floor(full.length / 2));
    const headers = copyHeaders(up.headers);
    if (mode === 'close') {
      headers['content-length'] = String(half.length);
      res.writeHead(up.statusCode ?? 200, headers);
      res.end(half);
      return;
    }
    headers['content-length'] = String(full.length);
    res.writeHead(up.statusCode ?? 200, headers);
    res.write(half, () => res.destroy());
  });
}

/** The status, the headers (full length announced) and the first `bytes` of the body (default half), then the connection dropped. */
export function truncateBody(up: IncomingMessage, res: ServerResponse, bytes: number | undefined): void {
  const chunks: Buffer[] = [];
  up.on('data', (c: Buffer) => chunks.push(c));
  up.on('end', () => {
    const full = Buffer.concat(chunks);
    const keep = Math.min(full.length, bytes ?? Math.floor(full.length / 2));
    const headers = copyHeaders(up.headers);
    headers['content-length'] = String(full.length);
    res.writeHead(up.statusCode ?? 200, headers);
    res.write(full.subarray(0, keep), () => res.destroy());
  });
  up.on('error', () => res.destroy());
}

/** A body that is not valid JSON; for a stream, one good event, then one broken in the shape of `path`'s API, then a clean end. */
export function sendMalformed(up: IncomingMessage, res: ServerResponse, path: string, isStream: boolean): void {
  if (isStream) {
    let pending = '';
    let done = false;
    const headers = copyHeaders(up.headers);
    delete headers['content-length'];
    res.writeHead(up.statusCode ?? 200, headers);
    up.setEncoding('utf8');
    up.on('data', (chunk: string) => {
      if (done) return;
      pending += chunk;
      const at = pending.indexOf('\n\n');
      if (at < 0) return;
      done = true;
      up.destroy();
      const broken = isAnthropicPath(path)
        ? 'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"te\n\n'
        : path.includes('/responses')
          ? 'event: response.output_text.delta\ndata: {"type":"response.output_text.delta","item_id":"msg_broken","delta":"x\n\n'
          : 'data: {"id":"chatcmpl-broken","choices":[{"delta":{"content":"x\n\n';
      res.end(pending.slice(0, at + 2) + broken);
    });
    up.on('error', () => res.destroy());
    return;
  }
  up.resume();
  up.on('end', () => {
    const text = '{"id": "broken", "choices": [ <html>Bad gateway</html>';
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  });
}
