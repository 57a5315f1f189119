/**
 * A raw HTTP client for the boundary fuzzers: any method, path, headers and body bytes, sent
 * as they are (no SDK fixing them up), with the status, headers and body text of the answer.
 * The connection is closed after each request so no socket outlives the test.
 */
import { request } from 'node:http';

export interface RawAnswer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly text: string;
}

/** Send one request to `base` (`http://127.0.0.1:port`); resolves with the answer or rejects on a dropped connection. */
export function sendRaw(base: string, method: string, path: string, headers: Record<string, string>, body?: Uint8Array | string): Promise<RawAnswer> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, method, path, headers: { connection: 'close', ...headers }, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.setTimeout(10_000, () => req.destroy(new Error(`no answer to ${method} ${path} within 10 s`)));
    req.end(body);
  });
}

/** The parsed JSON body of an answer, or a thrown Error naming the status and the text. */
export function jsonOf(answer: RawAnswer): unknown {
  try {
    return JSON.parse(answer.text) as unknown;
  } catch {
    throw new Error(`HTTP ${answer.status}: the body is not JSON: ${answer.text.slice(0, 200)}`);
  }
}
